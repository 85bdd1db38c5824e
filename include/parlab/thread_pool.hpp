#pragma once
/// @file parlab's own thread pool: W long-lived workers taking jobs from one shared queue.

#include <pthread.h>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

namespace parlab {
namespace detail {

/// A mutex that spins a little before it sleeps (glibc's adaptive mutex): a waiter whose holder
/// is running on another core - the common case for the pool's few-instruction critical
/// sections - gets the lock without the two system calls of a sleep and a wake-up.
class adaptive_mutex {
 public:
  adaptive_mutex() noexcept;
  ~adaptive_mutex();
  adaptive_mutex(const adaptive_mutex&) = delete;
  adaptive_mutex& operator=(const adaptive_mutex&) = delete;
  void lock() noexcept;
  void unlock() noexcept;
  [[nodiscard]] bool try_lock() noexcept;

 private:
  pthread_mutex_t mutex_;
};

}  // namespace detail

/// A fixed-size pool of worker threads fed from one FIFO queue under one mutex (an adaptive one:
/// it spins briefly before sleeping). A worker that finds the queue empty first watches it for a
/// few microseconds - one worker at a time - then sleeps on a condition variable of its own;
/// post() wakes exactly one sleeper (the one that slept last), never one already woken, and
/// nobody while a worker watches. Deliberately plain: the point is to be readable and to be
/// measured against oneTBB (docs/performance.md).
class thread_pool {
 public:
  using job = std::function<void(std::size_t worker)>;

  /// Starts `workers` threads (at least one). Throws std::invalid_argument for 0.
  explicit thread_pool(std::size_t workers);
  thread_pool(const thread_pool&) = delete;
  thread_pool& operator=(const thread_pool&) = delete;
  /// Finishes every queued job, then joins the workers. Never throws.
  ~thread_pool();

  /// Queues a job; it is called with the index of the worker that runs it. Thread-safe, does not
  /// block on the job. A job must not throw (wrap it; submit() does).
  void post(job j);

  /// Queues `fn` and returns a future for its result (exceptions travel through the future).
  /// Thread-safe, does not block on the job.
  template <class F>
  [[nodiscard]] auto submit(F&& fn) -> std::future<std::invoke_result_t<F&>> {
    using result = std::invoke_result_t<F&>;
    auto packaged = std::make_shared<std::packaged_task<result()>>(std::forward<F>(fn));
    auto future = packaged->get_future();
    post([packaged](std::size_t) { (*packaged)(); });
    return future;
  }

  /// Blocks until the queue is empty and no job is running. Thread-safe.
  void wait_idle();

  /// Number of worker threads.
  [[nodiscard]] std::size_t size() const noexcept { return workers_.size(); }

 private:
  /// Where one worker sleeps when the queue is empty.
  struct sleeper {
    std::condition_variable_any wake;
    bool woken = false;  // set under mutex_ by whoever wakes it
  };

  void work(std::size_t worker);
  /// Under mutex_: a sleeping worker to wake for a queued job (taken off the list), or nullptr
  /// when a worker is spinning (it will take the job) or none sleeps.
  sleeper* take_sleeper() noexcept;
  /// Lets the workers finish the queue, wakes the sleeping ones and joins them all.
  void stop_and_join() noexcept;

  detail::adaptive_mutex mutex_;
  std::condition_variable_any idle_;  // signalled when the pool drains
  std::deque<job> queue_;
  // !queue_.empty(), read without the lock by the spinner; written only when that changes, so
  // a run of posts does not keep taking the spinner's cache line away.
  std::atomic<bool> has_work_{false};
  bool spinning_ = false;                // a worker is watching has_work_ before it sleeps
  static constexpr int kSpins = 1000;    // pause instructions a spinner waits: about 2-10 us
  std::size_t running_ = 0;              // jobs taken but not finished
  std::unique_ptr<sleeper[]> sleepers_;  // one per worker
  std::vector<std::size_t> asleep_;      // workers sleeping now, the latest last
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace parlab
