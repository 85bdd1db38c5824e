#pragma once
/// @file An emulated global interpreter lock with CPython's hand-off rules (Python/ceval_gil.c).

#include <parlab/executor.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

namespace parlab {

/// CPython's "new GIL" (3.2+), in miniature:
/// - a thread must hold the lock to compute; a blocking wait releases it;
/// - a thread that wants the lock waits up to the switch interval; if no switch happened in that
///   time it sets a drop request;
/// - the holder checks the request between small compute chunks (as the interpreter does between
///   bytecodes) and, when set, releases the lock and waits until another thread has taken it
///   (FORCE_SWITCHING), so the requester really gets its turn.
/// All members are thread-safe.
class emulated_gil {
 public:
  /// @param workers number of threads that will use the lock (ids 0..workers-1)
  emulated_gil(std::size_t workers, std::chrono::nanoseconds switch_interval);

  /// Blocks until `worker` holds the lock.
  void acquire(std::size_t worker);
  /// Releases the lock held by `worker` (a voluntary release: no forced switch).
  void release(std::size_t worker);
  /// If another thread asked for the lock, hands it over and blocks until it is back.
  void yield_if_requested(std::size_t worker);

  /// Cheap check the holder makes between compute chunks.
  [[nodiscard]] bool drop_requested() const noexcept {
    // relaxed: this is only a hint; the hand-off itself is ordered by mutex_.
    return drop_request_.load(std::memory_order_relaxed);
  }

  /// Number of times the lock changed hands because of a drop request.
  [[nodiscard]] std::uint64_t forced_switches() const;
  /// Every interval a worker held the lock. Call after all workers stopped.
  [[nodiscard]] std::vector<lock_hold> holds() const;

 private:
  void take_locked(std::unique_lock<std::mutex>& lock, std::size_t worker);
  void drop_locked(std::size_t worker);

  const std::chrono::nanoseconds interval_;
  mutable std::mutex mutex_;
  std::condition_variable free_;      // lock became free
  std::condition_variable switched_;  // someone else took the lock (for forced switching)
  bool locked_ = false;
  std::size_t holder_ = 0;
  std::uint64_t switch_number_ = 0;  // bumped on every acquisition
  std::uint64_t forced_switches_ = 0;
  std::atomic<bool> drop_request_{false};
  std::vector<std::int64_t> held_since_;       // per worker; guarded by mutex_
  std::vector<std::vector<lock_hold>> holds_;  // per worker; guarded by mutex_
};

}  // namespace parlab
