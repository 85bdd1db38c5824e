#pragma once
/// @file Advice: which execution model and how many workers for these tasks, on this machine,
/// measured within a time budget. parlab::advise measures the sequential baseline, reads from it
/// whether the work computes or waits, then sweeps every model available here with W growing
/// geometrically (2, 4, 8, ...; the core count included) until throughput stops rising (5%),
/// W reaches the tasks, the machine's limits or the budget - cheapest levels first, every model
/// at one W before any goes further. The answer ranks the models with their evidence; models
/// within noise of each other are said to be so, not ranked.

#include <parlab/experiment.hpp>
#include <parlab/sweep.hpp>

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace parlab {

/// How to advise.
struct advise_options {
  /// Models to consider; empty: every model available here but sequential (the baseline).
  std::vector<std::string> executors;
  std::chrono::duration<double> budget = std::chrono::seconds(30);  ///< measuring time, at most
  std::size_t repeat = 3;  ///< measured runs per point, after one warm-up
  std::chrono::nanoseconds gil_switch_interval = std::chrono::milliseconds(5);
  std::string label = "tasks";  ///< names the rows (the workload's name)
  progress_callback progress;   ///< sees each row as it is measured
};

/// One model's best, as the advice ranks it.
struct model_advice {
  std::string executor;
  std::size_t workers = 0;  ///< the smallest W measured within 5% of the model's best
  double throughput = 0.0;  ///< tasks per second at that W (median run)
  double speedup = 0.0;     ///< against the sequential baseline
  double efficiency = 0.0;  ///< speedup / W
  double spread = 0.0;      ///< of that point's runs, (max - min) / median
  std::string evidence;     ///< one sentence, with its figures
};

/// The answer and everything it rests on.
struct advice {
  sweep_result sweep;      ///< every point measured, analysed (speedups, fits, warnings)
  double cpu_share = 0.0;  ///< the baseline's CPU time / wall: near 1 computes, near 0 waits
  bool waits = false;      ///< cpu_share below 0.8: W grows past the cores
  std::vector<model_advice> ranked;  ///< best first; models with no successful point left out
  std::string answer;                ///< "use thread-pool with W = 2: 1.97x ..."
  std::vector<std::string> notes;    ///< what else the figures say (CPython, within noise, ...)
  std::vector<std::string> skipped;  ///< points left out: budget, machine limits
  double seconds = 0.0;              ///< time spent measuring
};

/// Advises on `tasks` (make_task or a workload's). Throws std::invalid_argument for no tasks, an
/// unknown or unavailable model, repeat 0 or a budget that is not positive, and
/// parlab::interrupted when a signal stops it (the rows measured so far reached `progress`).
/// Blocks for about the budget at most (one point may overrun it: a point is started only when
/// its estimated cost fits).
[[nodiscard]] advice advise(const std::vector<task>& tasks, const advise_options& options = {});

/// The advice the rows measured so far support (an interrupted advise: `rows` as `progress`
/// saw them). Pure.
[[nodiscard]] advice advise_from_rows(const std::vector<measured_run>& rows,
                                      const advise_options& options, std::size_t cores);

/// The terminal text: the answer, the ranking with evidence, notes, what was skipped. Pure.
[[nodiscard]] std::string format_advice(const advice& a);

/// The advice as a `parlab.advice/1` document (docs/json-schema.md): the answer, ranking, notes
/// and the whole sweep (as parlab.sweep/1 writes it).
[[nodiscard]] std::string to_advice_json(const machine_info& machine, const advice& a,
                                         int indent = 2);

}  // namespace parlab
