#pragma once
/// @file Scaling sweeps: one workload under several execution models at a range of worker counts
/// W, each point measured like `parlab run` (one warm-up, R measured runs), then per model the
/// speedups, efficiencies, Karp-Flatt values, the scaling laws fitted (scaling.hpp) and the W to
/// use, with the reason and the warnings a careful reader needs.
///
/// Strong scaling (the default) keeps the tasks fixed, so time should fall as W grows; weak
/// scaling (Gustafson) gives each worker the same share - W times the tasks - so time should stay
/// flat. Both are compared by throughput (tasks per second), which is what the laws describe.

#include <parlab/experiment.hpp>
#include <parlab/machine.hpp>
#include <parlab/scaling.hpp>

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace parlab {

/// A best speedup below this gains nothing from more workers: where the sweep recommends W = 1
/// and the advisor says a model does not help.
inline constexpr double nothing_gained_speedup = 1.05;

/// What to sweep.
struct sweep_spec {
  workload_spec workload;  ///< tasks: the batch (strong) or the batch at W = 1 (weak)
  std::vector<std::string> executors;
  std::vector<std::size_t> workers;  ///< ascending, distinct, each in [1, limits::max_workers]
  std::size_t repeat = 3;            ///< measured runs per point, after one warm-up
  bool weak = false;                 ///< Gustafson: W x workload.tasks tasks at W
  bool baseline = true;              ///< also measure `sequential` (W = 1) once, first
  std::chrono::nanoseconds gil_switch_interval = std::chrono::milliseconds(5);
};

/// The tasks a point at W runs: workload.tasks, times W when weak.
[[nodiscard]] std::size_t sweep_tasks(const sweep_spec& spec, std::size_t workers) noexcept;

/// The default worker counts on a machine with `cores` usable cores: 1 up to 2 x cores, extended
/// to 6 points where `most` allows it, every value from 1 while that is at most 8 points, then
/// geometric (about 8 points). `most` caps them (the largest W the machine allows).
[[nodiscard]] std::vector<std::size_t> default_sweep_workers(std::size_t cores, std::size_t most);

/// Parses "1,2,4,8" or "1..16" (every W from 1 to 16); values in [1, limits::max_workers], at
/// most 64 of them, distinct; returned ascending. Throws std::invalid_argument naming what is
/// wrong and what is allowed.
[[nodiscard]] std::vector<std::size_t> parse_worker_list(std::string_view text);

/// Throws std::invalid_argument for a spec that cannot be swept (no executors, no workers, a W
/// out of range or repeated, or what check_spec refuses at any of its points).
void check_sweep_spec(const sweep_spec& spec);

/// The two-sided 95% confidence interval of the mean of `samples` (Student's t): nullopt for
/// fewer than 2 samples.
[[nodiscard]] std::optional<std::pair<double, double>> interval95(
    const std::vector<double>& samples);

/// One model at one W.
struct sweep_point {
  std::size_t workers = 0;
  measured_run run;  ///< wall samples, median, min-max, kernel figures, verdict, failures
  /// run.wall_median's 95% interval of the mean wall time over the repeats (nullopt: one run).
  std::optional<std::pair<double, double>> wall_interval;
  double spread = 0.0;      ///< (max - min) / median of the wall samples
  double throughput = 0.0;  ///< tasks / median wall, per second
  /// Throughput against W = 1 of the same model (strong: T(1) / T(W); weak: the scaled speedup).
  std::optional<double> speedup;
  std::optional<double> efficiency;           ///< speedup / W
  std::optional<double> speedup_vs_baseline;  ///< throughput against `sequential`
  std::optional<double> efficiency_vs_baseline;
  std::optional<double> karp_flatt;  ///< from `speedup`, at W > 1
};

/// What the sweep says about one model.
struct sweep_model {
  std::string executor;
  std::vector<sweep_point> points;  ///< by W, ascending
  std::optional<usl_fit> usl;
  std::string usl_refused;  ///< why there is no USL fit (too few points, ...)
  std::optional<usl_fit> amdahl;
  std::string amdahl_refused;
  /// The smallest measured W whose throughput reaches 95% of the model's best; nullopt when no
  /// point succeeded.
  std::optional<std::size_t> recommended;
  std::string reason;                 ///< the recommendation in words, with its figures
  std::vector<std::string> warnings;  ///< what to distrust in these figures
};

/// A sweep, measured or read back.
struct sweep_result {
  sweep_spec spec;
  std::size_t cores = 0;  ///< usable cores when it ran
  std::optional<measured_run> baseline;
  std::vector<sweep_model> models;    ///< in spec.executors order
  std::vector<std::string> findings;  ///< the models compared, best first
  bool interrupted = false;           ///< a signal stopped it: the points are those finished
};

/// Analyses measured rows (a baseline row, is_baseline, and rows of spec.executors at W in
/// spec.workers; any subset, as an interrupted sweep leaves them) into the result. Points whose
/// tasks failed are shown but neither fitted nor recommended. Pure.
[[nodiscard]] sweep_result analyse_sweep(const sweep_spec& spec,
                                         const std::vector<measured_run>& rows, std::size_t cores,
                                         bool interrupted = false);

/// Measures the sweep: the baseline first, then for each W (ascending) every model in turn, so
/// that a machine that drifts drifts for all models alike. `progress` sees each row as it is
/// measured (keep them to analyse what an interrupt leaves). Throws std::invalid_argument for a
/// bad spec (check_sweep_spec) and parlab::interrupted when a signal stops it. Blocks.
[[nodiscard]] sweep_result run_sweep(const sweep_spec& spec,
                                     const progress_callback& progress = {});

/// The sweep as a `parlab.sweep/1` document (docs/json-schema.md).
[[nodiscard]] std::string to_sweep_json(const machine_info& machine, const sweep_result& result,
                                        int indent = 2);

/// One header line and one line per model and W.
[[nodiscard]] std::string to_sweep_csv(const sweep_result& result);

/// The terminal summary: per model a table of the points, a plot (measured points, the fitted
/// USL curve, the ideal line, the peak), the fits, the recommendation and warnings; then the
/// findings. `width`: columns of the plot. Pure.
[[nodiscard]] std::string format_sweep(const sweep_result& result, std::size_t width = 60);

/// An SVG picture: throughput against W with error bars (min-max), one colour per model, the
/// fitted curves and the ideal lines; efficiency and Karp-Flatt below. Pure.
[[nodiscard]] std::string to_sweep_svg(const sweep_result& result);

/// One self-contained HTML page: the machine, the picture, a table per model, the fits, the
/// recommendations, warnings and findings. Pure.
[[nodiscard]] std::string to_sweep_html(const machine_info& machine, const sweep_result& result);

}  // namespace parlab
