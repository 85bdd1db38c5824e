#pragma once
// Internal: the perf events `--exact` opens for the switch records (src/core/switch_collector.cpp),
// in one place, so what bench/exact_bench measures as the kernel's floor is the very same events.

#include <linux/perf_event.h>
#include <sys/types.h>

#include <cstddef>

namespace parlab::detail {

/// A dummy software event with context-switch, exec-name and fork/exit records, inherited by what
/// the recorded thread starts, user space only (what perf_event_paranoid 2 allows), on
/// CLOCK_MONOTONIC, opened disabled, waking a reader when a quarter of `buffer_bytes` is written.
[[nodiscard]] perf_event_attr switch_event_attr(std::size_t buffer_bytes) noexcept;

/// perf_event_open(2) for thread `tid` (0: the caller) on `cpu` (-1: any), close-on-exec: the
/// descriptor, or -1 with errno set.
[[nodiscard]] int open_perf_event(perf_event_attr& attr, pid_t tid, int cpu) noexcept;

}  // namespace parlab::detail
