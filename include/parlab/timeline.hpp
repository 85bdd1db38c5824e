#pragma once
/// @file Recording what ran when: events, per-worker event lanes, and a run's recorder.
///
/// Every worker writes to its own lane (one writer at a time, no locks, no allocation while
/// recording: the lane's storage is reserved up front and events past its capacity are counted,
/// not stored). Times are monotonic_ns(), one clock for every thread and process on the host, so
/// a forked child's events line up with the parent's.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace parlab {

/// What an event records. Intervals have start_ns <= end_ns; instants have start_ns == end_ns.
enum class event_kind : std::uint8_t {
  queued,     ///< instant: the task was handed to the executor
  task,       ///< the task's lifetime on its worker: started -> finished
  slice,      ///< the task ran on CPU `cpu` without the kernel taking the core away
  preempted,  ///< a gap inside a slice: the task was runnable but the kernel ran something else
  wait,       ///< the task blocked (ctx.wait / ctx.blocking) without using the CPU
  gil_wait,   ///< gil-threads: the worker asked for the emulated GIL and waited to get it
  gil_hold,   ///< gil-threads: the worker held the emulated GIL
  ready,      ///< the task was runnable but waited on the kernel's run queue for a CPU after a
              ///< wait, the GIL or a lock let it go (from /proc/thread-self/schedstat's run delay)
  lock_wait,  ///< the task waited to take the named lock `object` (a lock step, contended)
  lock_hold,  ///< the task held the named lock `object` (a lock step's critical section)
};

/// "queued", "task", "slice", "preempted", "wait", "gil_wait", "gil_hold", "ready", "lock_wait",
/// "lock_hold".
[[nodiscard]] std::string_view to_string(event_kind kind) noexcept;
/// The kind spelled `name` (as to_string spells it), or nullopt.
[[nodiscard]] std::optional<event_kind> event_kind_from_string(std::string_view name) noexcept;

/// What a `wait` event waited in.
enum class wait_kind : std::uint8_t {
  none,      ///< not a wait
  sleep,     ///< ctx.wait(duration): a timed sleep (the io workload's "I/O")
  blocking,  ///< ctx.blocking(fn): any blocking call (a read, a lock, a join)
  async,     ///< an asynchronous operation awaited on an event loop (the thread runs others)
  futex,     ///< a watched thread asleep on a futex: a lock, a condition, a join (parlab watch)
};

/// "none", "sleep", "blocking", "async", "futex".
[[nodiscard]] std::string_view to_string(wait_kind kind) noexcept;
/// The wait kind spelled `name`, or nullopt.
[[nodiscard]] std::optional<wait_kind> wait_kind_from_string(std::string_view name) noexcept;

/// "No task" / "no worker" in an event's id fields.
inline constexpr std::uint32_t no_id = 0xFFFF'FFFFU;

/// One recorded event (32 bytes, trivially copyable: children send them through a pipe as is).
struct event {
  std::int64_t start_ns = 0;
  std::int64_t end_ns = 0;
  std::uint32_t task = no_id;    ///< task id, or no_id (e.g. a worker waiting for the GIL)
  std::uint32_t worker = no_id;  ///< worker slot, or no_id (queued: not on a worker yet)
  std::int16_t cpu = -1;         ///< slices: the CPU it ran on (sched_getcpu), else -1
  event_kind kind = event_kind::slice;
  wait_kind wait = wait_kind::none;  ///< `wait` events: what the task waited in
  std::uint32_t object = no_id;      ///< lock_wait / lock_hold: the lock's number, else no_id
};

/// Events in one lane by default: enough for ~10 minutes of a worker being preempted every 10 ms.
inline constexpr std::size_t default_lane_capacity = std::size_t{1} << 16;

/// Events a recorder reserves at most over all its lanes (2^21 events, 64 MiB): with many
/// workers (an event loop with 100,000 tasks in flight) each lane gets its share, at least
/// min_lane_capacity, instead of default_lane_capacity each.
inline constexpr std::size_t recorder_event_budget = std::size_t{1} << 21;
inline constexpr std::size_t min_lane_capacity = 64;

/// Gap detection reads the clock once every this many compute chunks (a chunk is ~6 us), so
/// recording costs about a tenth of a percent; a gap's position is known to within that stretch.
inline constexpr std::uint32_t chunks_per_check = 4;
/// A stretch of chunks that took longer than this in wall time makes the lane read the thread's
/// CPU clock to see whether the kernel took the core away.
inline constexpr std::int64_t gap_probe_ns = 100'000;
/// Gaps shorter than this are not recorded (timer interrupts, not time slicing).
inline constexpr std::int64_t gap_min_ns = 50'000;

/// The events of one worker, and the state of the slice its current task is running.
/// Not thread-safe: one writer at a time (a worker, or whoever hands the lane over with a
/// happens-before edge, such as a mutex or a thread join). Never blocks, never allocates after
/// construction. Aligned to a cache line so neighbouring workers' lanes never share one.
class alignas(64) event_lane {
 public:
  /// Reserves room for `capacity` events of worker `worker`.
  explicit event_lane(std::size_t worker = 0, std::size_t capacity = default_lane_capacity);

  /// Stores `e`, or counts it as dropped when the lane is full.
  void add(const event& e) noexcept;
  /// Counts `n` events lost elsewhere (a child process's full lane) as dropped here.
  void count_dropped(std::uint64_t n) noexcept { dropped_ += n; }

  /// The task `task` starts on this lane at `now`: opens its first slice.
  void begin_task(std::uint32_t task, std::int64_t now) noexcept;
  /// The task ends at `now`: closes the open slice and records the task event from `started`.
  void end_task(std::int64_t started, std::int64_t now) noexcept;
  /// The task stops running at `now` (it blocks, or gives up the GIL): closes the open slice.
  void pause(std::int64_t now) noexcept;
  /// The task runs again from `now`: opens a slice.
  void resume(std::int64_t now) noexcept;
  /// The task runs again after a wait: opens a slice where the lane's last event ended (the
  /// wait, its ready part, or a GIL wait recorded after it), so the recorder's own bookkeeping in
  /// between - and a preemption during it - lies inside the slice, where gap detection sees it,
  /// not in no event at all.
  void resume_after_wait() noexcept;
  /// Where a wait began: the wall clock and the thread's run-queue delay so far.
  struct wait_mark {
    std::int64_t wall_ns = 0;
    std::int64_t run_delay_ns = -1;  ///< -1: the kernel does not say (no schedstat)
  };
  /// Marks the start of a wait at `now` (reads the thread's run-queue delay: ~0.6 us).
  [[nodiscard]] static wait_mark mark_wait(std::int64_t now) noexcept;
  /// Records the wait `e` (kind, task, wait, object set by the caller) from `mark` to `now`,
  /// split in two where the kernel says so: the time the thread spent runnable on the run queue
  /// meanwhile (woken, waiting for a CPU: its schedstat run-delay grew) becomes a `ready` event
  /// at the wait's end, where a woken thread waits for a CPU; the rest stays `e`.
  void add_wait(event e, const wait_mark& mark, std::int64_t now) noexcept;
  /// Called after each compute chunk: every chunks_per_check chunks, detects the kernel taking
  /// the core away since the last check and, if it did, splits the slice around a `preempted`
  /// gap. Cheap (a counter; one vDSO clock read per check) unless the stretch was slow.
  void after_chunk() noexcept;

  [[nodiscard]] std::span<const event> events() const noexcept { return events_; }
  [[nodiscard]] std::uint64_t dropped() const noexcept { return dropped_; }
  [[nodiscard]] std::uint32_t worker() const noexcept { return worker_; }
  /// The task running on this lane, or no_id.
  [[nodiscard]] std::uint32_t current_task() const noexcept { return task_; }

 private:
  void open_slice(std::int64_t now) noexcept;
  void close_slice(std::int64_t now) noexcept;
  bool split_at_gap(std::int64_t now, std::int64_t stretch_start) noexcept;

  std::vector<event> events_;  // capacity reserved once; never grows
  std::size_t capacity_;
  std::uint64_t dropped_ = 0;
  std::uint32_t worker_;
  std::uint32_t task_ = no_id;
  bool open_ = false;
  std::int16_t cpu_ = -1;
  std::uint32_t chunks_ = 0;  // chunks since the last clock read
  std::int64_t slice_start_ = 0;
  std::int64_t last_chunk_ = 0;  // when the stretch of chunks last read ended
  std::int64_t check_wall_ = 0;  // wall and CPU clocks at the last check
  std::int64_t check_cpu_ = 0;
  std::int64_t last_end_ = 0;  // end of the latest event added (kept even if it was dropped)
};

/// What a run recorded: every event of every worker, ordered by start time.
struct timeline {
  std::vector<event> events;
  std::uint64_t dropped = 0;  ///< events lost because a lane was full
};

/// One lane per worker for one run. lane(w) may be used by worker w's thread while other workers
/// use theirs (each lane is a separate object; no sharing, no false sharing of hot state).
class recorder {
 public:
  /// @param workers lanes 0..workers-1; @param capacity events per lane, lowered to
  /// max(min_lane_capacity, recorder_event_budget / workers) when that is smaller
  explicit recorder(std::size_t workers, std::size_t capacity = default_lane_capacity);

  /// Worker w's lane. Thread-safe for distinct w; throws std::out_of_range for a bad w.
  [[nodiscard]] event_lane& lane(std::size_t worker);
  [[nodiscard]] std::size_t workers() const noexcept { return lanes_.size(); }

  /// Merges every lane (and `extra` events, e.g. queued instants) into one timeline ordered by
  /// start time. Call after every writer stopped. Not thread-safe with writers.
  [[nodiscard]] timeline collect(std::span<const event> extra = {}) const;

 private:
  std::vector<event_lane> lanes_;
};

}  // namespace parlab
