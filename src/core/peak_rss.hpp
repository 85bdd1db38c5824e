#pragma once
// Internal: the peak resident memory of one run, not of the process's whole life. Linux keeps
// a high-water mark per process (VmHWM) that /proc/self/clear_refs can reset, and gives each
// reaped child's own peak through wait4(); a run's peak is the larger of the two since its start.

#include <cstdint>

namespace parlab::detail {

/// Starts a new measurement: resets this process's high-water mark to its current resident size
/// and forgets the children's peaks. False when the kernel refused the reset (then the process's
/// lifetime peak is what peak_rss_since_reset() can see). Not thread-safe (one run at a time).
bool reset_peak_rss() noexcept;

/// The largest resident size since reset_peak_rss(), in bytes: this process's high-water mark
/// or the largest child reaped since, whichever is larger.
[[nodiscard]] std::int64_t peak_rss_since_reset() noexcept;

/// A reaped child's peak resident size (wait4's ru_maxrss, in bytes). Thread-safe,
/// async-signal-safe.
void note_child_peak_rss(std::int64_t bytes) noexcept;

}  // namespace parlab::detail
