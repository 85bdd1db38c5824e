#pragma once
/// @file One monotonic clock for every worker, thread or process, on this host.

#include <cstdint>

namespace parlab {

/// Nanoseconds on CLOCK_MONOTONIC. Thread-safe, never blocks; comparable across processes on
/// the same host, which is what lets a forked child's task record line up with the parent's.
[[nodiscard]] std::int64_t monotonic_ns() noexcept;

/// CPU time consumed so far by the calling thread, in nanoseconds. Thread-safe, never blocks.
[[nodiscard]] std::int64_t thread_cpu_ns() noexcept;

/// How long the calling thread has been runnable but waiting on a run queue for a CPU, in
/// nanoseconds (the second field of /proc/thread-self/schedstat), or -1 when the kernel does not
/// say. One pread of a file kept open per thread (~0.6 us here); a forked child reopens its own.
[[nodiscard]] std::int64_t thread_run_delay_ns() noexcept;

/// Seconds from a nanosecond count.
[[nodiscard]] constexpr double to_seconds(std::int64_t ns) noexcept {
  return static_cast<double>(ns) * 1e-9;
}

}  // namespace parlab
