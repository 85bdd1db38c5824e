#pragma once
/// @file The verdict: was a run serial, concurrent, parallel, or both? A pure function.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace parlab {

/// The four answers the classic pictures draw.
enum class verdict {
  serial,               ///< never two tasks in flight at once
  concurrent,           ///< several tasks in flight, but they took turns on the CPU
  parallel,             ///< tasks ran at the same instant, each with a core of its own
  concurrent_parallel,  ///< both: at once on several cores, and more in flight than cores
};

/// "serial", "concurrent", "parallel", "concurrent+parallel".
[[nodiscard]] std::string_view to_string(verdict v) noexcept;
/// The verdict spelled `name` (as to_string spells it), or nullopt.
[[nodiscard]] std::optional<verdict> verdict_from_string(std::string_view name) noexcept;

/// When one task was in flight, and how much CPU it used meanwhile.
struct task_interval {
  std::int64_t start_ns = 0;
  std::int64_t end_ns = 0;
  std::int64_t cpu_ns = 0;
};

/// Median and maximum of a set of durations, in seconds.
struct latency_summary {
  double median = 0.0;
  double max = 0.0;
};

/// What the intervals (or the recorded timeline) of one run say about it.
struct concurrency_summary {
  std::size_t peak_in_flight = 0;  ///< most tasks started and not yet ended at one instant
  /// Most tasks running (in a slice, on a CPU) at one instant; 0 without a timeline.
  std::size_t peak_running = 0;
  /// Running time / span from first start to last end. From a timeline, running time is the sum
  /// of slices; from task intervals alone it is the tasks' CPU time.
  double avg_parallelism = 0.0;
  double span_seconds = 0.0;
  verdict result = verdict::serial;
  bool from_timeline = false;  ///< true: computed from recorded events (summarize)
  // The rest is known only from a timeline.
  latency_summary queue_latency_seconds;    ///< queued -> started, over tasks
  std::optional<double> gil_wait_fraction;  ///< share of workers' time spent waiting for the GIL
  double running_seconds = 0.0;             ///< sum of slices
  double preempted_seconds = 0.0;           ///< sum of gaps where the kernel took the core away
  double waiting_seconds = 0.0;             ///< sum of waits (blocked, not using the CPU)
  std::size_t preemptions = 0;              ///< number of gaps
};

/// Average parallelism above this means tasks used more than one core at the same instant.
/// (CPU time can only exceed wall time if two tasks computed simultaneously; the margin absorbs
/// clock granularity and the time a worker spends outside tasks.)
inline constexpr double parallel_threshold = 1.2;

/// Classifies a run from its task intervals:
/// - serial when at most one task is ever in flight;
/// - parallel when avg_parallelism > parallel_threshold and never more tasks in flight than
///   `cores` (each could have had its own core);
/// - concurrent+parallel when parallel and more tasks were in flight than cores (some had to take
///   turns);
/// - concurrent otherwise (several in flight, no more than about one core's worth of CPU used).
/// Pure: no clock, no I/O.
[[nodiscard]] concurrency_summary classify(std::span<const task_interval> intervals,
                                           std::size_t cores);

/// The rule classify() and summarize() share (see classify). Pure.
[[nodiscard]] verdict decide(std::size_t peak_in_flight, double avg_parallelism,
                             std::size_t cores) noexcept;

}  // namespace parlab
