#pragma once
/// @file parlab's own thread pool: W long-lived workers taking jobs from one shared queue.

#include <cstddef>
#include <functional>
#include <future>
#include <memory>
#include <type_traits>

namespace parlab {

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
  /// block on the job. A job must not throw (wrap it; submit() does). A job whose captures fit
  /// std::function's inline buffer (two pointers, trivially copyable) is queued without any heap
  /// allocation once the queue has grown to the batch's size: the executor's jobs are.
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
  [[nodiscard]] std::size_t size() const noexcept;

 private:
  struct state;  // the queue, its lock, the sleepers and the threads
                 // (src/executors/thread_pool.cpp)
  std::unique_ptr<state> state_;
};

}  // namespace parlab
