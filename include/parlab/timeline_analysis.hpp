#pragma once
/// @file Pure functions over a recorded timeline: tasks in flight and running over time, peaks,
/// average parallelism, queue latency, GIL wait share, and the run's verdict.

#include <parlab/timeline.hpp>
#include <parlab/verdict.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace parlab {

/// A step of a step function: from t_ns on (until the next point), `count` holds.
struct step_point {
  std::int64_t t_ns = 0;
  std::size_t count = 0;
};

/// How many tasks were in flight (started, not finished: `task` events) over time. Intervals are
/// half-open, so a task starting when another ends does not overlap it. Pure.
[[nodiscard]] std::vector<step_point> tasks_in_flight(std::span<const event> events);

/// How many tasks were running (inside a `slice`) over time. Slices recorded on the same CPU
/// cannot really overlap (their edges are known to within one compute chunk), so overlapping
/// slices of one CPU count once: at most one task runs per busy CPU. Pure.
[[nodiscard]] std::vector<step_point> tasks_running(std::span<const event> events);

/// The share of [from, to) during which 0, 1, 2, ... CPUs ran the run's tasks (index = count of
/// CPUs; the shares sum to 1; a CPU counts once however many slices it ran at an instant). Empty
/// when to <= from. Pure.
[[nodiscard]] std::vector<double> cores_busy_shares(std::span<const event> events,
                                                    std::int64_t from, std::int64_t to);

/// How busy the cores were, in the bands VTune draws, relative to the usable cores: idle (no CPU
/// ran a task), poor (up to half of them), ok (up to 85%), ideal (more). Shares of the wall time.
struct busy_bands {
  double idle = 0.0, poor = 0.0, ok = 0.0, ideal = 0.0;
};

/// The bands of cores_busy_shares' output for `cores` usable cores. Pure.
[[nodiscard]] busy_bands bands_of(std::span<const double> shares, std::size_t cores) noexcept;

/// Why a worker (or a task) was or was not running at an instant: the wait reasons. An instant
/// goes to the first reason that holds there, in this order, so the reasons partition the time.
enum class time_reason : std::uint8_t {
  running,    ///< on a CPU (a slice)
  preempted,  ///< runnable, but the kernel gave its core to something else mid-compute
  ready,      ///< woken (after a wait, the GIL or a lock), waiting on the run queue for a CPU
  lock,       ///< waiting to take a named lock (a lock step)
  gil,        ///< waiting for the emulated GIL
  sleep,      ///< in a timed wait (ctx.wait: the io and mixed workloads' "I/O")
  io,         ///< in a blocking call (a download, a file) or an awaited asynchronous operation
  other,      ///< inside a task but none of the above (the recorder's own edges, a callable's
              ///< unrecorded waits)
  idle,       ///< a worker: no task on it; a task: queued, not on a worker yet
};
inline constexpr std::size_t time_reason_count = 9;

/// "running", "preempted", "ready", "lock", "gil", "sleep", "io", "other", "idle".
[[nodiscard]] std::string_view to_string(time_reason reason) noexcept;

/// Nanoseconds per reason (index = time_reason); they sum to the span split.
struct time_split {
  std::array<std::int64_t, time_reason_count> ns{};
  [[nodiscard]] std::int64_t& operator[](time_reason r) noexcept {
    return ns[static_cast<std::size_t>(r)];
  }
  [[nodiscard]] std::int64_t operator[](time_reason r) const noexcept {
    return ns[static_cast<std::size_t>(r)];
  }
  /// The span split (the sum of every reason).
  [[nodiscard]] std::int64_t total() const noexcept;
  /// Adds another split reason by reason.
  time_split& operator+=(const time_split& other) noexcept;
};

/// The splits summed reason by reason (every worker of a run together). Pure.
[[nodiscard]] time_split summed(std::span<const time_split> splits) noexcept;

/// Where each worker lane's time went over [from, to): index = worker (at least `workers` lanes,
/// more if events name higher ones), each summing to to - from exactly. Pure.
[[nodiscard]] std::vector<time_split> worker_time_split(std::span<const event> events,
                                                        std::size_t workers, std::int64_t from,
                                                        std::int64_t to);

/// Where each task's time went, from when it was queued (idle: not on a worker yet; without a
/// queued event, from its start) to when it finished; tasks in id order. Pure.
[[nodiscard]] std::vector<std::pair<std::uint32_t, time_split>> task_time_split(
    std::span<const event> events);

/// One shared lock's contention over a run, from its lock_wait / lock_hold events.
struct lock_stats {
  std::uint32_t lock = 0;          ///< its number (lock_number)
  std::string name;                ///< its name (lock_name; filled by the experiment)
  std::uint64_t acquisitions = 0;  ///< times it was taken (holds recorded)
  std::uint64_t contended = 0;     ///< of those, the ones that had to wait for it
  /// Waits of the contended acquisitions, from asking to holding (the run-queue delay after the
  /// wake-up included): sum, median, largest.
  std::int64_t wait_total_ns = 0, wait_median_ns = 0, wait_max_ns = 0;
  std::int64_t hold_total_ns = 0, hold_median_ns = 0, hold_max_ns = 0;  ///< critical sections
};

/// Every lock the events name, the most waited-for first (by total wait, then by number). Pure.
[[nodiscard]] std::vector<lock_stats> lock_statistics(std::span<const event> events);

/// Largest count a step function holds for at least `min_hold_ns` (0: any instant; the last
/// point holds forever). Pure.
[[nodiscard]] std::size_t peak(std::span<const step_point> steps,
                               std::int64_t min_hold_ns = 0) noexcept;

/// Slice edges are known to within one compute chunk, so two slices of one core may seem to
/// overlap for a few microseconds; peak_running ignores overlaps shorter than this.
inline constexpr std::int64_t running_overlap_min_ns = gap_min_ns;

/// Everything the timeline says about a run with `workers` workers on `cores` usable cores:
/// peaks (peak_running ignoring overlaps under running_overlap_min_ns), average parallelism (sum of
/// slices / span of tasks), the verdict (same rule as classify), queue latency, preemptions, waits,
/// and (when the timeline has GIL events) the share of the workers' time spent waiting for the
/// lock. Pure.
///
/// `lane_uncertainty_ns` (optional, per worker lane): how far a lane's times may be off the run's
/// clock (an MPI rank on another host, after clock alignment). The peaks count an overlap only
/// where it holds with every event of such a lane shrunk by its uncertainty at both ends, so no
/// verdict calls two hosts' intervals simultaneous when the clocks cannot vouch for it; sums
/// (running, waiting, average parallelism) are durations and stay as measured.
[[nodiscard]] concurrency_summary summarize(std::span<const event> events, std::size_t workers,
                                            std::size_t cores,
                                            std::span<const std::int64_t> lane_uncertainty_ns = {});

}  // namespace parlab
