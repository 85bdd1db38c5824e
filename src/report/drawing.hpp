#pragma once
// Internal: what every picture of a run shares — which run has a timeline, its workers and CPUs,
// the title and figures, task colours and glyphs.

#include <parlab/experiment.hpp>
#include <parlab/graph_analysis.hpp>
#include <parlab/switch_records.hpp>
#include <parlab/timeline_analysis.hpp>

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parlab::detail {

/// A duration for a table: "850us", "12.3ms", "1.25s".
[[nodiscard]] std::string short_seconds(double s);

/// True when the run kept its timeline (there is something to draw).
[[nodiscard]] bool has_timeline(const measured_run& run) noexcept;

/// Lanes to draw: 0..workers-1, plus any worker id seen in the events beyond that.
[[nodiscard]] std::size_t lane_count(const measured_run& run) noexcept;

/// Where the run's picture ends: its end, or its last event's if later (a saved run's clock).
[[nodiscard]] std::int64_t timeline_end(const measured_run& run) noexcept;

/// What a lane is called: "slot" for process models (a process at a time), else "worker".
[[nodiscard]] std::string_view lane_noun(const measured_run& run) noexcept;

/// What lane `worker` is called in pictures: "worker 3" / "slot 3", or for an MPI run
/// "host · rank 4" (the host name cut to `host_chars` characters, with an ellipsis).
[[nodiscard]] std::string lane_label(const measured_run& run, std::size_t worker,
                                     std::size_t host_chars = 24);

/// For an MPI run, one sentence on its hosts and clocks, the manager rank and the messages:
/// "1 host (vm: ranks 0-2); rank 0 managed, using 2.4 ms of CPU (0.5% of a core); 20 messages,
/// none received before it was sent". Empty for other runs.
[[nodiscard]] std::string cluster_caption(const measured_run& run);

/// CPU ids the run's slices ran on, ascending.
[[nodiscard]] std::vector<int> cpus_used(const measured_run& run);

/// "threads · cpu · W=2".
[[nodiscard]] std::string run_name(const measured_run& run);

/// "parallel: avg parallelism 1.96, peak 2 running / 2 in flight, 8 tasks, wall 217.2 ms".
[[nodiscard]] std::string run_figures(const measured_run& run);

/// "ideal 94% · ok 0% · poor 5% · idle 1%": the share of the wall time in each band.
[[nodiscard]] std::string busy_in_words(const busy_bands& b);

/// The workers' time summed over every lane, or nullopt when the run has no split.
[[nodiscard]] std::optional<time_split> all_workers_time(const measured_run& run);

/// "running 52% · sleep 31% · preempted 9% · idle 6%": reasons by share of `split`, largest
/// first, those under half a percent left out.
[[nodiscard]] std::string time_split_in_words(const time_split& split);

/// "12 migrations; shortest stretch 3us; 236 records, none lost": what every line about the
/// kernel's switch records (`--exact`) ends with.
[[nodiscard]] std::string switch_records_in_words(const switch_schedule& x);

/// "lock 0: taken 128 times, 47% contended, waited 310 ms (median 2.10 ms, max 9.8 ms), held
/// 240 ms (median 1.90 ms)".
[[nodiscard]] std::string lock_in_words(const lock_stats& lock);

/// Bytes in a few characters: "684K", "11.5M", "1.25G"; "-" for a negative (unknown) count.
[[nodiscard]] std::string bytes_short(std::int64_t bytes);

/// "peak RSS 7.6M; 4 child processes: RSS 11.5M, PSS 2.3M, USS 684K" (the children part only for
/// process models).
[[nodiscard]] std::string memory_in_words(const measured_run& run);

/// The colour a wait reason is drawn with in the SVG and HTML pictures.
[[nodiscard]] std::string_view reason_colour(time_reason reason) noexcept;

/// One sentence on what the verdict means in the picture.
[[nodiscard]] std::string verdict_explanation(const measured_run& run);

/// A character naming task `id` in text pictures: 0-9, A-Z, a-z, then again.
[[nodiscard]] char task_glyph(std::uint32_t id) noexcept;

/// What a wait of kind `kind` was, for labels: "sleep", "blocking call", "asynchronous I/O".
[[nodiscard]] std::string_view wait_description(wait_kind kind) noexcept;

/// A hue in degrees for task `id`, spread by the golden angle so neighbours differ.
[[nodiscard]] int task_hue(std::uint32_t id) noexcept;

/// One task of a graph run's critical path as it ran: its worker, when its predecessor on the
/// path ended (its own start for the first), when it started and ended.
struct critical_step {
  std::uint32_t task = 0;
  std::size_t worker = 0;
  std::int64_t ready_ns = 0;
  std::int64_t start_ns = 0;
  std::int64_t end_ns = 0;
};

/// A run recorded with `--exact`: the slices of its lanes by the thread that ran them (a slice
/// lies on one CPU inside one stretch of its thread). Empty without switch records.
[[nodiscard]] std::map<std::int32_t, std::vector<const event*>> slices_by_thread(
    const run_result& rep);

/// Names the threads of a run recorded with `--exact`: a watch's by its lanes ("<name> <tid>"),
/// a run's main thread and workers by the lanes whose slices they ran ("worker 0 (tid 412)"),
/// else by the name their process took at exec, else by number.
class thread_labels {
 public:
  explicit thread_labels(const measured_run& run);
  [[nodiscard]] std::string operator()(std::int32_t pid, std::int32_t tid) const;

 private:
  const measured_run& run_;
  std::map<std::int32_t, std::vector<const event*>> slices_;
};

/// Where a critical path's time went, by thread or by process (whichever `key` gives: a step's
/// tid or pid), the largest first: nanoseconds by path_step::kind.
struct path_share {
  std::int32_t key = 0;  ///< a tid or a pid
  std::int32_t pid = 0;
  std::array<std::int64_t, 4> ns{};
  [[nodiscard]] std::int64_t total() const noexcept { return ns[0] + ns[1] + ns[2] + ns[3]; }
};
[[nodiscard]] std::vector<path_share> path_shares(const std::vector<path_step>& steps,
                                                  bool by_thread);

/// "running 626 ms · preempted 30.5 ms · ready 1.9 ms" for one share.
[[nodiscard]] std::string path_share_in_words(const path_share& share);

/// A run's or watch's critical path (switch records with every wake-up: `--exact` as root),
/// by thread, the largest share first; no rows without wake-ups.
struct thread_path_share {
  std::string thread;  ///< thread_labels' name
  double percent = 0;  ///< of the path
  std::string parts;   ///< path_share_in_words
};
struct program_path {
  std::int64_t span_ns = 0;
  std::vector<thread_path_share> rows;
};
[[nodiscard]] program_path program_path_by_thread(const measured_run& run);

/// The critical path of a graph run (run.graph) that kept its records, first task to last; tasks
/// that never ran are left out. For a run or watch recorded with every wake-up (`--exact` as
/// root), the program's critical path (critical_path from its first thread's end): each stretch
/// of it that ran on a lane, with that lane's task. Else empty.
[[nodiscard]] std::vector<critical_step> critical_steps(const measured_run& run);

/// A pipeline run's items in flight over time (items_in_flight), with the run's tokens: what the
/// timelines draw as its queue's occupancy. Empty steps for a run that is not the pipeline
/// workload or kept no records.
struct pipeline_occupancy {
  std::size_t tokens = 0;
  std::size_t peak = 0;
  std::vector<step_point> steps;
};
[[nodiscard]] pipeline_occupancy occupancy_of(const measured_run& run);

/// Milliseconds with a sensible precision: "0.40 ms", "12.5 ms", "430 ms".
[[nodiscard]] std::string millis(double seconds);

}  // namespace parlab::detail
