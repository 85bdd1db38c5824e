#include <parlab/clock.hpp>
#include <parlab/executor.hpp>
#include <parlab/interrupt.hpp>

#include "core/named_registry.hpp"
#include "core/peak_rss.hpp"
#include "executors/edge_data.hpp"
#include "executors/factories.hpp"
#include "executors/run_task.hpp"

#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <stdexcept>
#include <string>

namespace parlab {

double run_result::wall_seconds() const noexcept { return to_seconds(end_ns - start_ns); }

std::size_t run_result::failed_tasks() const noexcept {
  return static_cast<std::size_t>(
      std::count_if(records.begin(), records.end(), [](const task_record& r) { return !r.ok; }));
}

const mpi_rank* mpi_cluster::rank_on_lane(std::size_t worker) const noexcept {
  for (const auto& r : ranks) {
    if (r.worker == worker) return &r;
  }
  return nullptr;
}

std::size_t mpi_cluster::cores() const noexcept {
  std::size_t n = 0;
  for (const auto& h : hosts) n += h.cores;
  return n;
}

std::vector<std::int64_t> mpi_cluster::lane_uncertainty(std::size_t workers) const {
  std::vector<std::int64_t> out(workers, 0);
  for (const auto& r : ranks) {
    if (r.worker && *r.worker < workers && r.host < hosts.size()) {
      out[*r.worker] = static_cast<std::int64_t>(std::ceil(hosts[r.host].uncertainty_ns));
    }
  }
  return out;
}

run_result executor::run(std::span<const task> tasks, const run_options& options) {
  if (options.workers == 0) {
    throw std::invalid_argument(std::string(name()) + ": workers must be at least 1 (got 0)");
  }
  const bool graph = has_dependencies(tasks);
  if (graph) {
    check_graph(tasks);
    bool runs_graphs = false;
    try {
      runs_graphs = find_executor(name()).runs_graphs;
    } catch (const std::invalid_argument&) {  // a model made outside the registry
    }
    if (!runs_graphs) {
      throw std::invalid_argument(std::string(name()) +
                                  " does not run task graphs (tasks that wait for others); "
                                  "models that do: " +
                                  models_running_graphs());
    }
  }
  throw_if_interrupted();
  run_result result;
  result.executor = std::string(name());
  if (graph) result.after = dependencies_of(tasks);
  result.workers = options.workers;
  result.records.resize(tasks.size());
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    result.records[i].task_id = tasks[i].id;
    result.records[i].message = "never ran";
  }
  // Never more workers (threads, processes, lanes) than tasks: the rest would only sit idle,
  // and a huge W must not size anything. The result still reports the W asked for.
  run_options effective = options;
  effective.workers = std::max<std::size_t>(1, std::min(options.workers, tasks.size()));
  // Lanes are reserved before the clock starts: recording allocates nothing during the run.
  if (options.record) recorder_.emplace(effective.workers, options.lane_capacity);
  struct reset_recorder {
    std::optional<recorder>& r;
    ~reset_recorder() { r.reset(); }
  } reset{recorder_};
  // The data along a graph's edges lives as long as the run.
  if (graph) {
    auto data = std::make_shared<detail::edge_data>(tasks);
    if (data->active()) edges_ = std::move(data);
  }
  struct reset_edges {
    std::shared_ptr<detail::edge_data>& e;
    ~reset_edges() { e.reset(); }
  } reset_data{edges_};

  struct probes_for_the_run {
    explicit probes_for_the_run(bool on) noexcept { detail::set_task_probes(on); }
    ~probes_for_the_run() { detail::set_task_probes(true); }
    probes_for_the_run(const probes_for_the_run&) = delete;
    probes_for_the_run& operator=(const probes_for_the_run&) = delete;
  } probes{options.task_probes};
  (void)detail::reset_peak_rss();  // this run's peak, not the process's lifetime one
  // Switch records on before the kernel's figures are read and off after: every switch that
  // getrusage counts is among the records.
  switch_recording exact(options.exact);
  const auto before = rusage_snapshot::now();
  result.start_ns = monotonic_ns();
  execute(tasks, effective, result);
  result.end_ns = monotonic_ns();
  if (edges_) result.edge_bytes = edges_->traffic();
  throw_if_interrupted();  // a run cut short measures nothing: it is not returned
  result.kernel = difference(before, rusage_snapshot::now());
  result.exact = exact.take(result.start_ns, result.end_ns);
  result.kernel.user_seconds += result.outside.user_seconds;
  result.kernel.system_seconds += result.outside.system_seconds;
  result.kernel.voluntary_switches += result.outside.voluntary_switches;
  result.kernel.involuntary_switches += result.outside.involuntary_switches;
  result.kernel.minor_faults += result.outside.minor_faults;
  result.kernel.peak_rss_bytes = detail::peak_rss_since_reset();
  if (recorder_) {
    // The whole batch is handed over at once, when the run starts; a graph's task is queued
    // when its last predecessor ends.
    std::vector<event> queued;
    queued.reserve(tasks.size());
    for (const auto& t : tasks) {
      std::int64_t ready = result.start_ns;
      for (const std::size_t p : t.after) ready = std::max(ready, result.records[p].end_ns);
      queued.push_back(
          {ready, ready, static_cast<std::uint32_t>(t.id), no_id, -1, event_kind::queued});
    }
    result.recorded = recorder_->collect(queued);
    if (result.exact) {
      std::vector<task_thread> threads;
      threads.reserve(result.records.size());
      for (const auto& r : result.records) {
        if (r.tid > 0) {
          threads.push_back({static_cast<std::uint32_t>(r.task_id),
                             static_cast<std::int32_t>(r.pid), static_cast<std::int32_t>(r.tid)});
        }
      }
      (void)refine_with_switches(result.recorded, threads, *result.exact);
    }
  }
  // Records are written by index, so they are in id order unless the ids are not the indexes.
  const auto by_id = [](const task_record& a, const task_record& b) {
    return a.task_id < b.task_id;
  };
  if (!std::is_sorted(result.records.begin(), result.records.end(), by_id)) {
    std::stable_sort(result.records.begin(), result.records.end(), by_id);
  }
  return result;
}

event_lane* executor::lane(std::size_t worker) {
  return recorder_ ? &recorder_->lane(worker) : nullptr;
}

namespace {

/// The one list of execution models: the built-in ones in teaching order, then the users'.
constexpr const char* kMpiDescription =
    "Open MPI ranks on this host or --hosts, started once per model (mpirun): rank 0 hands out "
    "tasks (--mpi-schedule dynamic) or rank r takes r, r+W, ... (static)";

/// A built-in model's entry: its name, what `parlab list` says, how to make it (empty when it
/// was not built here), and its traits.
executor_info model(std::string name, std::string description, std::unique_ptr<executor> (*make)(),
                    executor_info traits = {}) {
  traits.name = std::move(name);
  traits.description = std::move(description);
  traits.available = make != nullptr;
  if (make != nullptr) traits.factory = make;
  return traits;
}

detail::named_registry<executor_info>& the_executor_registry() {
  // The factory of a model not built here.
  [[maybe_unused]] constexpr std::unique_ptr<executor> (*not_built)() = nullptr;
  static detail::named_registry<executor_info> registry("executor", {
    model("sequential", "one task after another on the calling thread: the baseline",
          detail::make_sequential, {.fds_per_download = 0, .runs_graphs = true}),
        model("threads", "one std::thread per task, at most W running at once",
              detail::make_threads, {.makes_threads = true, .runs_graphs = true}),
        model("thread-pool",
              "W long-lived threads take tasks from one shared queue (parlab's own pool)",
              detail::make_thread_pool, {.makes_threads = true, .runs_graphs = true}),
        model("processes", "fork() one child process per task, at most W alive; own memory each",
              detail::make_processes,
              {.isolates_tasks = true,
               .makes_processes = true,
               .fds_per_worker = 1,
               .fds_per_download = 0,
               .runs_graphs = true}),
        model("process-pool",
              "W worker processes forked once, tasks and reports over pipes; a dead worker is "
              "replaced",
              detail::make_process_pool,
              {.isolates_tasks = true,
               .makes_processes = true,
               .fds_per_worker = 2,
               .fds_per_download = 0,
               .runs_graphs = true}),
        model("gil-threads",
              "W threads serialised by an emulated global interpreter lock (CPython's rules)",
              detail::make_gil_threads,
              {.makes_threads = true,
               .computes_one_at_a_time = "one interpreter lock lets one thread compute at a time",
               .has_interpreter_lock = true,
               .runs_graphs = true}),
        model("async",
              "one event-loop thread (Boost.Asio), W tasks in flight: waits overlap, compute "
              "runs inline",
              detail::make_async,
              {.fds_per_download = 1,
               .computes_one_at_a_time = "an event loop runs one task at a time on one thread",
               .runs_graphs = true}),
        model("openmp", "#pragma omp parallel for schedule(dynamic) over the tasks with W threads",
#if PARLAB_HAVE_OPENMP
              detail::make_openmp,
#else
                not_built,
#endif
              {.makes_threads = true, .runs_graphs = true}),
        model("tbb",
              "oneTBB work stealing in a task_arena of W threads (graphs: a flow graph, or "
              "parallel_pipeline for a pipeline)",
#if PARLAB_HAVE_TBB
              detail::make_tbb,
#else
                not_built,
#endif
              {.makes_threads = true, .runs_graphs = true, .steals_work = true}),
        model("mpi", kMpiDescription,
#if PARLAB_HAVE_MPI
              detail::make_mpi,
#else
                not_built,
#endif
              {.runs_callables = false,
               .tasks_outside_parlab = true,
               .fds_per_download = 0,
               .runs_graphs = true}),
  });
  return registry;
}

}  // namespace

std::string_view to_string(failure_kind kind) noexcept {
  switch (kind) {
    case failure_kind::none:
      return "none";
    case failure_kind::threw:
      return "threw";
    case failure_kind::killed_by_signal:
      return "killed_by_signal";
    case failure_kind::exited:
      return "exited";
    case failure_kind::vanished:
      return "vanished";
    case failure_kind::lost_with_run:
      return "lost_with_run";
    case failure_kind::never_ran:
      break;
  }
  return "never_ran";
}

std::vector<executor_info> executors() { return the_executor_registry().all(); }

std::string models_running_graphs() {
  std::string out;
  for (const auto& e : executors()) {
    if (!e.runs_graphs || !e.available) continue;
    out += (out.empty() ? "" : ", ") + e.name;
  }
  return out;
}

executor_info find_executor(std::string_view name) { return the_executor_registry().find(name); }

void register_executor(executor_info info) {
  if (!info.factory) {
    throw std::invalid_argument("register_executor: '" + info.name + "' has no factory");
  }
  the_executor_registry().add(std::move(info));
}

std::unique_ptr<executor> make_executor(std::string_view name) {
  const executor_info known = find_executor(name);  // throws for unknown names
  if (!known.available || !known.factory) {
    throw std::invalid_argument("executor '" + known.name +
                                "' is not available in this build (its library was not found "
                                "when parlab was configured; scripts/setup.sh installs it)");
  }
  return known.factory();
}

void executor::run_in_worker(const task& t, std::size_t worker, task_record& record) {
  detail::no_hooks hooks;
  detail::run_task(t, worker, hooks, record, lane(worker), edges());
}

namespace detail {
namespace {
std::atomic<bool> g_task_probes{true};
}  // namespace

bool task_probes() noexcept { return g_task_probes.load(std::memory_order_relaxed); }

void set_task_probes(bool on) noexcept { g_task_probes.store(on, std::memory_order_relaxed); }

void run_task(const task& t, std::size_t worker, execution_hooks& hooks, task_record& record,
              event_lane* lane, edge_data* edges) noexcept {
  record.task_id = t.id;
  record.worker = worker;
  record.pid = ::getpid();
  record.tid = ::gettid();
  record.start_ns = monotonic_ns();
  if (interrupt_requested()) {  // after an interrupt no task starts: the run is ending
    record.ok = false;
    record.failure = failure_kind::never_ran;
    record.message = "never ran (the run was interrupted)";
    record.end_ns = record.start_ns;
    return;
  }
  const bool probe = task_probes();
  const std::int64_t cpu_before = probe ? thread_cpu_ns() : 0;
  if (lane != nullptr) lane->begin_task(static_cast<std::uint32_t>(t.id), record.start_ns);
  try {
    // A graph's data: the task reads what its predecessors handed it first, and makes what it
    // hands its successors last (both part of its time, as in a real program).
    const std::uint64_t inputs = edges != nullptr ? edges->read_inputs(t) : 0;
    task_context ctx(hooks, t.seed, worker, lane);
    record.result = run_to_end(t, ctx) + inputs;
    if (edges != nullptr) edges->produce(t);
    record.ok = true;
    record.failure = failure_kind::none;
    record.message.clear();
  } catch (const std::exception& e) {
    record.ok = false;
    record.failure = failure_kind::threw;
    record.message = e.what();
  } catch (...) {
    record.ok = false;
    record.failure = failure_kind::threw;
    record.message = "unknown exception";
  }
  if (edges != nullptr && !edges->in_child()) edges->done_with_inputs(t);
  record.cpu_ns = probe ? thread_cpu_ns() - cpu_before : 0;
  record.end_ns = monotonic_ns();
  if (lane != nullptr) lane->end_task(record.start_ns, record.end_ns);
}

}  // namespace detail
}  // namespace parlab
