#pragma once
/// @file Predictions for a task graph on P workers: a simulation of the graph under a model's
/// measured costs, Brent's bounds beside it, and what speeding up one task would change (pure).

#include <parlab/graph_analysis.hpp>
#include <parlab/overhead.hpp>
#include <parlab/task.hpp>
#include <parlab/task_graph.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parlab {

/// How a model's workers take ready tasks.
enum class scheduling : std::uint8_t {
  /// One queue: a free worker takes the task that became ready first (pools, threads, ...).
  one_queue,
  /// Work stealing (oneTBB): a worker keeps the tasks it released in a deque of its own and
  /// takes the newest; a worker whose deque is empty steals the oldest from another's.
  work_stealing,
};

[[nodiscard]] std::string_view to_string(scheduling s) noexcept;

/// What a model adds to a graph's run, measured (parlab overhead: empty tasks, W = 1).
struct model_costs {
  std::string executor;
  double start_seconds = 0.0;     ///< before the first task can start (workers created)
  double per_task_seconds = 0.0;  ///< on a worker, before each task (dispatch, result back)
  double finish_seconds = 0.0;    ///< after the last task ends (join, reap)
  scheduling schedule = scheduling::one_queue;  ///< executor_info::steals_work
};

/// A model's costs from its overhead figures (and its scheduling from the registry).
[[nodiscard]] model_costs costs_of(const overhead_figures& measured);

/// How much tasks computing at once slow each other on this machine (shared caches, memory
/// bandwidth, the hypervisor): a task's time with `cores` like it running at once over its time
/// alone, measured (measure_co_running). 1: no slowdown, or not measured.
struct co_running {
  std::size_t cores = 1;
  double slowdown = 1.0;
  std::string measured_with;  ///< the task it was measured with, in words; empty: not measured
  /// The factor with k tasks running at once: 1 for one, rising in proportion to `slowdown`
  /// at `cores`, and `slowdown` beyond (a bigger machine assumed to slow like this one at its
  /// cores).
  [[nodiscard]] double at(std::size_t k) const noexcept;
};

/// Measures co_running on this machine with `sample` (one task of the graph, taking about
/// `sample_seconds` alone): copies of it run one at a time, then `cores` at once, then one at a
/// time again (thread-pool; about 0.1 s of each); the slowdown is the median task time at once
/// over the median alone (both alone passes, so a drifting machine does not read as slowdown),
/// at least 1. With one core nothing runs at once: slowdown 1. Throws parlab::interrupted.
[[nodiscard]] co_running measure_co_running(const task& sample, double sample_seconds,
                                            std::size_t cores);

/// The makespan of the graph on `workers` workers. Greedy: whenever a worker is free and a task
/// is ready, it takes one - under scheduling::one_queue the one that became ready first (ties:
/// the lowest id), under work_stealing the newest in its own deque, else the oldest in another's
/// (victims in a fixed pseudo-random order, so the result is repeatable; the first task's
/// sources start in worker 0's deque) - pays costs.per_task_seconds and runs for durations[i],
/// stretched by `corun.at(k)` while k tasks run at once; the run pays costs.start_seconds
/// before and costs.finish_seconds after. Brent's bounds hold for every greedy schedule.
/// Throws std::invalid_argument for workers = 0 or sizes that do not match.
[[nodiscard]] double simulate_makespan(const task_dependencies& after,
                                       const std::vector<double>& durations, std::size_t workers,
                                       const model_costs& costs, const co_running& corun = {});

/// One predicted point.
struct predicted_point {
  std::size_t workers = 0;
  double makespan_seconds = 0.0;
  double speedup = 0.0;  ///< T1 (the tasks' times: a sequential run, no costs) over the makespan
  double brent_lower_seconds = 0.0;  ///< max(T1 / P, T-infinity), costs not counted
  double brent_upper_seconds = 0.0;  ///< T1 / P + T-infinity
};

/// The curve for P in `workers` (each >= 1).
[[nodiscard]] std::vector<predicted_point> predict_curve(const task_dependencies& after,
                                                         const std::vector<double>& durations,
                                                         const std::vector<std::size_t>& workers,
                                                         const model_costs& costs,
                                                         const co_running& corun = {});

/// P = 1, 2, 4, ... up to `most` (1024), with `cores` added when it is not a power of two.
[[nodiscard]] std::vector<std::size_t> prediction_workers(std::size_t cores,
                                                          std::size_t most = 1024);

/// What making one task faster changes, computed from the graph without running it.
struct what_if {
  std::size_t task = 0;
  double percent = 0.0;  ///< its time cut by this share (50: half the time)
  bool on_critical_path = false;
  double slack_seconds = 0.0;        ///< before the change
  double span_before_seconds = 0.0;  ///< T-infinity
  double span_after_seconds = 0.0;
  std::size_t workers = 0;  ///< the makespans below are for this P
  double makespan_before_seconds = 0.0;
  double makespan_after_seconds = 0.0;
};

/// Task `task` `percent` faster, on P = `workers` under `costs`. Throws std::invalid_argument for
/// a task out of range or a share outside (0, 100].
[[nodiscard]] what_if predict_faster(const task_dependencies& after,
                                     const std::vector<double>& durations, std::size_t task,
                                     double percent, std::size_t workers, const model_costs& costs,
                                     const co_running& corun = {});

/// A prediction set against a real run of the same graph in the same invocation.
struct prediction_check {
  std::size_t workers = 0;
  double predicted_seconds = 0.0;
  double measured_seconds = 0.0;  ///< the median wall of the real runs
  std::size_t runs = 0;           ///< how many real runs
  /// predicted / measured - 1 (0.05: 5% too slow a prediction).
  [[nodiscard]] double error() const noexcept {
    return measured_seconds > 0 ? predicted_seconds / measured_seconds - 1.0 : 0.0;
  }
};

/// The graph with a model's per-task cost added to every task (Cilkview's "burdened" figures,
/// with the burden measured instead of assumed): work T1 + n c, the longest chain of (d + c),
/// and their ratio, the parallelism the model can use.
struct burdened_figures {
  double work_seconds = 0.0;
  double span_seconds = 0.0;
  double parallelism = 0.0;
  double overhead_share = 0.0;  ///< n c / T1: what the model adds to the work
};
[[nodiscard]] burdened_figures burden(const task_dependencies& after,
                                      const std::vector<double>& durations,
                                      const model_costs& costs);

/// One model's predicted curve and its checks.
struct model_prediction {
  model_costs costs;
  burdened_figures burdened;
  std::vector<predicted_point> points;
  std::vector<prediction_check> checks;
};

/// Everything `parlab predict` says about one graph.
struct graph_prediction {
  std::string graph;           ///< "wavefront (64 tasks)", a file's name
  std::string durations_from;  ///< where the task times came from, in words
  std::size_t tasks = 0;
  std::size_t edges = 0;
  double work_seconds = 0.0;
  double span_seconds = 0.0;
  double parallelism = 0.0;
  std::vector<std::size_t> critical_path;
  std::vector<std::string> labels;  ///< every task's label (ids when empty)
  co_running corun;                 ///< applied to every model's simulation
  /// Set when the measurements were interrupted: what was measured before the signal.
  bool interrupted = false;
  std::vector<model_prediction> models;
  std::vector<what_if> what_ifs;
};

/// The graph part of a prediction (work, span, parallelism, critical path) from its durations.
[[nodiscard]] graph_prediction describe_for_prediction(const task_dependencies& after,
                                                       const std::vector<double>& durations);

}  // namespace parlab
