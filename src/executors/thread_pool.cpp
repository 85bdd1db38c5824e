// thread-pool: W long-lived worker threads take tasks from one shared FIFO queue. Threads are
// created once per run instead of once per task; compare with `threads`.

#include <parlab/thread_pool.hpp>

#include "executors/factories.hpp"
#include "executors/run_task.hpp"

#include <stdexcept>
#include <string>
#include <system_error>

namespace parlab {

thread_pool::thread_pool(std::size_t workers) {
  if (workers == 0) throw std::invalid_argument("thread_pool: workers must be at least 1 (got 0)");
  workers_.reserve(workers);
  for (std::size_t w = 0; w < workers; ++w) {
    try {
      workers_.emplace_back([this, w](std::stop_token stop) { work(stop, w); });
    } catch (const std::system_error& e) {
      // The workers already started stop and are joined as workers_ goes.
      throw std::system_error(e.code(), "thread_pool: could not start worker thread " +
                                            std::to_string(w + 1) + " of " +
                                            std::to_string(workers));
    }
  }
}

thread_pool::~thread_pool() {
  for (auto& w : workers_) w.request_stop();
  workers_.clear();  // each worker drains the queue before it sees the stop, then is joined
}

void thread_pool::post(job j) {
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(j));
    wake = sleeping_ != 0;
  }
  // A busy pool takes the job when its current one ends: waking nobody saves a futex call per
  // post, which is most of what dispatching costs.
  if (wake) has_work_.notify_one();
}

void thread_pool::wait_idle() {
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [this] { return queue_.empty() && running_ == 0; });
}

void thread_pool::work(std::stop_token stop, std::size_t worker) {
  job next;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      // One critical section per job: the end of the previous job and the start of the next
      // (the lock is what dispatching costs; taking it once instead of twice per job matters).
      if (next) {
        --running_;
        next = nullptr;
        if (queue_.empty() && running_ == 0) idle_.notify_all();
      }
      // Returns with the queue non-empty, or with a stop requested and nothing left to do.
      if (queue_.empty()) {
        ++sleeping_;
        has_work_.wait(lock, stop, [this] { return !queue_.empty(); });
        --sleeping_;
      }
      if (queue_.empty()) return;
      next = std::move(queue_.front());
      queue_.pop_front();
      ++running_;
    }
    next(worker);  // like std::thread, an exception escaping a job terminates the program
  }
}

namespace detail {
namespace {

class thread_pool_executor final : public executor {
 public:
  [[nodiscard]] std::string_view name() const noexcept override { return "thread-pool"; }

 protected:
  void execute(std::span<const task> tasks, const run_options& options,
               run_result& result) override {
    auto& records = result.records;
    thread_pool pool(options.workers);
    for (std::size_t i = 0; i < tasks.size(); ++i) {
      pool.post([this, &tasks, &records, i](std::size_t worker) {
        no_hooks hooks;
        run_task(tasks[i], worker, hooks, records[i], lane(worker));
      });
    }
    pool.wait_idle();
  }
};

}  // namespace

std::unique_ptr<executor> make_thread_pool() { return std::make_unique<thread_pool_executor>(); }

}  // namespace detail
}  // namespace parlab
