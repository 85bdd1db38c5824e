#pragma once
/// @file The executor interface: one execution model runs a batch of tasks with W workers.

#include <parlab/kernel_figures.hpp>
#include <parlab/switch_records.hpp>
#include <parlab/task.hpp>
#include <parlab/task_graph.hpp>
#include <parlab/timeline.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace parlab {

/// How to run a batch.
/// How the mpi model hands out tasks.
enum class mpi_schedule {
  dynamic,  ///< rank 0 manages: a worker rank asks for the next task when it is free
  fixed,    ///< every rank works: rank r takes tasks r, r + W, r + 2W, ... ("static")
};

/// "dynamic", "static".
[[nodiscard]] std::string_view to_string(mpi_schedule schedule) noexcept;
/// The schedule spelled `name`; throws std::invalid_argument naming the allowed ones.
[[nodiscard]] mpi_schedule mpi_schedule_from_string(std::string_view name);

/// What only the mpi model reads: its own bag, so the common options stay common.
struct mpi_options {
  mpi_schedule schedule = mpi_schedule::dynamic;
  /// Where its ranks run, as mpirun's --host takes it ("h1:2,h2:2"; the first host must be this
  /// one, rank 0 talks to parlab through a local socket), or a hostfile's path. Both empty:
  /// every rank on this host.
  std::string hosts;
  std::string hostfile;
  /// How long a batch may go without an answer before the job is taken for hung and ended (its
  /// tasks reported lost with the run, saying so).
  std::chrono::seconds timeout{3600};
  /// How long the job may take to start - every host's daemon launched (over ssh for another
  /// host) and rank 0 connected - before it is taken for unreachable and ended, naming the host.
  std::chrono::seconds start_timeout{30};
};

struct run_options {
  std::size_t workers = 1;  ///< W: at most this many tasks run at once
  /// Emulated GIL only: how long a thread waits for the lock before forcing a hand-off
  /// (CPython's sys.setswitchinterval, 5 ms by default).
  std::chrono::nanoseconds gil_switch_interval = std::chrono::milliseconds(5);
  /// Record a timeline (queued/task/slice/preempted/wait/GIL events) into run_result::recorded.
  /// Costs under 1% of wall time on the cpu workload (docs/timelines.md has the measurement).
  bool record = true;
  std::size_t lane_capacity = default_lane_capacity;  ///< events kept per worker
  /// The per-task probe: each task's CPU time, the thread's CPU clock read when it starts and
  /// ends (the event loop: around each compute it runs), a system call each (~0.5-1.3 us here).
  /// Off only to measure what observing costs (bench/observe_bench); task_record::cpu_ns is
  /// then 0. Not passed to MPI ranks. docs/performance.md lists every probe.
  bool task_probes = true;
  mpi_options mpi;  ///< read by the mpi model only
  /// Record every context switch of the run's threads and processes from the kernel's switch
  /// records (`--exact`; not owned, nullptr: off): run_result::exact, and the timeline's slices
  /// are the exact ones. Not in a supervised run's child (the collector serves this process).
  switch_recorder* exact = nullptr;
};

/// How a task failed: what the CLI, the JSON and the conclusions read (never the message text).
enum class failure_kind {
  none,              ///< it succeeded
  threw,             ///< its body threw; the message is what()
  killed_by_signal,  ///< its process was killed; failure_code is the signal
  exited,            ///< its process ended before reporting; failure_code is the exit status
  vanished,          ///< its process ended and how is unknown (reaped elsewhere)
  lost_with_run,     ///< it shared a process with a task that killed that process
  never_ran,         ///< the run ended (it died, or was interrupted) before the task started
};

/// "none", "threw", "killed_by_signal", "exited", "vanished", "lost_with_run", "never_ran".
[[nodiscard]] std::string_view to_string(failure_kind kind) noexcept;

/// What happened to one task.
struct task_record {
  std::size_t task_id = 0;
  std::size_t worker = 0;     ///< worker slot in [0, W)
  std::int64_t pid = 0;       ///< process that ran it
  std::int64_t tid = 0;       ///< kernel thread id that ran it
  std::int64_t start_ns = 0;  ///< monotonic_ns() when it started
  std::int64_t end_ns = 0;    ///< monotonic_ns() when it ended
  std::int64_t cpu_ns = 0;    ///< CPU time the task consumed
  bool ok = false;            ///< false: it threw, crashed or never ran (failure says how)
  failure_kind failure = failure_kind::never_ran;  ///< none exactly when ok
  int failure_code = 0;      ///< the signal (killed_by_signal) or exit status (exited)
  std::string message;       ///< why it failed, in words (empty when ok)
  std::uint64_t result = 0;  ///< the body's return value (a checksum)
};

/// The data a task graph's tasks handed along their edges (task::output_bytes) in one run.
struct edge_traffic {
  std::uint64_t produced = 0;  ///< bytes made by tasks that have successors
  std::uint64_t read = 0;      ///< bytes read by successors (each edge: its task's output)
  /// Bytes that crossed between processes (pipes, sockets, MPI messages): outputs sent back by
  /// child processes and ranks, inputs sent to pool workers and ranks. 0 for models that share
  /// memory.
  std::uint64_t copied = 0;
  std::uint64_t peak_held = 0;  ///< most output bytes kept at once (until the last reader)
  [[nodiscard]] bool any() const noexcept { return produced != 0; }
};

/// One interval during which a worker held a lock (the emulated GIL).
struct lock_hold {
  std::size_t worker = 0;
  std::int64_t start_ns = 0;
  std::int64_t end_ns = 0;
};

/// One host of an MPI job and how its clock was aligned with the reference (rank 0's host, the
/// host parlab runs on). Times of its ranks are already corrected in the run's records and
/// events: remote time t became t - (offset_ns + drift * (t - at_remote_ns)).
struct mpi_host {
  std::string name;
  std::size_t cores = 0;        ///< usable cores the host reported
  std::vector<int> ranks;       ///< its ranks, ascending; the first one is its leader
  bool reference = false;       ///< rank 0's host: its clock is the run's clock
  double offset_ns = 0.0;       ///< its clock minus the reference's, at at_remote_ns
  double drift = 0.0;           ///< change of that offset per second of its clock (1e-6: 1 us/s)
  double at_remote_ns = 0.0;    ///< where offset_ns holds (its clock)
  double uncertainty_ns = 0.0;  ///< its corrected times are right within +- this
  double round_trip_ns = 0.0;   ///< the shortest ping-pong round trip with rank 0
};

/// One rank of an MPI job.
struct mpi_rank {
  int rank = 0;
  std::size_t host = 0;               ///< index into mpi_cluster::hosts
  std::optional<std::size_t> worker;  ///< its worker lane; nullopt for the dynamic manager
  kernel_figures usage;               ///< what it used during the run (its own getrusage)
};

/// One message between ranks, both ends on the reference clock.
struct mpi_message {
  /// "batch" (the tasks, broadcast), "ask", "task" (dynamic), "data" (a graph's data along an
  /// edge: a task's output to rank 0, or an input to the rank running its successor), "results"
  std::string kind;
  int from = 0;  ///< sending rank
  int to = 0;    ///< receiving rank
  std::int64_t send_started_ns = 0;
  std::int64_t receive_ended_ns = 0;
  /// "task": the task handed out; "data": the task whose output or input it is; else no_id
  std::uint32_t task = no_id;
};

/// What an MPI run adds: where its ranks ran, the clocks, the messages.
struct mpi_cluster {
  std::vector<mpi_host> hosts;        ///< the reference first
  std::vector<mpi_rank> ranks;        ///< by rank
  std::vector<mpi_message> messages;  ///< kept with the records (run_options::record)
  /// Messages whose receive appears to end before their send began: clock errors beyond the
  /// alignment's claim. Counted over every message, never moved.
  std::size_t impossible_messages = 0;
  std::size_t message_count = 0;  ///< messages checked

  /// The rank on worker lane `worker`, or nullptr.
  [[nodiscard]] const mpi_rank* rank_on_lane(std::size_t worker) const noexcept;
  /// Usable cores over every host.
  [[nodiscard]] std::size_t cores() const noexcept;
  /// Per worker lane (0..workers-1), how far its times may be off the reference clock.
  [[nodiscard]] std::vector<std::int64_t> lane_uncertainty(std::size_t workers) const;
};

/// A process that died during a run and took the run's tasks with it (the mpi model: a rank,
/// which ends the whole job), as the model learned it.
struct run_death {
  failure_kind kind = failure_kind::vanished;  ///< killed_by_signal, exited, or vanished (unknown)
  int code = 0;                                ///< the signal or exit status
  std::string what;                            ///< "rank 1 on vm was killed by SIGSEGV"
};

/// Everything one run of one executor produced.
struct run_result {
  std::string executor;
  std::size_t workers = 0;
  std::int64_t start_ns = 0;
  std::int64_t end_ns = 0;
  kernel_figures kernel;  ///< this process and its children, during the run
  /// What processes this process's getrusage cannot see did during the run (the mpi model's
  /// ranks, reaped only when the job ends): reported by them, and already added to `kernel`.
  kernel_figures outside;
  std::vector<task_record> records;  ///< one per task, ordered by task id
  /// A task graph's edges: each task's predecessors (task::after); empty for a bag of tasks.
  task_dependencies after;
  /// The bytes handed along those edges (task::output_bytes); all 0 when none were.
  edge_traffic edge_bytes;
  /// How the model ordered the graph when it has more than one way: tbb's "parallel_pipeline"
  /// (a graph that is a pipeline, find_pipeline) or "flow graph"; empty for the others.
  std::string graph_runner;
  /// Process models: the worker processes' memory, each read once at the end of its batch.
  std::optional<children_memory> children;
  std::vector<lock_hold> lock_holds;      ///< gil-threads only: every hold of the lock
  std::uint64_t gil_forced_switches = 0;  ///< gil-threads only: hand-offs forced by a waiter
  timeline recorded;                      ///< what ran when (empty when not recording)
  /// Names of the worker lanes when they are not numbered slots (a watched program's threads:
  /// "python3 1240"); empty: "worker 0", "slot 1", ...
  std::vector<std::string> lane_names;
  std::optional<mpi_cluster> cluster;  ///< the mpi model only
  std::optional<run_death> death;      ///< the mpi model only: the rank that ended the job
  /// With run_options::exact: what the kernel's switch records say of the run (every on-CPU
  /// stretch of every thread of parlab and of the processes it started, from just before
  /// start_ns to just after end_ns).
  std::optional<switch_schedule> exact;

  [[nodiscard]] double wall_seconds() const noexcept;
  [[nodiscard]] std::size_t failed_tasks() const noexcept;
};

namespace detail {
class edge_data;
}  // namespace detail

/// An execution model. Implementations live one per file in src/executors/.
class executor {
 public:
  executor() = default;
  executor(const executor&) = delete;
  executor& operator=(const executor&) = delete;
  virtual ~executor() = default;

  /// The model's name as the CLI spells it, e.g. "thread-pool".
  [[nodiscard]] virtual std::string_view name() const noexcept = 0;

  /// Runs every task once with at most options.workers at a time and reports what happened.
  /// Blocks until all tasks ended; a task's exception is recorded, never propagated. A task
  /// graph (tasks with task::after) runs each task only after its predecessors ended; a task
  /// whose predecessor failed never runs (its record names the failed one).
  /// Throws std::invalid_argument when options.workers is 0, for a graph check_graph refuses, and
  /// for a graph given to a model that does not run graphs (executor_info::runs_graphs).
  [[nodiscard]] run_result run(std::span<const task> tasks, const run_options& options);

 protected:
  /// Runs the tasks, filling result.records[i] for tasks[i] (pre-sized; each slot is written by
  /// exactly one worker). Models with a lock also fill the lock fields.
  virtual void execute(std::span<const task> tasks, const run_options& options,
                       run_result& result) = 0;

  /// Worker w's event lane for the run in progress, or nullptr when the run does not record.
  /// Thread-safe for distinct w.
  [[nodiscard]] event_lane* lane(std::size_t worker);

  /// Runs `t` on the calling thread as worker `worker` and fills `record` (times, CPU time,
  /// result, or the exception's message), recording into the worker's lane: what an execute()
  /// of your own calls for each task. No hooks (a model with a lock supplies its own). Never
  /// throws; thread-safe for distinct workers and records.
  void run_in_worker(const task& t, std::size_t worker, task_record& record);

  /// The data the run in progress's tasks hand along their edges (task::output_bytes), or
  /// nullptr when they hand none: what run_task reads and makes around each task.
  [[nodiscard]] detail::edge_data* edges() const noexcept { return edges_.get(); }

 private:
  std::optional<recorder> recorder_;          // the run in progress's lanes
  std::shared_ptr<detail::edge_data> edges_;  // (shared_ptr: the type is internal)
};

/// A registry entry: what `parlab list` prints and how to make the model.
struct executor_info {
  std::string name{};
  std::string description{};
  bool available = true;
  /// Each task runs in a process of its own or in a worker process: a task that kills its
  /// process loses only itself (processes, process-pool). Otherwise all tasks share one fate.
  bool isolates_tasks = false;
  /// Makes a fresh executor; empty for a model not built here (available = false).
  std::function<std::unique_ptr<executor>()> factory{};
  /// It runs make_task callables too. False for mpi: its ranks rebuild tasks from their steps
  /// (a workload's tasks), as code does not travel.
  bool runs_callables = true;
  /// Its tasks run in processes apart from parlab's, so a task that kills its process cannot
  /// take parlab with it, even when it takes the other tasks (mpi: a dead rank ends the job).
  /// Models that neither isolate tasks nor do this run such tasks in a supervised child.
  bool tasks_outside_parlab = false;

  // What it starts and holds, for the machine's limits (check_machine_allows) and the analysis;
  // a model of your own declares them here and gets the same checks as the built-in ones.

  /// It starts threads of its own, one per worker or per task in flight (threads, thread-pool,
  /// gil-threads, openmp, tbb): W of them count against RLIMIT_NPROC and threads-max.
  bool makes_threads = false;
  /// It starts child processes, one per worker in flight (processes, process-pool): likewise.
  bool makes_processes = false;
  /// Descriptors parlab holds per worker in flight (a child's report pipe: processes 1,
  /// process-pool 2), counted against RLIMIT_NOFILE.
  std::size_t fds_per_worker = 0;
  /// Descriptors parlab holds per HTTP download in flight: a socket, and on a model that blocks
  /// while it waits also the loop the download runs on (epoll, its eventfd, a timerfd): 4; the
  /// event loop 1; 0 where downloads run in child processes or one at a time.
  std::size_t fds_per_download = 4;
  /// Why its tasks never compute at the same time, when they never do ("one interpreter lock
  /// lets one thread compute at a time"), for advice on CPU-bound work; empty otherwise.
  std::string computes_one_at_a_time{};
  /// Its threads take turns at an emulated interpreter lock: its rows carry
  /// gil_forced_switches, and advice reads it as what CPython threads would do.
  bool has_interpreter_lock = false;
  /// It runs task graphs: a task starts only after its predecessors ended (every built-in model;
  /// mpi under its dynamic schedule). A model of your own that declares it must honour
  /// task::after.
  bool runs_graphs = false;
  /// Its workers keep the tasks they released in deques of their own and steal from each other
  /// when out of work (tbb): parlab predict simulates it with work stealing, not one queue.
  bool steals_work = false;
};

/// The registry entry of `name`; throws std::invalid_argument like make_executor.
[[nodiscard]] executor_info find_executor(std::string_view name);

/// Adds an execution model of your own to the registry: from then on make_executor,
/// run_experiment, measure_tasks and `parlab list` know it by its name, beside the built-in
/// ones. Throws std::invalid_argument for an empty or taken name or a missing factory.
/// Thread-safe.
void register_executor(executor_info info);

/// Runs `model` on the tasks in a forked child process and waits for it, so that a task which
/// kills its process (abort, a segfault, _exit) takes down the child, not the caller. The child
/// is expected to die that way: the result then has every task failed, `culprit` (e.g. "task 3")
/// with "the whole run died: killed by SIGSEGV in task 3" and the others "lost with the whole
/// run". If the child finishes instead, the same is reported with its exit status. Wall time is
/// the child's life; kernel figures are the child's; no timeline survives. Throws
/// std::logic_error while parlab threads run (it forks) and std::runtime_error if fork fails.
[[nodiscard]] run_result run_supervised(executor& model, std::span<const task> tasks,
                                        const run_options& options, std::string_view culprit);

/// Every execution model parlab knows: the built-in ones in teaching order, then the ones
/// registered with register_executor. Thread-safe (a snapshot).
[[nodiscard]] std::vector<executor_info> executors();

/// The available models that run task graphs, comma-separated ("sequential, threads, ..."): what
/// a refusal of a graph names.
[[nodiscard]] std::string models_running_graphs();

/// Creates the executor called `name`; throws std::invalid_argument naming the bad value and the
/// allowed ones.
[[nodiscard]] std::unique_ptr<executor> make_executor(std::string_view name);

}  // namespace parlab
