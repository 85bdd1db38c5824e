#pragma once
/// @file Output: terminal table, JSON (schema parlab.result/1) and CSV.

#include <parlab/experiment.hpp>
#include <parlab/machine.hpp>
#include <parlab/predict.hpp>
#include <parlab/watch.hpp>

#include <string>
#include <vector>

namespace parlab {

/// The JSON schema id written at the top of every result document.
inline constexpr const char* result_schema = "parlab.result/1";

/// A fixed-width table, one row per measured run.
[[nodiscard]] std::string format_table(const std::vector<measured_run>& runs);

/// `parlab predict`'s text: the graph, the models' costs, the predicted curve beside Brent's
/// bounds, the checks against real runs, the what-ifs.
[[nodiscard]] std::string format_prediction(const graph_prediction& p);

/// The document {"schema": "parlab.prediction/1", "machine": ..., "graph": ..., "models": [...],
/// "what_if": [...]} (docs/json-schema.md).
[[nodiscard]] std::string prediction_to_json(const machine_info& machine, const graph_prediction& p,
                                             int indent = 2);

/// The task-graph lines under the table (work, span, parallelism, Brent's bounds, the chain
/// that ended each run, the critical path); empty when no row ran a graph.
[[nodiscard]] std::string format_graph_rows(const std::vector<measured_run>& runs);

/// One line per run recorded with the kernel's switch records (run_result::exact): its on-CPU
/// stretches, switch-outs preempted and blocked beside getrusage's counts, migrations, the
/// shortest stretch, records read and lost; empty when none was.
[[nodiscard]] std::string format_exact_rows(const std::vector<measured_run>& runs);

/// The result document (see docs/json-schema.md). Task records are included when the runs kept
/// them (experiment_spec::keep_records). `interrupted`: a signal stopped the command, and `runs`
/// are the ones finished before it.
[[nodiscard]] std::string to_json(const machine_info& machine,
                                  const std::vector<measured_run>& runs, int indent = 2,
                                  bool interrupted = false);

/// One header line and one line per run (records are not included).
[[nodiscard]] std::string to_csv(const std::vector<measured_run>& runs);

/// `parlab.watch/1`: the command, the sampler's settings and cost, every thread and process, the
/// summary and verdict (null when too short to judge), the histogram, the wait reasons, and the
/// events. Pure.
[[nodiscard]] std::string watch_to_json(const machine_info& machine, const watch_result& w,
                                        const measured_run& run);

/// The lines the terminal shows after a watch: what was seen, the verdict and its figures, the
/// sampler's cost, what was dropped. Pure.
[[nodiscard]] std::string format_watch_summary(const watch_result& w, const measured_run& run);

}  // namespace parlab
