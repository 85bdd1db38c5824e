#pragma once
/// @file Measurement: a sequential baseline, warm-up, repeats, statistics and verdicts.

#include <parlab/executor.hpp>
#include <parlab/graph_analysis.hpp>
#include <parlab/hazards.hpp>
#include <parlab/limits.hpp>
#include <parlab/machine.hpp>
#include <parlab/timeline_analysis.hpp>
#include <parlab/verdict.hpp>
#include <parlab/workload.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace parlab {

/// One experiment: a workload under several executors with W workers.
struct experiment_spec {
  workload_spec workload;
  std::vector<std::string> executors;
  std::size_t workers = 1;
  std::size_t repeat = 3;     ///< measured runs per configuration, after one warm-up
  bool baseline = true;       ///< also measure `sequential` and compute speedups
  bool keep_records = false;  ///< keep the representative run's task records and timeline
  std::chrono::nanoseconds gil_switch_interval = std::chrono::milliseconds(5);
  mpi_options mpi;  ///< passed to the mpi model only (run_options::mpi)
  /// Every measured run recorded from the kernel's switch records (run_options::exact; not
  /// owned; nullptr: off). The representative run keeps them (run_result::exact).
  switch_recorder* exact = nullptr;
};

/// One failed task of a representative run.
struct task_failure {
  std::size_t task_id = 0;
  failure_kind kind = failure_kind::threw;
  int code = 0;         ///< the signal or exit status, as in task_record::failure_code
  std::string message;  ///< task_record::message
  /// "task 3 failed: <message>".
  [[nodiscard]] std::string describe() const;
};

/// Statistics of one configuration over its repeats.
struct measured_run {
  std::string workload;
  std::string executor;
  std::size_t workers = 0;
  std::size_t tasks = 0;
  std::uint64_t size = 0;
  std::uint64_t seed = 0;
  /// The workload's own settings by name (http: latency_ms, bandwidth_bytes_per_second).
  std::vector<std::pair<std::string, double>> parameters;
  std::size_t repeat = 0;
  bool is_baseline = false;
  std::vector<double> wall_samples;  ///< every measured wall time, seconds, in run order
  double wall_median = 0.0;
  double wall_min = 0.0;
  double wall_max = 0.0;
  std::optional<double> speedup;     ///< baseline median / this median; nullopt for the baseline
  std::optional<double> efficiency;  ///< speedup / min(W, tasks)
  kernel_figures kernel;             ///< of the representative (median) run
  double cpu_utilisation = 0.0;      ///< kernel CPU seconds / wall, of the representative run
  /// Cores that others - other programs, the kernel's own threads, the hypervisor's steal - kept
  /// busy on this process's CPUs, on average over the measured runs: the CPUs' busy time
  /// (busy_cpu_seconds) minus this process's and its children's CPU time, over the wall time
  /// (±0.02 s of ticks per CPU over it). usable_cores() minus it is what the runs had free.
  /// nullopt when /proc/stat cannot be read.
  std::optional<double> others_cores;
  concurrency_summary concurrency;  ///< of the representative run
  /// The representative run's wall time by how many CPUs ran its tasks (index 0, 1, 2, ...;
  /// shares summing to 1), from its timeline; empty without one (cores_busy_shares).
  std::vector<double> cores_busy;
  std::optional<busy_bands> busy;  ///< those shares in VTune's bands for the usable cores
  /// Where each worker lane's time went over the representative run's wall span (running,
  /// preempted, ready, lock, GIL, sleep, I/O, other, idle: worker_time_split); empty without a
  /// complete timeline.
  std::vector<time_split> worker_time;
  /// The representative run's shared locks (lock steps), the most waited-for first; empty when
  /// it took none or kept no complete timeline.
  std::vector<lock_stats> locks;
  /// Page faults served without I/O during the representative run: parlab and the children it
  /// reaped (kernel_figures::minor_faults, one getrusage per run), or -1 when unknown.
  std::int64_t minor_faults = -1;
  std::optional<children_memory> children;  ///< process models: the worker processes' memory
  /// Cores the hypervisor kept from this process's CPUs during the measured runs (steal time over
  /// the wall time), or nullopt when /proc/stat has no steal.
  std::optional<double> steal_cores;
  /// openmp, tbb: CPU seconds this process burned in the 50 ms after its last run while parlab
  /// itself slept (a library's worker threads spinning), or nullopt.
  std::optional<double> cpu_after_run_seconds;
  /// What can make this row's figures mislead, measured: the machine's (machine_hazards) before
  /// its runs, then its own (run_hazards).
  std::vector<hazard> hazards;
  std::size_t failed_tasks = 0;        ///< of the representative run
  std::vector<task_failure> failures;  ///< of the representative run, by task id
  /// Tasks that failed in the unmeasured warm-up run (a worker killed from outside, a flaky
  /// task): never silently dropped, even when every measured run succeeded.
  std::vector<task_failure> warm_up_failures;
  std::uint64_t gil_forced_switches = 0;
  /// A task graph's work, span, critical path and Brent's bounds, of the representative run.
  std::optional<graph_figures> graph;
  /// The pipeline workload: its throughput against its limits, the items it held in flight.
  std::optional<pipeline_figures> pipeline;
  run_result representative;  ///< records and timeline events kept only when spec.keep_records

  /// A task failed in the representative run.
  [[nodiscard]] bool any_failed() const noexcept { return failed_tasks != 0 || !failures.empty(); }
  /// How much the runs differ: (max - min) / median of the wall samples (0 without a median).
  [[nodiscard]] double spread() const noexcept {
    return wall_median > 0 ? (wall_max - wall_min) / wall_median : 0.0;
  }
  /// Tasks per second at the median wall time (0 without one).
  [[nodiscard]] double throughput() const noexcept {
    return wall_median > 0 ? static_cast<double>(tasks) / wall_median : 0.0;
  }
};

/// Median of the values (mean of the two middle ones for an even count); 0 for none.
[[nodiscard]] double median(std::vector<double> values);

/// Called after each measured configuration (for progress output).
using progress_callback = std::function<void(const measured_run&)>;

/// Runs the experiment. The baseline (when asked) comes first and is reused if "sequential" is
/// also among the executors. Throws std::invalid_argument for a bad spec (unknown names, W = 0,
/// no tasks, repeat = 0). Blocks; runs configurations one after another.
[[nodiscard]] std::vector<measured_run> run_experiment(const experiment_spec& spec,
                                                       const progress_callback& progress = {});

/// The same measurement for tasks you built yourself (make_task): spec.workload.name labels the
/// rows and spec.workload's other fields are ignored. Throws std::invalid_argument for a bad spec
/// or an empty task list. Blocks.
[[nodiscard]] std::vector<measured_run> measure_tasks(const std::vector<task>& tasks,
                                                      const experiment_spec& spec,
                                                      const progress_callback& progress = {});

/// Plain-language findings comparing CPython with parlab on the classic experiment: the real GIL
/// next to gil-threads (both ratios), C++ next to CPython per compute unit and with threads, and
/// CPython threads and asyncio on waits (run_cpython's rows, parlab/cpython.hpp). Any vector may
/// be empty (its findings are left out). Pure.
[[nodiscard]] std::vector<std::string> cpython_conclusions(
    const std::vector<measured_run>& cpu_runs, const std::vector<measured_run>& cpython_cpu_runs,
    const std::vector<measured_run>& cpython_io_runs);

/// A result document read back (read_result_json, parlab/pictures.hpp).
struct saved_result {
  machine_info machine;
  std::vector<measured_run> runs;
  bool interrupted = false;  ///< a signal stopped the command that wrote it
};

/// Plain-language conclusions computed from measured runs of the classic experiment
/// (one line per finding). Pure.
[[nodiscard]] std::vector<std::string> conclusions(const std::vector<measured_run>& cpu_runs,
                                                   const std::vector<measured_run>& io_runs,
                                                   std::size_t cores);

}  // namespace parlab
