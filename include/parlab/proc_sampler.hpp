#pragma once
/// @file The process sampler (`parlab watch`'s instrument): the threads and processes of a
/// program parlab did not write, sampled from /proc without privileges, turned into timeline
/// events. What the watch makes of them (a run, its verdict) is parlab/watch.hpp.
///
/// Linux tells any user, for their own processes, each thread's on-CPU time, run-queue delay and
/// timeslice count (/proc/PID/task/TID/schedstat, exact in nanoseconds), its state letter and
/// last CPU (stat) and the kernel function it sleeps in (wchan). The sampler reads them every
/// interval (files kept open, pread at offset 0), follows the process tree (a thread's children
/// file), and feeds each thread's looks to a watch_lane, which turns the deltas between two looks
/// into slices, ready / preempted time and waits. Which stretches of a thread count as work in
/// flight is decided when the watch ends (watch_tasks).

#include <parlab/switch_records.hpp>
#include <parlab/timeline.hpp>

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace parlab {

/// What a sleeping watched thread waits in, from the kernel function its wchan names.
enum class thread_wait : std::uint8_t {
  none,   ///< not asleep (running or runnable)
  sleep,  ///< a timed sleep (nanosleep, clock_nanosleep)
  io,     ///< I/O: disk wait (state D), poll / select / epoll, a pipe, a socket, a terminal
  futex,  ///< a futex: a lock, a condition variable, a join, CPython's GIL
  child,  ///< waiting for a child process to end (wait4, waitid)
  other,  ///< asleep elsewhere (a signal, a stop, a kernel function parlab does not know)
};

/// "none", "sleep", "io", "futex", "child", "other".
[[nodiscard]] std::string_view to_string(thread_wait wait) noexcept;

/// The wait the wchan symbol `symbol` (e.g. "hrtimer_nanosleep", "futex_wait_queue",
/// "do_wait", "do_sys_poll") stands for; `state` is the thread's state letter (D: io). none for
/// "0" (the thread was woken as it was read: the sampler asks again at the next look). Pure.
[[nodiscard]] thread_wait classify_wchan(std::string_view symbol, char state) noexcept;

/// The fields parlab reads from /proc/PID[/task/TID]/stat.
struct proc_stat {
  std::string comm;              ///< the thread's name (up to 15 characters)
  char state = '?';              ///< R running, S sleeping, D disk wait, Z zombie, T stopped, ...
  pid_t ppid = 0;                ///< the parent process
  std::uint64_t cutime = 0;      ///< clock ticks of waited-for children (user + system)
  std::int64_t num_threads = 0;  ///< threads of the process
  int processor = -1;            ///< the CPU it last ran on
};

/// Parses a stat line (the comm may hold spaces and parentheses: it ends at the last ')'), or
/// nullopt when it is not one. Pure.
[[nodiscard]] std::optional<proc_stat> parse_proc_stat(std::string_view text);

/// The three numbers of /proc/PID/task/TID/schedstat.
struct proc_schedstat {
  std::int64_t on_cpu_ns = 0;     ///< time spent running
  std::int64_t run_delay_ns = 0;  ///< time spent runnable on a run queue, waiting for a CPU
  std::uint64_t timeslices = 0;   ///< times it was put on a CPU
};

/// Parses schedstat's "ON_CPU RUN_DELAY TIMESLICES" line, or nullopt. Pure.
[[nodiscard]] std::optional<proc_schedstat> parse_schedstat(std::string_view text) noexcept;

/// One look at one thread.
struct thread_look {
  std::int64_t t_ns = 0;  ///< monotonic_ns() when it was read
  std::int64_t on_cpu_ns = 0;
  std::int64_t run_delay_ns = 0;
  char state =
      'S';  ///< as stat says; unchanged since the last stat read when the thread did not run
  std::int16_t cpu = -1;                 ///< the CPU it last ran on
  thread_wait wait = thread_wait::none;  ///< what it sleeps in (state S or D)
};

/// How long after a look the kernel's figures for the interval before it are taken as complete.
/// A running thread's on-CPU time grows only at the scheduler's tick (every 4 ms at HZ=250) or
/// when it stops running, and its run delay only when it gets a CPU, so the growth seen at a look
/// may belong to earlier intervals; 20 ms covers a tick at HZ >= 100 with room to spare.
inline constexpr std::int64_t watch_settle_ns = 20'000'000;

/// Turns one thread's looks into timeline events on one lane.
///
/// The kernel's on-CPU time and run delay are exact sums but arrive late (see watch_settle_ns);
/// the state letter is exact at each look. So each interval between two looks waits until it
/// settles, and the growth seen meanwhile is credited to the pending intervals, newest first (it
/// happened since the figure last grew: at most a tick ago): running time first to intervals
/// with the thread runnable ('R') at both looks, then to those with 'R' at one, then to any;
/// run-queue delay likewise into what is left. A settled interval
/// becomes events: a slice on the CPU it last ran on, the delay (`preempted` when the thread was
/// runnable at the first look, `ready` when it woke meanwhile), and a wait for the rest (sleep,
/// blocking I/O, futex by its wchan; a wait for a child leaves the lane idle). Order within the
/// interval: a thread runnable at the first look ran first; one asleep then slept first, was
/// woken, then ran. Adjacent events of one kind merge: a thread computing for a minute is one
/// slice per CPU it ran on. Sums are exact; where within a tick the time went is estimated.
/// Pure (no clock).
class watch_lane {
 public:
  explicit watch_lane(std::uint32_t worker) : worker_(worker) {}

  /// A look, at a later time than the previous one. The first look only sets where the lane
  /// starts; nothing is known after the last one (a thread that ended between two looks loses
  /// at most one interval). `room`: events the caller lets this lane add (a budget shared by
  /// every lane); once it is 0 new events are counted as dropped.
  void look(const thread_look& l, std::size_t& room);
  /// Settles every pending interval (the thread ended, or the watch did).
  void flush(std::size_t& room);

  [[nodiscard]] const std::vector<event>& events() const noexcept { return events_; }
  [[nodiscard]] std::vector<event>& events() noexcept { return events_; }
  [[nodiscard]] std::uint64_t dropped() const noexcept { return dropped_; }
  [[nodiscard]] std::uint32_t worker() const noexcept { return worker_; }

 private:
  struct interval {
    std::int64_t t0 = 0, t1 = 0;
    bool runnable0 = false, runnable1 = false;  // 'R' at the first / second look
    thread_wait wait0 = thread_wait::none, wait1 = thread_wait::none;
    std::int16_t cpu = -1;
    std::int64_t run = 0, delay = 0;  // credited so far
  };
  void add(event e, std::size_t& room);
  void credit() noexcept;
  void settle(const interval& i, std::size_t& room);

  std::uint32_t worker_;
  std::vector<event> events_;
  std::uint64_t dropped_ = 0;
  bool looked_ = false;
  thread_look last_;
  std::vector<interval> pending_;               // not settled yet, oldest first
  std::int64_t cpu_owed_ = 0, delay_owed_ = 0;  // growth not credited to an interval yet
};

/// A stretch of time [from, to).
struct time_window {
  std::int64_t from = 0, to = 0;
};

/// Marks which stretches of one lane's events were work in flight and adds a `task` event for
/// each: a thread is in flight from its first event to its last, except while it waits
///  - for a child process (wait4: no events there),
///  - in any way while a child process of its own is alive (`children_alive`, sorted windows): a
///    parent polling its workers' pipes, make in pselect, a pool's manager - it supervises, the
///    children do the work,
///  - on a futex for at least `idle_after_ns` (a join, an idle pool worker waiting for work - not
///    a GIL or lock hand-over, which take a few milliseconds), or on a futex at all when it ran
///    under 5% of the time over the wait and the idle_after_ns before it (a coordinator joining
///    its workers one by one; threads taking turns at a GIL each run 1/N of the time).
/// Waits are split where a window begins or ends. Events inside a stretch get its task id (from
/// `next_task`, which advances); the rest keep no_id. `events` are one lane's, in time order.
/// Pure.
void watch_tasks(std::vector<event>& events, std::uint32_t& next_task, std::int64_t idle_after_ns,
                 std::span<const time_window> children_alive = {});

/// How the sampler works.
struct live_view;

struct watch_options {
  std::chrono::microseconds interval{1000};       ///< between two looks at the whole tree
  std::size_t max_threads = 1024;                 ///< lanes at most; later threads are only counted
  std::size_t max_events = std::size_t{1} << 21;  ///< events over every lane (64 MiB)
  /// A futex wait at least this long is not work in flight (watch_tasks).
  std::int64_t idle_after_ns = 50'000'000;
  bool follow_children = true;  ///< watch the processes the watched ones start
  /// The root was just started for the watch (parlab watch -- COMMAND): its CPU time counts from
  /// its start, as that of every thread born while watched does (a thread already running when
  /// the watch began counts from the first look).
  bool new_root = false;
  /// Also record every context switch of the watched threads from the kernel's switch records
  /// (`--exact`; not owned, nullptr: off): each lane's slices become its thread's exact
  /// stretches, a thread the looks missed gets a lane of its own, watch_result::exact and
  /// sampling_errors say what they were.
  switch_recorder* exact = nullptr;
  /// Called from the sampling loop about every `live_every` with what the sampler sees so far
  /// (parlab watch --live draws it); empty: never. It runs between two looks: it should take
  /// milliseconds, and must not throw.
  std::function<void(const live_view&)> live;
  std::chrono::milliseconds live_every{500};
};

/// A watched thread, as the sampler last saw it.
struct watched_thread {
  pid_t pid = 0;  ///< its process
  pid_t tid = 0;
  pid_t ppid = 0;       ///< its process's parent
  std::string name;     ///< its comm
  std::string command;  ///< its process's command line (arguments joined by spaces)
  std::uint32_t lane = 0;
  std::int64_t first_ns = 0, last_ns = 0;  ///< first and last look
  std::int64_t cpu_ns = 0;                 ///< on-CPU time between them
  std::int64_t run_delay_ns = 0;           ///< run-queue wait between them
  std::uint64_t timeslices = 0;            ///< times put on a CPU between them
};

/// A watched thread as the last look saw it, for a view while the watch goes on.
struct live_thread {
  watched_thread seen;                   ///< its lane: CPU time so far, first and last look
  char state = 'S';                      ///< R running or runnable, S asleep, D disk, ...
  thread_wait wait = thread_wait::none;  ///< what it sleeps in, when asleep
  bool ended = false;                    ///< it has ended (its lane is kept)
};

/// What a watch has seen so far (proc_sampler::live, watch_options::live).
struct live_view {
  std::int64_t start_ns = 0, now_ns = 0;  ///< first and last look
  std::uint64_t samples = 0;              ///< looks so far
  std::size_t cores = 0;                  ///< CPUs the root may run on
  std::size_t processes = 0;              ///< processes seen
  std::uint64_t dropped_threads = 0;      ///< past max_threads
  std::vector<live_thread> threads;       ///< by lane
};

/// What a watch saw.
struct watch_result {
  std::vector<std::string> command;  ///< empty for --pid
  pid_t root = 0;
  std::size_t cores = 0;  ///< CPUs the root process may run on
  std::chrono::microseconds interval{1000};
  std::int64_t start_ns = 0, end_ns = 0;  ///< first and last look
  std::uint64_t samples = 0;              ///< looks at the whole tree
  std::vector<watched_thread> threads;    ///< by lane
  std::vector<event> events;              ///< every lane's, ordered by start (task events too)
  std::uint64_t dropped_events = 0;       ///< past max_events
  std::uint64_t dropped_threads = 0;      ///< past max_threads (or out of descriptors)
  std::size_t processes = 0;              ///< processes seen
  double sampler_cpu_seconds = 0.0;       ///< the sampling thread's own CPU time
  /// The CPU time the kernel accounted to the whole tree (the command and every child it waited
  /// for: wait4's rusage), when parlab started it; the sampler saw seen_cpu_seconds() of it.
  std::optional<double> tree_cpu_seconds;
  /// The largest resident set among the command and the children it waited for (wait4), when
  /// parlab started it.
  std::optional<std::int64_t> peak_rss_bytes;
  /// Their context switches, voluntary (blocked) and involuntary (pre-empted), summed (wait4),
  /// when parlab started it.
  std::optional<std::int64_t> voluntary_switches, involuntary_switches;
  /// With watch_options::exact: the watched threads' stretches (parlab's own left out; `run`
  /// counts those between the first and the last look).
  std::optional<switch_schedule> exact;
  /// With exact: how far each lane's sampled picture was from the exact one, by lane (lanes
  /// the looks never saw have none: their sampled picture was nothing).
  std::vector<sampling_error> sampling_errors;
  std::optional<int> exit_status;  ///< the command's wait status, when parlab started it
  bool interrupted = false;        ///< a signal stopped the watch
  /// Processes the command started that were still running when it ended or was stopped
  /// ("1234 (sleep)"), which parlab then ended; and those it could not end (another user's).
  std::vector<std::string> leftovers_ended, leftovers_running;

  [[nodiscard]] double wall_seconds() const noexcept;
  /// CPU time over every watched thread.
  [[nodiscard]] double seen_cpu_seconds() const noexcept;
  /// The sampler's CPU over the wall time: the share of one core it cost.
  [[nodiscard]] double sampler_core_share() const noexcept;
};

/// Samples a process tree. Not thread-safe: one thread calls look() in a loop.
class proc_sampler {
 public:
  /// Opens the root's files; throws std::invalid_argument "no process PID" when it does not
  /// exist and "process PID belongs to another user" when this user may not read its threads.
  proc_sampler(pid_t root, const watch_options& options);
  ~proc_sampler();
  proc_sampler(const proc_sampler&) = delete;
  proc_sampler& operator=(const proc_sampler&) = delete;

  /// One look at every watched thread, and at the tree for new processes and threads. False
  /// once the root process has ended (or is a zombie) and no watched thread is left.
  bool look();
  /// The root process has ended (its stat says zombie, or it is gone).
  [[nodiscard]] bool root_ended() const noexcept;
  /// What the looks so far saw: every lane's thread as last seen. Cheap (a copy of the lanes'
  /// summaries, not their events).
  [[nodiscard]] live_view live() const;
  /// Ends every lane, decides the tasks and returns what was seen. Call once, last. `exact`:
  /// the switch records of the same watch, which make the lanes exact.
  [[nodiscard]] watch_result finish(std::optional<switch_schedule> exact = {});

 private:
  struct state;
  static void make_exact(state& s, watch_result& w, switch_schedule exact);
  state* s_;
};

/// Starts `argv` (argv[0] a path: find_program) with parlab's standard input, output and error,
/// and samples it and the processes it starts until it ends. After an interrupting signal (under
/// an interrupt_scope: Ctrl-C reaches the command from the terminal too) the command gets 200 ms
/// to end by itself, is then sent the signal with every process it started, and after 2 s more
/// they are stopped (SIGTERM, 0.5 s, SIGKILL); what was seen is returned with `interrupted` set.
/// Whatever the command started and left running when it ended is ended too (this process
/// becomes the reaper of its orphans, so a setsid or double-forked process is found):
/// leftovers_ended names them. Throws std::system_error when the command cannot be started.
/// Raises this process's RLIMIT_NOFILE soft limit to its hard limit (four descriptors a thread).
[[nodiscard]] watch_result watch_program(const std::vector<std::string>& argv,
                                         watch_options options);

/// Samples the running process `pid` (and what it starts) until it ends, `duration` passed, or
/// an interrupting signal arrived (the process is left alone). Throws std::invalid_argument for a
/// PID that does not exist or is not this user's. Raises RLIMIT_NOFILE as watch_program does.
[[nodiscard]] watch_result watch_process(pid_t pid, const watch_options& options,
                                         std::optional<std::chrono::nanoseconds> duration = {});

}  // namespace parlab
