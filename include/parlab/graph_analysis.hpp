#pragma once
/// @file Work, span and the critical path of a task graph's run, from its records (pure).

#include <parlab/executor.hpp>
#include <parlab/timeline_analysis.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace parlab {

/// What a task graph's run says about the graph and about the model that ran it.
struct graph_figures {
  std::size_t tasks = 0;
  std::size_t edges = 0;
  /// T1: the tasks' measured durations summed, seconds: end - start, less the time a task
  /// waited for an interpreter lock (gil-threads: the other tasks' compute, not its own).
  double work_seconds = 0.0;
  /// T-infinity: the longest chain of tasks through the graph by those durations, seconds.
  double span_seconds = 0.0;
  /// T1 / T-infinity: how many processors the graph could keep busy on average (0 without work).
  double parallelism = 0.0;
  /// A longest chain, first task to last (ids): speeding up a task off it cannot shorten the
  /// span until its slack is used up.
  std::vector<std::size_t> critical_path;
  /// Their labels, when the tasks were at hand (run_experiment fills them); else empty.
  std::vector<std::string> critical_labels;
  /// Per task: how much longer it could take before the span grows, seconds (0 on the path).
  std::vector<double> slack_seconds;
  /// P: the processors the bounds assume, min(W, usable cores).
  std::size_t processors = 0;
  /// Brent's bounds for a greedy schedule on P processors that costs nothing to run:
  /// max(T1 / P, T-infinity) <= T_P <= T1 / P + T-infinity.
  double lower_bound_seconds = 0.0;
  double upper_bound_seconds = 0.0;
  double wall_seconds = 0.0;  ///< the run's measured wall time
  /// The chain that decided the run's end, as it really ran: from the task that ended last,
  /// back through the predecessor whose end let it start (the one that ended last), to a task
  /// that waited for none. Its tasks' running time and the time they spent ready but not yet
  /// started (waiting for a free worker, or the model's dispatch: the run's measured burden).
  std::vector<std::size_t> last_chain;
  double last_chain_running_seconds = 0.0;
  double last_chain_waiting_seconds = 0.0;
  /// Everything before the first task of that chain started (the model's start-up).
  double start_seconds = 0.0;
  /// The model's own cost per task, measured with empty tasks before the run (dispatch and
  /// result back, `parlab overhead`'s "per task"); 0 when not measured.
  double per_task_cost_seconds = 0.0;
  /// Cilkview's burdened figures with that cost measured instead of assumed: the longest chain
  /// when every task also pays it, and the work (with the cost) over that span - how many
  /// processors the graph can keep busy under this model. 0 when the cost was not measured.
  double burdened_span_seconds = 0.0;
  double burdened_parallelism = 0.0;
  /// The data handed along the edges (task::output_bytes): made, read, copied between
  /// processes, held at most at once. All 0 when the tasks hand none.
  edge_traffic edge_bytes;
  /// How the model ordered the graph, when it has more than one way (run_result::graph_runner).
  std::string runner;
  /// Brent's upper bound with the cost paid: burdened work / P + burdened span (0 when the cost
  /// was not measured). A wall above upper_bound_seconds but within this one is the model's
  /// cost per task, not a scheduling loss.
  double burdened_upper_bound_seconds = 0.0;

  /// Where the wall lies: -1 below the lower bound, 0 within, +1 above the upper one.
  [[nodiscard]] int against_bounds() const noexcept {
    if (wall_seconds < lower_bound_seconds) return -1;
    return wall_seconds > upper_bound_seconds ? 1 : 0;
  }
  /// In words: "below", "in", "in with its cost" (above the upper bound, within the burdened
  /// one), "above".
  [[nodiscard]] const char* place_in_bounds() const noexcept {
    const int at = against_bounds();
    if (at <= 0) return at < 0 ? "below" : "in";
    return wall_seconds <= burdened_upper_bound_seconds ? "in with its cost" : "above";
  }
};

/// Work, span, the critical path, slack and Brent's bounds of `run` (a graph: run.after is not
/// empty, and its records are kept), for P = min(W, `cores`); nullopt for a bag of tasks or
/// without records. A task that never ran counts as taking no time.
[[nodiscard]] std::optional<graph_figures> analyse_graph(const run_result& run, std::size_t cores);

/// A pipeline's run (the pipeline workload: item i's stage s is task i * stages + s) against its
/// limits: the slowest serial stage (one item at a time), the tokens (at most that many items in
/// flight, each taking the item latency), the cores (each item's work over P).
struct pipeline_figures {
  std::size_t items = 0;
  std::size_t stages = 0;
  std::size_t tokens = 0;
  double throughput = 0.0;         ///< items per second over the run's wall time
  double serial_limit = 0.0;       ///< 1 / the slowest serial stage's mean time
  double token_limit = 0.0;        ///< tokens / an item's latency (its stages' mean times summed)
  double core_limit = 0.0;         ///< P / an item's work
  std::size_t peak_in_flight = 0;  ///< most items between their first stage's start and last's end
  double mean_in_flight = 0.0;     ///< the same, averaged over the run's wall time
  /// The limit that binds: "serial stage", "tokens" or "cores".
  [[nodiscard]] std::string binding() const;
};

/// The figures of a pipeline run (records kept) with `stages` stages (the first and the last
/// serial) and `tokens` tokens, on P = min(W, cores); nullopt without records or when the tasks
/// are not items x stages.
[[nodiscard]] std::optional<pipeline_figures> analyse_pipeline(const run_result& run,
                                                               std::size_t stages,
                                                               std::size_t tokens,
                                                               std::size_t cores);

/// Items in a pipeline run (item i's stage s is task i * stages + s, records kept) over time: +1
/// when an item's first task that ran starts, -1 when its last one ends (an item none of whose
/// tasks ran is left out); a leave before an enter at the same instant. Empty when the tasks are
/// not items x stages.
[[nodiscard]] std::vector<step_point> items_in_flight(const run_result& run, std::size_t stages);

/// Each task's time in `run`, seconds: end - start, less the time it waited for an interpreter
/// lock (gil-threads); 0 for one that never ran. What analyse_graph sums and predictions take
/// from a recorded run.
[[nodiscard]] std::vector<double> task_durations(const run_result& run);

/// The longest path through `after` with task i taking durations[i]: its length, the path (ids,
/// first to last) and every task's slack. What analyse_graph and the predictor share.
struct longest_path {
  double length = 0.0;
  std::vector<std::size_t> path;
  std::vector<double> slack;
};
[[nodiscard]] longest_path find_longest_path(const task_dependencies& after,
                                             const std::vector<double>& durations);

}  // namespace parlab
