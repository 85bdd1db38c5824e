#include <parlab/clock.hpp>
#include <parlab/executor.hpp>
#include <parlab/interrupt.hpp>

#include "executors/factories.hpp"
#include "executors/run_task.hpp"

#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <stdexcept>
#include <string>

namespace parlab {

double run_result::wall_seconds() const noexcept { return to_seconds(end_ns - start_ns); }

std::size_t run_result::failed_tasks() const noexcept {
  return static_cast<std::size_t>(
      std::count_if(records.begin(), records.end(), [](const task_record& r) { return !r.ok; }));
}

run_result executor::run(std::span<const task> tasks, const run_options& options) {
  if (options.workers == 0) {
    throw std::invalid_argument(std::string(name()) + ": workers must be at least 1 (got 0)");
  }
  throw_if_interrupted();
  run_result result;
  result.executor = std::string(name());
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

  const auto before = rusage_snapshot::now();
  result.start_ns = monotonic_ns();
  execute(tasks, effective, result);
  result.end_ns = monotonic_ns();
  throw_if_interrupted();  // a run cut short measures nothing: it is not returned
  result.kernel = difference(before, rusage_snapshot::now());
  if (recorder_) {
    // The whole batch is handed over at once, when the run starts.
    std::vector<event> queued;
    queued.reserve(tasks.size());
    for (const auto& t : tasks) {
      queued.push_back({result.start_ns, result.start_ns, static_cast<std::uint32_t>(t.id), no_id,
                        -1, event_kind::queued});
    }
    result.recorded = recorder_->collect(queued);
  }
  std::stable_sort(
      result.records.begin(), result.records.end(),
      [](const task_record& a, const task_record& b) { return a.task_id < b.task_id; });
  return result;
}

event_lane* executor::lane(std::size_t worker) {
  return recorder_ ? &recorder_->lane(worker) : nullptr;
}

const std::vector<executor_info>& executors() {
  static const std::vector<executor_info> list = {
      {"sequential", "one task after another on the calling thread: the baseline", true},
      {"threads", "one std::thread per task, at most W running at once", true},
      {"thread-pool", "W long-lived threads take tasks from one shared queue (parlab's own pool)",
       true},
      {"processes", "fork() one child process per task, at most W alive; own memory each", true,
       true},
      {"process-pool",
       "W worker processes forked once, tasks and reports over pipes; a dead worker is replaced",
       true, true},
      {"gil-threads",
       "W threads serialised by an emulated global interpreter lock (CPython's rules)", true},
      {"async",
       "one event-loop thread (Boost.Asio), W tasks in flight: waits overlap, compute runs inline",
       true},
      {"openmp", "#pragma omp parallel for schedule(dynamic) over the tasks with W threads",
       PARLAB_HAVE_OPENMP != 0},
      {"tbb", "oneTBB work stealing in a task_arena of W threads", PARLAB_HAVE_TBB != 0},
  };
  return list;
}

const executor_info& find_executor(std::string_view name) {
  for (const auto& e : executors()) {
    if (e.name == name) return e;
  }
  std::string allowed;
  for (const auto& e : executors()) allowed += (allowed.empty() ? "" : ", ") + e.name;
  throw std::invalid_argument("unknown executor '" + std::string(name) + "' (allowed: " + allowed +
                              ")");
}

std::unique_ptr<executor> make_executor(std::string_view name) {
  if (name == "sequential") return detail::make_sequential();
  if (name == "threads") return detail::make_threads();
  if (name == "thread-pool") return detail::make_thread_pool();
  if (name == "processes") return detail::make_processes();
  if (name == "process-pool") return detail::make_process_pool();
  if (name == "gil-threads") return detail::make_gil_threads();
  if (name == "async") return detail::make_async();
#if PARLAB_HAVE_OPENMP
  if (name == "openmp") return detail::make_openmp();
#endif
#if PARLAB_HAVE_TBB
  if (name == "tbb") return detail::make_tbb();
#endif
  const executor_info& known = find_executor(name);  // throws for unknown names
  throw std::invalid_argument("executor '" + known.name +
                              "' is not available in this build (its library was not found "
                              "when parlab was configured; scripts/setup.sh installs it)");
}

namespace detail {

void run_task(const task& t, std::size_t worker, execution_hooks& hooks, task_record& record,
              event_lane* lane) noexcept {
  record.task_id = t.id;
  record.worker = worker;
  record.pid = ::getpid();
  record.tid = ::gettid();
  record.start_ns = monotonic_ns();
  const std::int64_t cpu_before = thread_cpu_ns();
  if (interrupt_requested()) {  // after an interrupt no task starts: the run is ending
    record.ok = false;
    record.message = "never ran (the run was interrupted)";
    record.end_ns = record.start_ns;
    return;
  }
  if (lane != nullptr) lane->begin_task(static_cast<std::uint32_t>(t.id), record.start_ns);
  try {
    task_context ctx(hooks, t.seed, worker, lane);
    record.result = t.body(ctx);
    record.ok = true;
    record.message.clear();
  } catch (const std::exception& e) {
    record.ok = false;
    record.message = e.what();
  } catch (...) {
    record.ok = false;
    record.message = "unknown exception";
  }
  record.cpu_ns = thread_cpu_ns() - cpu_before;
  record.end_ns = monotonic_ns();
  if (lane != nullptr) lane->end_task(record.start_ns, record.end_ns);
}

}  // namespace detail
}  // namespace parlab
