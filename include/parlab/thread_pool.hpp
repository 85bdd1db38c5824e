#pragma once
/// @file parlab's own thread pool: W long-lived workers taking jobs from one shared queue.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

namespace parlab {

/// A fixed-size pool of std::jthread workers fed from one FIFO queue under one mutex.
/// Deliberately plain: the point is to be readable and to be measured against oneTBB.
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
  void work(std::stop_token stop, std::size_t worker);

  std::mutex mutex_;
  std::condition_variable_any has_work_;  // signalled on post() and on stop
  std::condition_variable idle_;          // signalled when the pool drains
  std::deque<job> queue_;
  std::size_t running_ = 0;            // jobs taken but not finished
  std::size_t sleeping_ = 0;           // workers waiting for work: post() wakes one only then
  std::vector<std::jthread> workers_;  // last member: joined first, before the queue dies
};

}  // namespace parlab
