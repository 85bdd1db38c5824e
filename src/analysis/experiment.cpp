#include <parlab/clock.hpp>
#include <parlab/experiment.hpp>
#include <parlab/kernel_figures.hpp>
#include <parlab/limits.hpp>
#include <parlab/machine.hpp>
#include <parlab/overhead.hpp>
#include <parlab/predict.hpp>
#include <parlab/task_graph.hpp>
#include <parlab/timeline_analysis.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <numeric>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace parlab {

std::string task_failure::describe() const {
  return "task " + std::to_string(task_id) + " failed: " + message;
}

double median(std::vector<double> values) {
  if (values.empty()) return 0.0;
  std::sort(values.begin(), values.end());
  const std::size_t mid = values.size() / 2;
  return values.size() % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2.0;
}

namespace {

std::vector<task_interval> intervals_of(const run_result& r) {
  std::vector<task_interval> out;
  out.reserve(r.records.size());
  for (const auto& rec : r.records) out.push_back({rec.start_ns, rec.end_ns, rec.cpu_ns});
  return out;
}

/// The run died with a process (r.death); task `culprit` killed it: its record says how, and
/// the tasks lost with it say so.
void blame(run_result& r, std::size_t culprit) {
  for (auto& rec : r.records) {
    if (rec.ok) continue;
    if (rec.task_id == culprit) {
      rec.failure = r.death->kind;
      rec.failure_code = r.death->code;
      rec.message = fmt::format("the whole run died: {} in task {}", r.death->what, culprit);
    } else if (rec.failure == failure_kind::lost_with_run) {
      rec.message = fmt::format("lost with the whole run: {} in task {}", r.death->what, culprit);
    }
  }
}

measured_run measure(const experiment_spec& spec, const std::vector<task>& tasks,
                     const std::string& name, std::size_t workers, std::size_t cores,
                     const std::vector<hazard>& machine) {
  auto model = make_executor(name);
  run_options options;
  options.workers = workers;
  options.gil_switch_interval = spec.gil_switch_interval;
  options.mpi = spec.mpi;
  options.exact = spec.exact;

  // A task that kills its process would kill parlab too under a model whose tasks share one
  // process: such runs happen in a supervised child, and the row shows how the whole run died.
  const executor_info& info = find_executor(name);
  const bool shared_fate =
      kills_process(spec.workload.fault) && !info.isolates_tasks && !info.tasks_outside_parlab;
  const std::string culprit = "task " + std::to_string(spec.workload.fault_task);
  auto run_once = [&] {
    if (!shared_fate) {
      run_result r = model->run(tasks, options);
      // A process outside parlab died and took the run with it (an MPI rank): the injected
      // fault's task is the one that killed it, as under run_supervised.
      if (r.death && kills_process(spec.workload.fault)) blame(r, spec.workload.fault_task);
      return r;
    }
    return run_supervised(*model, tasks, options, culprit);
  };

  // A task graph's burdened figures need the model's own cost per task along an edge: measured
  // with a chain of empty tasks now (handing on as much data per task as the graph does),
  // before the warm-up, so the probe is over before anything is measured.
  std::optional<model_costs> costs;
  if (has_dependencies(tasks)) {
    costs = costs_of(measure_overhead(name, 50, 3, probe_shape::chain, data_per_task(tasks)));
  }

  // Warm-up: page in code and data, start the CPU's clocks. Not measured, but what failed in it
  // is kept (a worker killed during it must not go unsaid).
  const run_result warm_up = run_once();

  std::vector<run_result> runs;
  runs.reserve(spec.repeat);
  // How busy the rest of the machine kept our cores meanwhile: a claim that needs free cores
  // can then tell "the model did not gain" from "the cores were taken".
  std::vector<hazard> hazards = machine;  // measured before the first configuration
  const std::optional<cpu_seconds> cpus_before = my_cpu_seconds();
  const auto own_before = rusage_snapshot::now();
  const std::int64_t measured_from = monotonic_ns();
  for (std::size_t r = 0; r < spec.repeat; ++r) runs.push_back(run_once());
  const double measured_wall = to_seconds(monotonic_ns() - measured_from);
  double own_cpu = difference(own_before, rusage_snapshot::now()).cpu_seconds();
  for (const auto& r : runs) own_cpu += r.outside.cpu_seconds();  // e.g. MPI ranks
  const std::optional<cpu_seconds> cpus_after = my_cpu_seconds();
  // Libraries that keep worker threads between regions (OpenMP, oneTBB) may leave them spinning
  // for more work: what this process burns while parlab sleeps 50 ms is theirs.
  std::optional<double> cpu_after_run;
  if (name == "openmp" || name == "tbb") {
    const auto idle_before = rusage_snapshot::now();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    cpu_after_run = difference(idle_before, rusage_snapshot::now()).cpu_seconds();
  }

  measured_run m;
  m.workload = spec.workload.name;
  m.executor = name;
  m.workers = workers;
  m.tasks = tasks.size();
  m.size = spec.workload.size.value_or(0);
  m.seed = spec.workload.seed;
  m.parameters = workload_parameters(spec.workload);
  m.repeat = spec.repeat;
  for (const auto& r : runs) m.wall_samples.push_back(r.wall_seconds());
  m.wall_median = median(m.wall_samples);
  m.wall_min = *std::min_element(m.wall_samples.begin(), m.wall_samples.end());
  m.wall_max = *std::max_element(m.wall_samples.begin(), m.wall_samples.end());

  // The representative run is the one with the median wall time (the lower one for an even
  // count); its kernel figures, verdict and records stand for the configuration.
  std::vector<std::size_t> order(runs.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return m.wall_samples[a] < m.wall_samples[b]; });
  run_result& rep = runs[order[(order.size() - 1) / 2]];
  m.kernel = rep.kernel;
  const double wall = rep.wall_seconds();
  m.cpu_utilisation = wall > 0 ? rep.kernel.cpu_seconds() / wall : 0.0;
  if (cpus_before && cpus_after && measured_wall > 0) {
    m.others_cores =
        std::max(0.0, (cpus_after->busy - cpus_before->busy - own_cpu) / measured_wall);
    m.steal_cores = std::max(0.0, (cpus_after->steal - cpus_before->steal) / measured_wall);
  }
  // The recorded timeline is the better witness (it sees time slices); the task intervals are
  // the fallback when nothing was recorded or a lane overflowed.
  if (!rep.recorded.events.empty() && rep.recorded.dropped == 0) {
    // An MPI job across hosts: the cores of every host, and the remote lanes' clock uncertainty.
    const std::size_t all_cores = rep.cluster && rep.cluster->hosts.size() > 1
                                      ? std::max(cores, rep.cluster->cores())
                                      : cores;
    const std::vector<std::int64_t> uncertain =
        rep.cluster ? rep.cluster->lane_uncertainty(workers) : std::vector<std::int64_t>{};
    m.concurrency = summarize(rep.recorded.events, workers, all_cores, uncertain);
    m.cores_busy = cores_busy_shares(rep.recorded.events, rep.start_ns, rep.end_ns);
    if (!m.cores_busy.empty()) m.busy = bands_of(m.cores_busy, all_cores);
    m.worker_time = worker_time_split(rep.recorded.events, workers, rep.start_ns, rep.end_ns);
    m.locks = lock_statistics(rep.recorded.events);
    for (auto& l : m.locks) l.name = lock_name(l.lock);
  } else {
    m.concurrency = classify(intervals_of(rep), cores);
  }
  m.failed_tasks = rep.failed_tasks();
  for (const auto& rec : rep.records) {
    if (!rec.ok) m.failures.push_back({rec.task_id, rec.failure, rec.failure_code, rec.message});
  }
  for (const auto& rec : warm_up.records) {
    if (!rec.ok)
      m.warm_up_failures.push_back({rec.task_id, rec.failure, rec.failure_code, rec.message});
  }
  m.gil_forced_switches = rep.gil_forced_switches;
  // A model whose tasks never compute at once (an event loop, an interpreter lock) has one
  // processor for Brent's bounds, whatever W is.
  m.graph = analyse_graph(rep, find_executor(name).computes_one_at_a_time.empty() ? cores : 1);
  if (spec.workload.name == "pipeline") {
    m.pipeline = analyse_pipeline(rep, spec.workload.stages, spec.workload.tokens,
                                  find_executor(name).computes_one_at_a_time.empty() ? cores : 1);
  }
  if (m.graph && costs) {
    const burdened_figures b = burden(rep.after, task_durations(rep), *costs);
    m.graph->per_task_cost_seconds = costs->per_task_seconds;
    m.graph->burdened_span_seconds = b.span_seconds;
    m.graph->burdened_parallelism = b.parallelism;
    m.graph->burdened_upper_bound_seconds =
        b.work_seconds / static_cast<double>(std::max<std::size_t>(m.graph->processors, 1)) +
        b.span_seconds;
  }
  if (m.graph) {
    for (const std::size_t i : m.graph->critical_path) {
      m.graph->critical_labels.push_back(i < tasks.size() ? tasks[i].label : std::string());
    }
  }
  m.minor_faults = rep.kernel.minor_faults;
  m.children = rep.children;
  m.cpu_after_run_seconds = cpu_after_run;
  for (auto& h : run_hazards(m, cores)) hazards.push_back(std::move(h));
  m.hazards = std::move(hazards);
  if (!spec.keep_records) {
    rep.records.clear();
    rep.after.clear();
    rep.lock_holds.clear();
    rep.recorded.events.clear();
    if (rep.cluster) rep.cluster->messages.clear();
    if (rep.exact) rep.exact->intervals.clear();
  }
  m.representative = std::move(rep);
  return m;
}

}  // namespace

std::vector<measured_run> run_experiment(const experiment_spec& spec,
                                         const progress_callback& progress) {
  check_spec(spec);  // also rejects unknown workloads
  experiment_spec resolved = spec;
  resolved.workload.size = effective_size(spec.workload);
  return measure_tasks(make_workload(resolved.workload), resolved, progress);
}

std::vector<measured_run> measure_tasks(const std::vector<task>& tasks, const experiment_spec& spec,
                                        const progress_callback& progress) {
  if (tasks.empty()) throw std::invalid_argument("tasks must be at least 1 (got 0)");
  if (spec.workers == 0) throw std::invalid_argument("workers must be at least 1 (got 0)");
  if (spec.repeat == 0) throw std::invalid_argument("repeat must be at least 1 (got 0)");
  if (spec.workers > limits::max_workers || spec.repeat > limits::max_repeat) {
    throw std::invalid_argument("workers must be at most " + std::to_string(limits::max_workers) +
                                " and repeat at most " + std::to_string(limits::max_repeat));
  }
  if (spec.executors.empty() && !spec.baseline) {
    throw std::invalid_argument("no executor to run (give at least one, or keep the baseline)");
  }
  for (const auto& name : spec.executors) {
    (void)make_executor(name);  // throws for unknown names
    check_machine_allows(name, spec.workers, tasks.size(), spec.workload.name);
  }
  const std::size_t cores = usable_cores();
  const std::vector<hazard> machine = machine_hazards();  // before any run

  std::vector<measured_run> out;
  auto add = [&](measured_run m) {
    if (progress) progress(m);
    out.push_back(std::move(m));
  };

  std::optional<double> baseline_median;
  if (spec.baseline) {
    measured_run base = measure(spec, tasks, "sequential", 1, cores, machine);
    base.is_baseline = true;
    baseline_median = base.wall_median;
    add(std::move(base));
  }
  std::vector<std::string> seen;
  for (const auto& name : spec.executors) {
    if (std::find(seen.begin(), seen.end(), name) != seen.end()) continue;
    seen.push_back(name);
    if (spec.baseline && name == "sequential") continue;  // the baseline row is this row
    const std::size_t workers = name == "sequential" ? 1 : spec.workers;
    measured_run m = measure(spec, tasks, name, workers, cores, machine);
    if (baseline_median && m.wall_median > 0) {
      m.speedup = *baseline_median / m.wall_median;
      m.efficiency = *m.speedup / static_cast<double>(std::min(m.workers, m.tasks));
    }
    add(std::move(m));
  }
  return out;
}

}  // namespace parlab
