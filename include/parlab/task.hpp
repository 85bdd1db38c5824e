#pragma once
/// @file The task model: a task is a small program of steps (compute, wait) or a user callable.

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
#include <variant>
#include <vector>

namespace parlab {

/// What one step of a built-in task does. compute, wait and lock are the interpreter's own; the
/// others are carried out by handlers their workloads install (register_step_handler).
enum class step_kind {
  compute,   ///< burn CPU in a real kernel (prime counting by trial division); amount = units
  wait,      ///< block without using the CPU (sleep latency); amount = nanoseconds
  download,  ///< HTTP GET of `amount` bytes from the loopback server on `port`, checksum verified
             ///< (the http workload's handler; it waits)
  touch,     ///< stream memory: a STREAM triad over three arrays of `amount` bytes in all (the
             ///< mem workload's handler; it computes)
  serial,    ///< compute `amount` units alone: no other serial or parallel step of any task runs
             ///< meanwhile, in any process (the amdahl workload's handler)
  parallel,  ///< compute `amount` units beside the others, stepping aside (every few units)
             ///< while a serial step runs (the amdahl workload's handler)
  fault,     ///< fail on purpose (--fault): amount = task id << 8 | fault_mode; as data, so the
             ///< injected fault travels to MPI ranks like any step
  lock,      ///< a critical section: take shared lock number `port` (lock_step; one lock for
             ///< every thread and every process forked after the program made it), compute
             ///< `amount` units holding it, let it go (the interpreter's own, like compute)
};

/// "compute", "wait", "download", "touch", "serial", "parallel", "fault", "lock".
[[nodiscard]] std::string_view to_string(step_kind kind) noexcept;

/// One step of a built-in task.
struct step {
  step_kind kind = step_kind::compute;
  std::uint64_t amount = 0;
  std::uint16_t port = 0;  ///< download only: the loopback server's port
  /// download only: milliseconds connecting, sending or any one read may wait before the
  /// download fails with "no progress" (0: download_stall_timeout). 32 bits, in the padding
  /// after `port`: a step stays 24 bytes (the event loop walks 100,000 programs of them).
  std::uint32_t stall_timeout_ms = 0;
};
static_assert(sizeof(step) <= 24, "a step is three words");

/// Callbacks through which an execution model sees the steps of the task it runs. The default
/// does nothing: plain threads and processes need no hooks. The emulated GIL uses them to hold
/// the lock while computing and to release it around waits, exactly where CPython does.
class execution_hooks {
 public:
  execution_hooks() = default;
  execution_hooks(const execution_hooks&) = delete;
  execution_hooks& operator=(const execution_hooks&) = delete;
  virtual ~execution_hooks() = default;

  /// Called between two small compute chunks (CPython's "between bytecodes").
  virtual void between_chunks() {}
  /// Called just before the task blocks in a wait.
  virtual void before_wait() {}
  /// Called just after the wait returns.
  virtual void after_wait() {}
};

/// What a running task can do. Passed to every task body; not thread-safe (one per running task).
class task_context {
 public:
  /// @param hooks the execution model's hooks; @param seed the task's seed (picks its numbers);
  /// @param lane where the task's slices, gaps and waits are recorded (nullptr: not recorded)
  task_context(execution_hooks& hooks, std::uint64_t seed, std::size_t worker,
               event_lane* lane = nullptr) noexcept;

  /// Runs `units` units of the prime-counting kernel in small chunks, calling the model's
  /// between_chunks() hook after each. Returns the number of primes found. Blocks (computes).
  std::uint64_t compute(std::uint64_t units);

  /// Marks the end of a small chunk of your own computing (tens of microseconds): the timeline
  /// sees time slices and the model's between_chunks() hook runs (under the emulated GIL the
  /// lock may change hands here, as between bytecodes). compute() calls it after every unit.
  void chunk_done();

  /// Blocks for `duration` without using the CPU. The model's hooks run around the wait.
  void wait(std::chrono::nanoseconds duration);

  /// Runs any blocking call `fn` as a wait (the model's hooks run around it, and the wait is
  /// recorded as wait_kind::blocking); returns its result.
  template <class F>
  decltype(auto) blocking(F&& fn) {
    return run_as_wait(wait_kind::blocking, std::forward<F>(fn));
  }

  /// Runs `take` - a call that blocks until lock `lock` is this task's - as a wait recorded as
  /// `lock_wait` on that lock (the model's hooks run around it: the emulated GIL is let go, as
  /// CPython's Lock.acquire does); returns its result.
  template <class F>
  decltype(auto) waiting_for_lock(std::uint32_t lock, F&& take) {
    return run_as_wait(wait_kind::none, std::forward<F>(take), event_kind::lock_wait, lock);
  }

  /// Records that this task held lock `lock` from `since` (monotonic_ns) until now.
  void held_lock(std::uint32_t lock, std::int64_t since) noexcept;

  /// Index of the worker running this task, in [0, workers).
  [[nodiscard]] std::size_t worker() const noexcept { return worker_; }

 private:
  template <class F>
  decltype(auto) run_as_wait(wait_kind kind, F&& fn, event_kind recorded = event_kind::wait,
                             std::uint32_t object = no_id) {
    struct guard {
      task_context& ctx;
      event what;
      event_lane::wait_mark started;
      guard(task_context& c, const event& w) : ctx(c), what(w), started(c.enter_wait()) {}
      ~guard() { ctx.leave_wait(started, what); }
      guard(const guard&) = delete;
      guard& operator=(const guard&) = delete;
    } g(*this, event{0, 0, no_id, no_id, -1, recorded, kind, object});
    return std::forward<F>(fn)();
  }
  event_lane::wait_mark enter_wait();
  /// Records the wait `what` (its kind, wait kind and object; the rest filled in here).
  void leave_wait(const event_lane::wait_mark& started, event what);

  execution_hooks* hooks_;
  event_lane* lane_;
  std::uint64_t cursor_;
  std::size_t worker_;
};

/// A task body: does the work through the context and returns a result (a checksum) that must not
/// depend on the execution model. An exception marks the task failed with its message.
using task_body = std::function<std::uint64_t(task_context&)>;

/// The most bytes one task hands its successors (task::output_bytes; --edge-bytes, a graph
/// file's `bytes`).
inline constexpr std::size_t max_output_bytes = std::size_t{256} << 20U;

/// A unit of work handed to an executor: a program of steps or a callable - one or the other.
struct task {
  std::size_t id = 0;      ///< index in its batch; records are reported per id
  std::string label;       ///< e.g. "cpu#3"
  std::uint64_t seed = 0;  ///< reproducible per-task choices (which numbers compute() tests)
  /// What the task does: steps (every model interprets them with run_steps, each carrying out
  /// the waits its own way) or a user's callable (run as it is).
  std::variant<std::vector<step>, task_body> work;
  /// What the task needs kept alive while any copy of it exists (the http workload's server).
  std::shared_ptr<const void> keep_alive;
  /// The ids of the tasks it waits for (a task graph): it starts only after every one of them
  /// ended, and never when one of them failed. Empty for a task of a bag of independent tasks.
  /// A batch with any of them is checked before it runs (check_graph,
  /// include/parlab/task_graph.hpp).
  std::vector<std::size_t> after;
  /// Bytes the task hands each of its successors when it ends (data along its out-edges): made
  /// at its end, read by every successor at its start - where it lies for models sharing memory,
  /// copied through pipes and sockets for process models. 0: nothing (an edge only orders).
  std::size_t output_bytes = 0;

  /// The steps, or nullptr for a callable.
  [[nodiscard]] const std::vector<step>* steps() const noexcept {
    return std::get_if<std::vector<step>>(&work);
  }
};

/// Carries out one step of a kind outside core on the calling thread (touch: the mem workload;
/// download: the http workload) and returns the value folded into the task's checksum.
using step_handler =
    std::function<std::uint64_t(task_context& ctx, const step& s, std::uint64_t seed)>;

/// Installs (or replaces) the handler of `kind`; `waits`: the step waits rather than computes, so
/// each model carries it out its own way (blocking models inside ctx.blocking; the event loop
/// asynchronously when it knows how, else inline). Throws std::invalid_argument for compute, lock
/// and wait (the interpreter's own) and for an empty handler. Thread-safe.
void register_step_handler(step_kind kind, step_handler handler, bool waits);

/// Shared locks for lock steps: at most this many, numbered 0..max_locks-1.
inline constexpr std::size_t max_locks = 256;

/// The number of the shared lock called `name`, given in order of first use in this process (so
/// the same in every process forked after); std::invalid_argument for an empty name or a 257th.
/// Makes the table of locks (shared memory, one page per 64 locks) if it does not exist yet: call
/// it (or lock_step) before the model forks, as building the tasks does. Thread-safe.
[[nodiscard]] std::uint16_t lock_number(std::string_view name);

/// The name lock `number` was given in this process ("lock N" when none was).
[[nodiscard]] std::string lock_name(std::uint32_t number);

/// A critical section on the shared lock `name`: take it, compute `units` units, let it go.
/// Under thread models it is a mutex between threads; under process models the same robust,
/// process-shared mutex in a shared page (a holder that dies leaves it to the next taker).
[[nodiscard]] step lock_step(std::string_view name, std::uint64_t units);

/// Runs the installed handler of s.kind; std::invalid_argument when there is none.
std::uint64_t run_step_handler(task_context& ctx, const step& s, std::uint64_t seed);

/// How an execution model carries out the steps that wait (wait, download). The one
/// interpreter of steps, run_steps, calls it; blocking models wait where they stand, the event
/// loop starts an asynchronous operation and resumes the program when it completes.
class step_waits {
 public:
  step_waits() = default;
  step_waits(const step_waits&) = delete;
  step_waits& operator=(const step_waits&) = delete;
  virtual ~step_waits() = default;

  /// Carries out step `s` (a wait or a download) of the task seeded `seed`: returns the value it
  /// produced (a download's checksum; 0 for a wait) when it is done, or nullopt when the model
  /// suspended the program (it calls resume_steps with the value later). May throw.
  virtual std::optional<std::uint64_t> wait_step(task_context& ctx, const step& s,
                                                 std::uint64_t seed) = 0;
};

/// Waits where they stand: ctx.wait for a wait, a blocking download inside ctx.blocking.
class blocking_waits final : public step_waits {
 public:
  std::optional<std::uint64_t> wait_step(task_context& ctx, const step& s,
                                         std::uint64_t seed) override;
};

/// Where a program of steps is: the next step to run and the checksum so far.
struct program_state {
  std::size_t next = 0;
  std::uint64_t checksum = 0;
};

/// The state a program starts from (its checksum is seeded by the task's seed).
[[nodiscard]] program_state start_program(std::uint64_t seed) noexcept;

/// The one interpreter of steps: runs steps[state.next...] - compute and touch on the calling
/// thread, waits and downloads through `waits` - until the program ends (true; the result is
/// state.checksum) or `waits` suspends it (false; state.next is the suspended step). Throws what
/// a step throws.
bool run_steps(std::span<const step> steps, std::uint64_t seed, task_context& ctx,
               program_state& state, step_waits& waits);

/// Completes the suspended step with the value its operation produced, and moves past it.
void resume_steps(std::span<const step> steps, program_state& state, std::uint64_t value) noexcept;

/// Runs a whole task on the calling thread, waits included (a program through blocking_waits,
/// a callable as it is); returns its result. What every blocking model does with a task.
std::uint64_t run_to_end(const task& t, task_context& ctx);

/// A task that runs `steps` through the context; its result is a checksum of the prime counts.
[[nodiscard]] task make_step_task(std::size_t id, std::string label, std::uint64_t seed,
                                  std::vector<step> steps);

/// A task that runs a user callable; use ctx.compute / ctx.wait / ctx.blocking inside it so every
/// execution model (including the emulated GIL) treats its work the way that model would.
[[nodiscard]] task make_task(std::size_t id, std::string label, task_body body,
                             std::uint64_t seed = 0);

/// Numbers tested per compute unit; one unit is a few microseconds of integer division.
inline constexpr std::uint64_t numbers_per_unit = 64;

/// How many compute units take a millisecond of CPU on this machine: measured on the calling
/// thread at the first call (the fastest of 5 trials of 100 units, on the thread's CPU clock, so
/// preemption does not count; ~3 ms) and cached for the process. Sizes the mixed workload's
/// compute and is what `parlab list` prints. Thread-safe.
[[nodiscard]] double compute_units_per_ms();

/// Counts primes in [first, first + count) by trial division. Pure, thread-safe.
[[nodiscard]] std::uint64_t count_primes(std::uint64_t first, std::uint64_t count) noexcept;

}  // namespace parlab
