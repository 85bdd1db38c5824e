#pragma once
/// @file Exact scheduling from the kernel's own switch records (`--exact`).
///
/// Linux writes a record each time one of a user's threads is put on or taken off a CPU when
/// asked to (perf_event_open: a dummy software event with context_switch = 1, inherit = 1 so the
/// threads and processes started later are followed, one ring buffer per CPU, times on
/// CLOCK_MONOTONIC - parlab's clock). No privilege is needed for one's own processes while
/// kernel.perf_event_paranoid <= 2. Each switch-out says whether the thread was still runnable
/// (preempted: the kernel took the core away) or blocked. From the records come every stretch
/// each thread ran, on which CPU, and why it stopped - nothing shorter than a sample is lost, as
/// it is by parlab's own gap detection (50 us) or `parlab watch`'s looks (1 ms).
///
/// The records are read by a collector *process* forked before anything is recorded: it is not
/// one of the recorded threads, it adds no thread to parlab (the process models refuse to fork
/// while other threads run), and it copies the ring buffers out while the run goes on (reading
/// the records after it).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace parlab {

struct timeline;
struct event;

/// One stretch a thread ran on one CPU without leaving it.
struct on_cpu_interval {
  std::int64_t start_ns = 0;  ///< switched in (monotonic_ns)
  std::int64_t end_ns = 0;    ///< switched out
  std::int32_t pid = 0;       ///< its process
  std::int32_t tid = 0;
  std::int16_t cpu = -1;
  /// It left the CPU still runnable: the kernel took the core away (an involuntary switch).
  /// Otherwise it blocked (a voluntary switch) or ended.
  bool preempted = false;
  /// It ended the stretch by ending (its thread exited): neither switch the kernel counts.
  bool exited = false;
  bool started_before = false;  ///< it was on the CPU when recording began (start_ns is then)
  bool ended_after = false;     ///< it was on the CPU when recording ended (end_ns is then)
};

/// Switches of a set of intervals, counted.
struct switch_counts {
  std::uint64_t intervals = 0;
  std::uint64_t preempted = 0;   ///< switch-outs while runnable (the kernel's involuntary)
  std::uint64_t voluntary = 0;   ///< switch-outs that blocked or ended
  std::uint64_t migrations = 0;  ///< a thread's next stretch on another CPU than its last
  std::int64_t on_cpu_ns = 0;
  std::int64_t shortest_ns = 0;  ///< the shortest whole stretch (0 when none)
};

/// A thread's name from an exec (or a rename) on, as the kernel recorded it.
struct exec_name {
  std::int32_t pid = 0;
  std::int32_t tid = 0;
  std::string name;  ///< up to 15 characters (comm)
};

/// A wake-up: `waker` made `wakee` runnable (sched_waking; recorded per CPU, root or CAP_PERFMON).
struct wakeup {
  std::int64_t time_ns = 0;
  std::int32_t waker_pid = 0, waker_tid = 0;  ///< 0: an interrupt or the idle task
  std::int32_t wakee_pid = 0, wakee_tid = 0;
};

/// A thread or process started by a recorded one (fork, clone).
struct thread_start {
  std::int64_t time_ns = 0;
  std::int32_t parent_pid = 0, parent_tid = 0;
  std::int32_t pid = 0, tid = 0;
};

/// What the kernel recorded between switch_recorder::begin() and end().
struct switch_schedule {
  std::int64_t start_ns = 0;  ///< records on
  std::int64_t end_ns = 0;    ///< records off
  /// Every on-CPU stretch of every recorded thread, ordered by start.
  std::vector<on_cpu_interval> intervals;
  /// The names threads took while recorded (a process that exec'd: "cc1"), in order.
  std::vector<exec_name> names;
  /// Every wake-up of a recorded thread, in time order: only with `wakers`.
  std::vector<wakeup> wakeups;
  /// The threads and processes the recorded ones started, in time order.
  std::vector<thread_start> starts;
  /// Every wake-up was recorded (root or CAP_PERFMON, the sched_waking tracepoint readable): the
  /// wait graph and the critical path can be had.
  bool wakers = false;
  /// The recorded program's first thread (its process id): parlab's for a run, the watched
  /// command's or --pid's for a watch; where its critical path ends.
  std::int32_t root_tid = 0;
  std::uint64_t records = 0;  ///< switch records read
  /// Records the kernel could not write (a ring buffer was full: PERF_RECORD_LOST); the stretches
  /// around them are missing.
  std::uint64_t lost = 0;
  std::size_t buffer_bytes = 0;  ///< each CPU's ring buffer
  std::size_t threads = 0;       ///< threads that got an event of their own at begin()
  /// The switches within the run (run_result's start_ns to end_ns), kept when the intervals are
  /// not (experiment_spec::keep_records off).
  switch_counts run;
};

/// Counts the switch-outs in [from, to) of the intervals (`tid` only, when given). Pure.
[[nodiscard]] switch_counts count_switches(std::span<const on_cpu_interval> intervals,
                                           std::int64_t from, std::int64_t to,
                                           std::optional<std::int32_t> tid = {});

/// The thread that ran a task (task_record::tid).
struct task_thread {
  std::uint32_t task = 0;
  std::int32_t pid = 0;  ///< its process (a rank on another host has none here)
  std::int32_t tid = 0;
};

/// Replaces each task's `slice` and `preempted` events in `recorded` (the recorder's estimate:
/// gaps under 50 us unseen, edges known to a few chunks) by the exact ones: the stretches the
/// task's thread ran, clipped to where the task ran, and between them
/// `preempted` where the kernel took the core away, a `wait` (blocking) where the thread
/// blocked. A task whose thread the records do not hold (another host's rank) keeps its events.
/// Returns how many tasks were refined. Pure.
std::size_t refine_with_switches(timeline& recorded, std::span<const task_thread> threads,
                                 const switch_schedule& schedule);

/// How far a sampled lane was from the exact one, over a window.
struct sampling_error {
  std::int64_t sampled_running_ns = 0;  ///< the sampled slices' time
  std::int64_t exact_running_ns = 0;    ///< the stretches' time
  /// Time the sampled lane put the thread on a CPU when it was not, or off when it was.
  std::int64_t misplaced_ns = 0;
  std::uint64_t stretches = 0;        ///< whole stretches in the window
  std::uint64_t short_stretches = 0;  ///< of them, shorter than the sampling interval
};

/// One watched thread's lane (parlab watch) made exact: its sampled `slice` and `preempted`
/// events are replaced by the thread's stretches (`mine`, in start order, the lane's worker and
/// no task) and, after each stretch that ended preempted, a `preempted` gap until the next; its
/// other events (waits classified by wchan, ready) keep only the time left. Returns how far the
/// sampled lane was from the exact one within [from, to) (`short_ns`: the sampling interval).
/// Pure.
sampling_error refine_watch_lane(std::vector<event>& lane, std::span<const on_cpu_interval> mine,
                                 std::uint32_t worker, std::int64_t from, std::int64_t to,
                                 std::int64_t short_ns);

/// One stretch of a program's critical path: where its end-to-end time went, thread by thread.
struct path_step {
  enum class kind : std::uint8_t {
    running,    ///< the thread ran
    preempted,  ///< it was runnable, but the kernel ran something else
    ready,      ///< it was woken (or just started) and waited for a CPU
    blocked,    ///< it waited for something outside the recorded threads (a timer, a disk, a
                ///< device, another program), or its waker is unknown
  };
  std::int64_t start_ns = 0, end_ns = 0;
  std::int32_t pid = 0, tid = 0;
  kind how = kind::running;
};

/// "running", "preempted", "ready", "blocked".
[[nodiscard]] std::string_view to_string(path_step::kind k) noexcept;

/// The critical path that ended with thread `tid` at `to`: from there back through what it ran,
/// and at each wait to the thread that woke it at the moment it did (a wait ended by a recorded
/// thread is explained by what that thread did until then), at a thread's start to the thread
/// that started it, until `from` (Trace Compass's critical path, from switch and wake-up
/// records). Without wake-ups (records per thread) every wait is `blocked`. Steps in time order.
/// Pure.
[[nodiscard]] std::vector<path_step> critical_path(const switch_schedule& s, std::int32_t tid,
                                                   std::int64_t from, std::int64_t to);

/// Where the recorded program's critical path ends, and in which thread.
struct path_end {
  std::int32_t tid = 0;
  std::int64_t at_ns = 0;
  bool first_thread = true;  ///< false: the first thread did not run while recorded
};

/// Where the recorded program's critical path ends: its first thread's (root_tid) last stretch,
/// or `until` when that is earlier. When the first thread did not run while recorded (a program
/// watched by `--pid` whose main thread only waits, for a join or a signal), the last stretch of
/// the thread that ran last: what the program was doing when the recording stopped. With no
/// stretch at all, the first thread at `until`. Pure.
[[nodiscard]] path_end program_end(const switch_schedule& s, std::int64_t until) noexcept;

/// The recorded program's critical path over [from, until): critical_path from program_end.
[[nodiscard]] std::vector<path_step> program_critical_path(const switch_schedule& s,
                                                           std::int64_t from, std::int64_t until);

/// How long a recorded thread waited for a CPU after being woken (as `perf sched latency`).
struct wakeup_latency {
  std::int32_t pid = 0, tid = 0;
  std::uint64_t wakeups = 0;
  std::int64_t total_ns = 0, max_ns = 0;
};

/// Per thread, from each wake-up to its next stretch (a wake-up of a thread already on a CPU
/// does not count); the worst total first. Pure.
[[nodiscard]] std::vector<wakeup_latency> wakeup_latencies(const switch_schedule& s);

/// Who woke whom, how often: one edge per waker and wakee thread (waker 0: an interrupt or the
/// idle task), the most frequent first.
struct wait_edge {
  std::int32_t waker_pid = 0, waker_tid = 0;
  std::int32_t wakee_pid = 0, wakee_tid = 0;
  std::uint64_t count = 0;
};

/// The wait graph of the recorded threads. Pure.
[[nodiscard]] std::vector<wait_edge> wait_graph(const switch_schedule& s);

/// The collector of switch records. One per process; not thread-safe (one thread calls it).
class switch_recorder {
 public:
  /// Forks the collector and asks the kernel for one event on this process: call it while this
  /// process has one thread. A kernel that refuses (perf_event_paranoid 3, a seccomp filter, a
  /// container without perf) is not an error: refusal() says why. Throws std::logic_error while
  /// other threads run, std::system_error when the fork fails. Every wake-up is recorded too
  /// where the kernel allows it (root, CAP_PERFMON); `per_thread_only`: switch records alone even
  /// then (what a user gets; the benchmark compares the two).
  explicit switch_recorder(bool per_thread_only = false);
  ~switch_recorder();
  switch_recorder(const switch_recorder&) = delete;
  switch_recorder& operator=(const switch_recorder&) = delete;

  /// Why switch records cannot be had here (one line), or empty.
  [[nodiscard]] const std::string& refusal() const noexcept;
  [[nodiscard]] bool available() const noexcept { return refusal().empty(); }

  /// Turns records on for every thread of process `pid` (0: this one) and everything they start
  /// from now on. Blocks until they are on (a few hundred microseconds). False, with refusal()
  /// set, when the kernel refused (another user's process, say).
  bool begin(std::int64_t pid = 0);
  /// Turns them off and returns what was recorded since begin(). Blocks while the collector
  /// drains the buffers and hands the stretches over.
  [[nodiscard]] switch_schedule end();

 private:
  struct state;
  std::unique_ptr<state> s_;
};

/// Switch records on for one run (run_options::exact): begun when made (given a recorder, and
/// the kernel agreeing), ended by take(), which returns the schedule with its `run` counts over
/// [from, to); a scope left without take() (a run that threw) ends them and keeps nothing. Not
/// thread-safe; never throws from its destructor.
class switch_recording {
 public:
  explicit switch_recording(switch_recorder* recorder);
  ~switch_recording();
  switch_recording(const switch_recording&) = delete;
  switch_recording& operator=(const switch_recording&) = delete;

  /// The records since this was made, or nullopt when none were taken (or already taken).
  [[nodiscard]] std::optional<switch_schedule> take(std::int64_t from, std::int64_t to);

 private:
  switch_recorder* recorder_;  // nullptr: not recording
};

}  // namespace parlab
