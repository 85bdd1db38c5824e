// thread-pool: W long-lived worker threads take tasks from one shared FIFO queue. Threads are
// created once per run instead of once per task; compare with `threads`.

#include <parlab/thread_pool.hpp>

#include "core/spin.hpp"
#include "executors/dependencies.hpp"
#include "executors/factories.hpp"
#include "executors/run_task.hpp"

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

namespace parlab {
// Named, not anonymous: thread_pool::state holds these, and a unity build (several sources in
// one translation unit) would make that a class with members of internal types.
namespace pool_parts {

/// A mutex that spins a little before it sleeps (glibc's adaptive mutex): a waiter whose holder
/// is running on another core - the common case for the pool's few-instruction critical
/// sections - gets the lock without the two system calls of a sleep and a wake-up.
class adaptive_mutex {
 public:
  adaptive_mutex() noexcept {
    pthread_mutexattr_t attributes;
    ::pthread_mutexattr_init(&attributes);
#ifdef PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP
    ::pthread_mutexattr_settype(&attributes, PTHREAD_MUTEX_ADAPTIVE_NP);
#endif
    ::pthread_mutex_init(&mutex_, &attributes);
    ::pthread_mutexattr_destroy(&attributes);
  }
  ~adaptive_mutex() { ::pthread_mutex_destroy(&mutex_); }
  adaptive_mutex(const adaptive_mutex&) = delete;
  adaptive_mutex& operator=(const adaptive_mutex&) = delete;
  void lock() noexcept { ::pthread_mutex_lock(&mutex_); }
  void unlock() noexcept { ::pthread_mutex_unlock(&mutex_); }
  [[nodiscard]] bool try_lock() noexcept { return ::pthread_mutex_trylock(&mutex_) == 0; }

 private:
  pthread_mutex_t mutex_;
};

/// A FIFO of jobs in one growable ring: a job moves in and out of a slot that stays allocated,
/// so once the ring has grown to the batch's size queuing allocates nothing (a std::deque
/// allocates a block every few jobs and frees it as they are taken).
class job_ring {
 public:
  [[nodiscard]] bool empty() const noexcept { return count_ == 0; }
  [[nodiscard]] std::size_t size() const noexcept { return count_; }
  void push(thread_pool::job&& j) {
    if (count_ == slots_.size()) grow();
    slots_[(head_ + count_) % slots_.size()] = std::move(j);
    ++count_;
  }
  /// The oldest job, moved out. Precondition: !empty().
  thread_pool::job pop() noexcept {
    thread_pool::job j = std::move(slots_[head_]);
    slots_[head_] = nullptr;
    head_ = (head_ + 1) % slots_.size();
    --count_;
    return j;
  }

 private:
  void grow() {
    std::vector<thread_pool::job> bigger(std::max<std::size_t>(64, 2 * slots_.size()));
    for (std::size_t k = 0; k < count_; ++k) {
      bigger[k] = std::move(slots_[(head_ + k) % slots_.size()]);
    }
    slots_ = std::move(bigger);
    head_ = 0;
  }
  std::vector<thread_pool::job> slots_;
  std::size_t head_ = 0;
  std::size_t count_ = 0;
};

}  // namespace pool_parts

struct thread_pool::state {
  /// Where one worker sleeps when the queue is empty.
  struct sleeper {
    std::condition_variable_any wake;
    bool woken = false;  // set under mutex by whoever wakes it
  };

  explicit state(std::size_t workers) : sleepers(std::make_unique<sleeper[]>(workers)) {
    asleep.reserve(workers);  // post() and the workers never allocate for it
    threads.reserve(workers);
  }

  void work(std::size_t worker);
  /// Under mutex: a sleeping worker to wake for a queued job (taken off the list), or nullptr
  /// when a worker is spinning (it will take the job) or none sleeps.
  sleeper* take_sleeper() noexcept;
  /// Lets the workers finish the queue, wakes the sleeping ones and joins them all.
  void stop_and_join() noexcept;

  pool_parts::adaptive_mutex mutex;
  std::condition_variable_any idle;  // signalled when the pool drains
  pool_parts::job_ring queue;
  // !queue.empty(), read without the lock by the spinner; written only when that changes, so
  // a run of posts does not keep taking the spinner's cache line away.
  std::atomic<bool> has_work{false};
  bool spinning = false;                // a worker is watching has_work before it sleeps
  static constexpr int kSpins = 1000;   // pause instructions a spinner waits: about 2-10 us
  std::size_t running = 0;              // jobs taken but not finished
  std::unique_ptr<sleeper[]> sleepers;  // one per worker
  std::vector<std::size_t> asleep;      // workers sleeping now, the latest last
  bool stopping = false;
  std::vector<std::thread> threads;
};

thread_pool::thread_pool(std::size_t workers) {
  if (workers == 0) throw std::invalid_argument("thread_pool: workers must be at least 1 (got 0)");
  state_ = std::make_unique<state>(workers);
  state* s = state_.get();
  for (std::size_t w = 0; w < workers; ++w) {
    try {
      s->threads.emplace_back([s, w] { s->work(w); });
    } catch (const std::system_error& e) {
      s->stop_and_join();  // the workers already started
      throw std::system_error(e.code(), "thread_pool: could not start worker thread " +
                                            std::to_string(w + 1) + " of " +
                                            std::to_string(workers));
    }
  }
}

thread_pool::~thread_pool() { state_->stop_and_join(); }

std::size_t thread_pool::size() const noexcept { return state_->threads.size(); }

void thread_pool::state::stop_and_join() noexcept {
  {
    std::lock_guard lock(mutex);
    stopping = true;
    for (const std::size_t w : asleep) {
      sleepers[w].woken = true;
      sleepers[w].wake.notify_one();
    }
    asleep.clear();
  }
  for (auto& t : threads) t.join();  // each drains the queue before it sees stopping
  threads.clear();
}

void thread_pool::post(job j) {
  state& s = *state_;
  state::sleeper* wake = nullptr;
  {
    std::lock_guard lock(s.mutex);
    s.queue.push(std::move(j));
    if (s.queue.size() == 1) s.has_work.store(true, std::memory_order_relaxed);
    // A spinning worker takes the job; otherwise wake one sleeper, and take it off the list: the
    // next post() does not wake it again. A busy pool takes the job when a current one ends, and
    // no one is woken - a futex call saved, which is most of what dispatching costs.
    wake = s.take_sleeper();
  }
  if (wake != nullptr) wake->wake.notify_one();  // sleepers live as long as the pool
}

thread_pool::state::sleeper* thread_pool::state::take_sleeper() noexcept {
  if (spinning || asleep.empty()) return nullptr;
  sleeper* s = &sleepers[asleep.back()];
  asleep.pop_back();
  s->woken = true;
  return s;
}

void thread_pool::wait_idle() {
  state& s = *state_;
  std::unique_lock lock(s.mutex);
  s.idle.wait(lock, [&s] { return s.queue.empty() && s.running == 0; });
}

void thread_pool::state::work(std::size_t worker) {
  sleeper& me = sleepers[worker];
  job next;
  bool finished_one = false;
  for (;;) {
    sleeper* wake = nullptr;
    {
      std::unique_lock lock(mutex);
      // One critical section per job: the end of the previous job and the start of the next
      // (the lock is what dispatching costs; taking it once instead of twice per job matters).
      if (finished_one) {
        --running;
        if (queue.empty() && running == 0) idle.notify_all();
      }
      bool spun = false;
      while (queue.empty() && !stopping) {
        if (!spun && !spinning) {
          // Before sleeping, one worker at a time watches the queue for a moment: a post that
          // comes within it costs no wake-up (a sleep and a wake are two system calls and a
          // few microseconds here). Only one: on few cores a second spinner would take the CPU
          // from the thread that posts.
          spinning = true;
          lock.unlock();
          for (int i = 0; i < kSpins && !has_work.load(std::memory_order_relaxed); ++i) {
            detail::cpu_relax();
          }
          lock.lock();
          spinning = false;
          spun = true;
          continue;
        }
        me.woken = false;
        asleep.push_back(worker);
        me.wake.wait(lock, [&me] { return me.woken; });
      }
      if (queue.empty()) return;  // stopping, and nothing left to do
      next = queue.pop();
      if (queue.empty()) has_work.store(false, std::memory_order_relaxed);
      ++running;
      // Jobs posted while this worker spun found no one to wake: pass the next one on.
      if (!queue.empty()) wake = take_sleeper();
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
    // A job captures two words (this batch and its task's index): it fits std::function's
    // inline buffer, so posting a task allocates nothing.
    struct batch {
      thread_pool_executor* self;
      std::span<const task> tasks;
      std::vector<task_record>* records;
      void run(std::size_t i, std::size_t worker) const {
        no_hooks hooks;
        run_task(tasks[i], worker, hooks, (*records)[i], self->lane(worker), self->edges());
      }
    };
    const batch b{this, tasks, &result.records};
    thread_pool pool(options.workers);
    if (result.after.empty()) {
      for (std::size_t i = 0; i < tasks.size(); ++i) {
        pool.post([at = &b, i](std::size_t worker) { at->run(i, worker); });
      }
      pool.wait_idle();
      return;
    }
    // A graph: a finished task posts the successors it released; a blocked one is finished
    // failed without running, which releases its own.
    struct graph_batch {
      const batch* b;
      dependency_tracker graph;
      thread_pool* pool;
      void run(std::size_t i, std::size_t worker) {
        auto& record = (*b->records)[i];
        if (!graph.skip_blocked(b->tasks[i], record)) b->run(i, worker);
        graph.finish(i, record.ok, [this](std::size_t s) { post(s); });
      }
      void post(std::size_t i) {
        pool->post([this, i](std::size_t worker) { run(i, worker); });
      }
    } g{&b, dependency_tracker(tasks), &pool};
    for (const std::size_t i : g.graph.roots()) g.post(i);
    pool.wait_idle();
  }
};

}  // namespace

std::unique_ptr<executor> make_thread_pool() { return std::make_unique<thread_pool_executor>(); }

}  // namespace detail
}  // namespace parlab
