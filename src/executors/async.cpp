// async: one event-loop thread (Boost.Asio). At most W tasks are in flight, one per worker slot
// (a slot is a lane in the timeline). A wait step becomes an asynchronous timer and a download
// an asynchronous HTTP request (a C++20 coroutine), so thousands of waits overlap on one thread;
// a compute step runs inline on the loop and blocks every other task meanwhile - so an event
// loop helps I/O-bound work and cannot help CPU-bound work.
//
// Each slot is a small state machine: run_slot() runs its task's steps - through run_steps, the
// one interpreter every model uses - until one has to wait; the slot's step_waits starts that
// wait and suspends the program, and run_slot() returns to the loop; the wait's completion
// handler records the wait, resumes the program (resume_steps) and calls run_slot() again, which
// continues with the next step or the next task. The slots (and
// their timers) are allocated once per run, so a wait costs a timer operation, not a coroutine
// frame: 100,000 waits in flight stay cheap (docs/performance.md has the figures).
//
// A user callable (a task without steps) runs inline like any blocking code would in a
// coroutine: its ctx.wait blocks the whole loop, exactly like time.sleep() inside asyncio.

#include <parlab/clock.hpp>
#include <parlab/interrupt.hpp>

#include "executors/dependencies.hpp"
#include "executors/edge_data.hpp"
#include "executors/factories.hpp"
#include "executors/run_task.hpp"
#include "workloads/http_client.hpp"

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without it

#include <sys/mman.h>
#include <sys/types.h>
#include <unistd.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <cstddef>
#include <exception>
#include <memory>
#include <new>
#include <optional>

namespace parlab::detail {
namespace {

namespace asio = boost::asio;

class async_executor final : public executor {
 public:
  [[nodiscard]] std::string_view name() const noexcept override { return "async"; }

 protected:
  void execute(std::span<const task> tasks, const run_options& options,
               run_result& result) override {
    asio::io_context loop(1);  // one thread runs it: no locking inside Asio
    const std::size_t in_flight = std::min(options.workers, tasks.size());
    run_state state{loop,
                    tasks,
                    result.records,
                    ::getpid(),
                    ::gettid(),
                    dispatch_order(tasks, !result.after.empty()),
                    {},
                    {memory_, in_flight, loop, [this](std::size_t w) { return lane(w); }},
                    edges()};
    for (std::size_t w = 0; w < in_flight; ++w) {
      state.slots[w].waits.st = &state;
      run_slot(state, state.slots[w]);  // each runs until its first wait
    }
    loop.run();
  }

 private:
  struct run_state;
  struct slot;

  /// The loop's way with a program's waits (the one interpreter, run_steps, asks it): start the
  /// asynchronous operation - a timer, a download - and suspend the program; the completion
  /// resumes it.
  struct loop_waits final : step_waits {
    std::optional<std::uint64_t> wait_step(task_context& ctx, const step& now,
                                           std::uint64_t seed) override {
      if (now.kind != step_kind::wait && now.kind != step_kind::download) {
        // A waiting step of a user's kind with no asynchronous form: it runs inline and
        // blocks the loop, like blocking code inside an asyncio coroutine.
        return run_step_handler(ctx, now, seed);
      }
      start_wait(*st, *s, now, seed);
      return std::nullopt;
    }
    run_state* st = nullptr;  // set when the run starts
    slot* s = nullptr;        // the slot that owns it
  };

  /// One worker slot: the task it runs and where that task is. Its timer lives apart, with the
  /// other slots' timers (slot_block).
  struct slot {
    slot(asio::steady_timer& t, std::size_t w, event_lane* l) : timer(t), worker(w), lane(l) {
      waits.s = this;  // slots never move
    }
    /// Room for the slot's one pending timer operation (Asio's "custom memory allocation"
    /// pattern): a wait then allocates nothing; a bigger or second request goes to the heap.
    alignas(std::max_align_t) unsigned char op_memory[128];  // a wait op is 104 bytes here
    bool op_in_use = false;
    asio::steady_timer& timer;
    std::size_t worker;
    event_lane* lane;
    std::size_t task = no_task;  // index into the batch, or no_task between tasks
    program_state program;       // where its steps are
    loop_waits waits;
    std::int64_t start_ns = 0;  // when its task started
    std::int64_t cpu_ns = 0;
    std::uint64_t inputs = 0;   // the checksum of what a graph's predecessors handed the task
    std::int64_t asked_ns = 0;  // when the current wait started
    std::int64_t now_ns = -1;   // the clock as last read for this task, while still true
    no_hooks hooks;
    std::optional<task_context> ctx;
  };
  static constexpr std::size_t no_task = static_cast<std::size_t>(-1);

  /// Anonymous memory for the slots and their timers, asking for transparent huge pages: 100,000
  /// slots in flight are ~45 MB, and on a VM its ~11,000 first-touch page faults cost more than
  /// the waits' bookkeeping (with huge pages: ~25). Kept by the executor between its runs (as
  /// malloc keeps freed memory), so only the first run of a size - the warm-up, in an
  /// experiment - pays for zeroing it; returned when the executor goes.
  class slot_memory {
   public:
    slot_memory() = default;
    ~slot_memory() { release(); }
    slot_memory(const slot_memory&) = delete;
    slot_memory& operator=(const slot_memory&) = delete;
    /// Room for `bytes`, aligned to a huge page when they fill one.
    void* reserve(std::size_t bytes) {
      constexpr std::size_t huge = std::size_t{2} << 20U;
      const std::size_t mapped = bytes + huge;
      if (mapped > bytes_) {
        release();
        void* base =
            ::mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (base == MAP_FAILED) throw std::bad_alloc();
        base_ = base;
        bytes_ = mapped;
        if (bytes >= huge) (void)::madvise(base_, bytes_, MADV_HUGEPAGE);  // a hint
      }
      const auto start = reinterpret_cast<std::uintptr_t>(base_);
      const std::uintptr_t first = bytes >= huge ? (start + huge - 1) & ~(huge - 1) : start;
      return reinterpret_cast<void*>(first);
    }

   private:
    void release() noexcept {
      if (base_ != nullptr) ::munmap(base_, bytes_);
      base_ = nullptr;
      bytes_ = 0;
    }
    void* base_ = nullptr;
    std::size_t bytes_ = 0;
  };

  /// Every slot of a run and its timer, constructed in the executor's slot memory: the timers
  /// side by side first, then the slots. Asio keeps its pending timers in a heap whose every
  /// reordering writes into the timers it moves (~17 levels for 100,000), so timers packed at
  /// 112 bytes rather than strewn one per 350-byte slot keep those writes in cache: it made
  /// 100,000 concurrent waits ~10% faster here (docs/performance.md). Slots and timers never move
  /// (handlers and allocators point at them); they are destroyed before the loop their timers
  /// use.
  class slot_block {
   public:
    template <class LaneOf>
    slot_block(slot_memory& memory, std::size_t n, asio::io_context& loop, LaneOf&& lane_of) {
      static_assert(sizeof(asio::steady_timer) % alignof(slot) == 0);
      auto* base = static_cast<unsigned char*>(
          memory.reserve(n * (sizeof(asio::steady_timer) + sizeof(slot))));
      timers_ = reinterpret_cast<asio::steady_timer*>(base);
      slots_ = reinterpret_cast<slot*>(base + n * sizeof(asio::steady_timer));
      for (; timers_made_ < n; ++timers_made_)
        new (&timers_[timers_made_]) asio::steady_timer(loop);
      for (; slots_made_ < n; ++slots_made_) {
        new (&slots_[slots_made_]) slot(timers_[slots_made_], slots_made_, lane_of(slots_made_));
      }
    }
    ~slot_block() {
      for (std::size_t i = 0; i < slots_made_; ++i) slots_[i].~slot();
      for (std::size_t i = 0; i < timers_made_; ++i) timers_[i].~basic_waitable_timer();
    }
    slot_block(const slot_block&) = delete;
    slot_block& operator=(const slot_block&) = delete;
    slot& operator[](std::size_t i) noexcept { return slots_[i]; }

   private:
    asio::steady_timer* timers_ = nullptr;
    slot* slots_ = nullptr;
    std::size_t timers_made_ = 0;
    std::size_t slots_made_ = 0;
  };

  /// Hands a timer operation the slot's op_memory when it fits and is free.
  template <class T>
  struct slot_allocator {
    using value_type = T;
    slot* owner;
    explicit slot_allocator(slot* s) noexcept : owner(s) {}
    template <class U>
    slot_allocator(const slot_allocator<U>& other) noexcept : owner(other.owner) {}  // NOLINT
    T* allocate(std::size_t n) {
      if (!owner->op_in_use && n * sizeof(T) <= sizeof owner->op_memory) {
        owner->op_in_use = true;
        return reinterpret_cast<T*>(owner->op_memory);
      }
      return std::allocator<T>().allocate(n);
    }
    void deallocate(T* p, std::size_t n) noexcept {
      if (reinterpret_cast<unsigned char*>(p) == owner->op_memory) {
        owner->op_in_use = false;
      } else {
        std::allocator<T>().deallocate(p, n);
      }
    }
    template <class U>
    bool operator==(const slot_allocator<U>& other) const noexcept {
      return owner == other.owner;
    }
  };

  /// What every slot shares. Only the loop thread touches it.
  struct run_state {
    asio::io_context& loop;
    std::span<const task> tasks;
    std::vector<task_record>& records;
    pid_t pid;  // one process, one thread: asked once per run (each is a system call)
    pid_t tid;
    dispatch_order order;     // which task a free slot takes next
    std::vector<slot*> idle;  // a graph's slots that found no task ready
    slot_block slots;
    edge_data* edges;  // a graph's data along its edges, or nullptr
  };

  /// Runs slot `s` until it has to wait (a wait has been started: return to the loop) or the
  /// batch is done. Never throws: a failing step fails its task.
  static void run_slot(run_state& st, slot& s) {
    for (;;) {
      if (s.task == no_task) {
        // After an interrupt no task starts; the run ends when the ones in flight do.
        if (interrupt_requested()) return;
        const auto next = st.order.next(st.records);
        if (!next) {
          // A graph whose ready tasks are all taken: the slot waits until a task ends.
          if (!st.order.exhausted()) st.idle.push_back(&s);
          return;
        }
        s.task = *next;
        const task& t = st.tasks[s.task];
        if (t.steps() == nullptr) {  // a callable: nothing to interpret, it runs inline
          run_task(t, s.worker, s.hooks, st.records[s.task], s.lane, st.edges);
          ended(st, s.task);
          s.task = no_task;
          continue;
        }
        begin(s, t);
        // A graph's data: read at the task's start, on the loop thread (as asyncio would).
        if (st.edges != nullptr) s.inputs = st.edges->read_inputs(t);
      }
      try {
        if (advance(st, s)) return;  // waiting
        finish(st, s, true, {});
      } catch (...) {  // a step could not run (e.g. no memory for a touch)
        finish(st, s, false, std::current_exception());
      }
    }
  }

  /// The task's record is written once, when it ends (finish): 100,000 records in flight do not
  /// stay in cache from a task's start to its end, and a second visit costs a miss.
  static void begin(slot& s, const task& t) {
    s.start_ns = monotonic_ns();
    s.now_ns = s.start_ns;  // a first wait starts from here: no second clock read
    if (s.lane != nullptr) s.lane->begin_task(static_cast<std::uint32_t>(t.id), s.start_ns);
    s.program = start_program(t.seed);
    s.cpu_ns = 0;
    s.ctx.emplace(s.hooks, t.seed, s.worker, s.lane);
  }

  /// Runs the task's steps through the one interpreter until one waits (true: its operation is
  /// started) or the steps are done. Compute runs inline, on the loop thread.
  static bool advance(run_state& st, slot& s) {
    const task& t = st.tasks[s.task];
    const std::vector<step>& steps = *t.steps();
    // The thread's CPU clock is a system call here (~1.3 us): read it only when a step that
    // computes (compute, touch, serial, parallel) is about to run, not around every wait a slot
    // starts.
    const bool computes = task_probes() && s.program.next < steps.size() &&
                          steps[s.program.next].kind != step_kind::wait &&
                          steps[s.program.next].kind != step_kind::download;
    const std::int64_t before = computes ? thread_cpu_ns() : 0;
    const bool done = run_steps(steps, t.seed, *s.ctx, s.program, s.waits);
    if (computes) s.cpu_ns += thread_cpu_ns() - before;
    return !done;
  }

  /// Starts the asynchronous operation of a wait or download step of slot `s`.
  static void start_wait(run_state& st, slot& s, const step& now, std::uint64_t seed) {
    // The task's first step may start from the reading that stamped its start; any later one
    // (time went by computing or waiting) reads the clock.
    std::int64_t now_ns = s.program.next == 0 ? s.now_ns : -1;
    if (s.lane != nullptr) {  // (without a timeline nobody needs the wait's ends)
      s.asked_ns = now_ns >= 0 ? now_ns : monotonic_ns();
      now_ns = s.asked_ns;
      s.lane->pause(s.asked_ns);
    }
    if (now.kind == step_kind::wait) {
      // steady_clock is CLOCK_MONOTONIC, monotonic_ns()'s clock: the expiry is computed from
      // that reading when there is a fresh one (one clock read per task saved).
      const std::int64_t from = now_ns >= 0 ? now_ns : monotonic_ns();
      s.timer.expires_at(std::chrono::steady_clock::time_point(
          std::chrono::nanoseconds(from + static_cast<std::int64_t>(now.amount))));
      s.timer.async_wait(timer_done{&st, &s});
    } else {
      const auto patience = now.stall_timeout_ms > 0
                                ? std::chrono::milliseconds(now.stall_timeout_ms)
                                : download_stall_timeout;
      asio::co_spawn(st.loop, async_http_download(now.port, now.amount, seed, patience),
                     [&st, &s](std::exception_ptr error, std::uint64_t bytes_checksum) {
                       woke(st, s, wait_kind::async, error, bytes_checksum);
                     });
    }
  }

  /// The completion handler of a slot's timer; Asio allocates its operation with get_allocator().
  struct timer_done {
    run_state* st;
    slot* s;
    using allocator_type = slot_allocator<void>;
    [[nodiscard]] allocator_type get_allocator() const noexcept { return allocator_type(s); }
    void operator()(const boost::system::error_code&) const {
      woke(*st, *s, wait_kind::sleep, {}, 0);
    }
  };

  /// A wait of slot `s` ended: record it, then carry on with the task (or fail it).
  static void woke(run_state& st, slot& s, wait_kind kind, const std::exception_ptr& error,
                   std::uint64_t value) {
    if (s.lane != nullptr) {
      const std::int64_t now = monotonic_ns();
      s.lane->add({s.asked_ns, now, static_cast<std::uint32_t>(st.tasks[s.task].id),
                   s.lane->worker(), -1, event_kind::wait, kind});
      s.lane->resume(now);
    }
    if (error) {
      finish(st, s, false, error);
    } else {
      resume_steps(*st.tasks[s.task].steps(), s.program, value);
    }
    run_slot(st, s);
  }

  /// The slot's task ended (ok, or failed with `error`): fill its record, free the slot.
  static void finish(run_state& st, slot& s, bool ok, const std::exception_ptr& error) {
    task_record& r = st.records[s.task];
    r.task_id = st.tasks[s.task].id;
    r.worker = s.worker;
    r.pid = st.pid;
    r.tid = st.tid;
    r.start_ns = s.start_ns;
    r.message.clear();
    if (ok && st.edges != nullptr) {
      try {
        st.edges->produce(st.tasks[s.task]);  // what it hands its successors, made at its end
      } catch (const std::exception& e) {
        ok = false;
        r.message = e.what();
      }
    }
    r.ok = ok;
    r.failure = ok ? failure_kind::none : failure_kind::threw;
    if (ok) {
      r.result = s.program.checksum + s.inputs;
    } else if (error) {
      try {
        std::rethrow_exception(error);
      } catch (const std::exception& e) {
        r.message = e.what();
      } catch (...) {
        r.message = "unknown exception";
      }
    }
    if (st.edges != nullptr) st.edges->done_with_inputs(st.tasks[s.task]);
    r.cpu_ns = s.cpu_ns;
    r.end_ns = monotonic_ns();
    if (s.lane != nullptr) s.lane->end_task(r.start_ns, r.end_ns);
    s.ctx.reset();
    ended(st, s.task);
    s.task = no_task;
  }

  /// Task i ended: what it released goes to the slots that were idle (the slot that ran it takes
  /// the next ready task itself).
  static void ended(run_state& st, std::size_t i) {
    st.order.finished(i, st.records[i].ok);
    while (!st.idle.empty()) {
      slot* waiting = st.idle.back();
      st.idle.pop_back();
      asio::post(st.loop, [&st, waiting] { run_slot(st, *waiting); });
    }
  }

  slot_memory memory_;  // the slots' memory, kept between runs
};

}  // namespace

std::unique_ptr<executor> make_async() { return std::make_unique<async_executor>(); }

}  // namespace parlab::detail
