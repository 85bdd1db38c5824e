#pragma once
// Internal: counts the threads parlab itself has started and not yet finished, so the executors
// that fork can check they fork from a single-threaded state (a fork copies only the calling
// thread; a lock held by another thread at that instant would stay locked forever in the child).

#include <cstddef>

namespace parlab::detail {

/// Number of parlab-started threads alive now. Thread-safe.
[[nodiscard]] std::size_t live_threads() noexcept;

/// Put one at the top of every thread parlab starts.
class live_thread_guard {
 public:
  live_thread_guard() noexcept;
  ~live_thread_guard();
  live_thread_guard(const live_thread_guard&) = delete;
  live_thread_guard& operator=(const live_thread_guard&) = delete;
};

}  // namespace parlab::detail
