// thread-pool: W long-lived worker threads take tasks from one shared FIFO queue. Threads are
// created once per run instead of once per task; compare with `threads`.

#include <parlab/thread_pool.hpp>

#include "executors/factories.hpp"
#include "executors/run_task.hpp"

#include <stdexcept>
#include <string>
#include <system_error>

namespace parlab {

namespace detail {

adaptive_mutex::adaptive_mutex() noexcept {
  pthread_mutexattr_t attributes;
  ::pthread_mutexattr_init(&attributes);
#ifdef PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP
  ::pthread_mutexattr_settype(&attributes, PTHREAD_MUTEX_ADAPTIVE_NP);
#endif
  ::pthread_mutex_init(&mutex_, &attributes);
  ::pthread_mutexattr_destroy(&attributes);
}

adaptive_mutex::~adaptive_mutex() { ::pthread_mutex_destroy(&mutex_); }

void adaptive_mutex::lock() noexcept { ::pthread_mutex_lock(&mutex_); }

void adaptive_mutex::unlock() noexcept { ::pthread_mutex_unlock(&mutex_); }

bool adaptive_mutex::try_lock() noexcept { return ::pthread_mutex_trylock(&mutex_) == 0; }

}  // namespace detail

thread_pool::thread_pool(std::size_t workers) {
  if (workers == 0) throw std::invalid_argument("thread_pool: workers must be at least 1 (got 0)");
  sleepers_ = std::make_unique<sleeper[]>(workers);
  asleep_.reserve(workers);  // post() and the workers never allocate for it
  workers_.reserve(workers);
  for (std::size_t w = 0; w < workers; ++w) {
    try {
      workers_.emplace_back([this, w] { work(w); });
    } catch (const std::system_error& e) {
      stop_and_join();  // the workers already started
      throw std::system_error(e.code(), "thread_pool: could not start worker thread " +
                                            std::to_string(w + 1) + " of " +
                                            std::to_string(workers));
    }
  }
}

thread_pool::~thread_pool() { stop_and_join(); }

void thread_pool::stop_and_join() noexcept {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    for (const std::size_t w : asleep_) {
      sleepers_[w].woken = true;
      sleepers_[w].wake.notify_one();
    }
    asleep_.clear();
  }
  for (auto& w : workers_) w.join();  // each drains the queue before it sees stopping_
  workers_.clear();
}

void thread_pool::post(job j) {
  sleeper* wake = nullptr;
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(j));
    if (queue_.size() == 1) has_work_.store(true, std::memory_order_relaxed);
    // A spinning worker takes the job; otherwise wake one sleeper, and take it off the list: the
    // next post() does not wake it again. A busy pool takes the job when a current one ends, and
    // no one is woken - a futex call saved, which is most of what dispatching costs.
    wake = take_sleeper();
  }
  if (wake != nullptr) wake->wake.notify_one();  // sleepers live as long as the pool
}

thread_pool::sleeper* thread_pool::take_sleeper() noexcept {
  if (spinning_ || asleep_.empty()) return nullptr;
  sleeper* s = &sleepers_[asleep_.back()];
  asleep_.pop_back();
  s->woken = true;
  return s;
}

namespace {

/// One step of a spin-wait: tells the core this is a busy loop (it yields to a sibling thread).
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

}  // namespace

void thread_pool::wait_idle() {
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [this] { return queue_.empty() && running_ == 0; });
}

void thread_pool::work(std::size_t worker) {
  sleeper& me = sleepers_[worker];
  job next;
  bool finished_one = false;
  for (;;) {
    sleeper* wake = nullptr;
    {
      std::unique_lock lock(mutex_);
      // One critical section per job: the end of the previous job and the start of the next
      // (the lock is what dispatching costs; taking it once instead of twice per job matters).
      if (finished_one) {
        --running_;
        if (queue_.empty() && running_ == 0) idle_.notify_all();
      }
      bool spun = false;
      while (queue_.empty() && !stopping_) {
        if (!spun && !spinning_) {
          // Before sleeping, one worker at a time watches the queue for a moment: a post that
          // comes within it costs no wake-up (a sleep and a wake are two system calls and a
          // few microseconds here). Only one: on few cores a second spinner would take the CPU
          // from the thread that posts.
          spinning_ = true;
          lock.unlock();
          for (int i = 0; i < kSpins && !has_work_.load(std::memory_order_relaxed); ++i) {
            cpu_relax();
          }
          lock.lock();
          spinning_ = false;
          spun = true;
          continue;
        }
        me.woken = false;
        asleep_.push_back(worker);
        me.wake.wait(lock, [&me] { return me.woken; });
      }
      if (queue_.empty()) return;  // stopping, and nothing left to do
      next = std::move(queue_.front());
      queue_.pop_front();
      if (queue_.empty()) has_work_.store(false, std::memory_order_relaxed);
      ++running_;
      // Jobs posted while this worker spun found no one to wake: pass the next one on.
      if (!queue_.empty()) wake = take_sleeper();
    }
    if (wake != nullptr) wake->wake.notify_one();
    next(worker);    // like std::thread, an exception escaping a job terminates the program
    next = nullptr;  // what the job holds goes outside the lock
    finished_one = true;
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
