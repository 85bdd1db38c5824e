// amdahl: a workload whose serial fraction is known, to check that the scaling laws recover it.
// Each task computes `size` units in 4 rounds; in each round the share serial_fraction runs
// alone (a serial step: a global lock taken exclusively, so no other task's serial or parallel
// step runs meanwhile) and the rest beside the others (a parallel step: the lock taken shared, a
// few units at a time, so a serial step that wants the machine waits at most a few units).
// That is Amdahl's machine: at any instant either one serial part runs alone, or parallel parts
// run on every worker, and T(W) = s T(1) + (1 - s) T(1) / W.
//
// The serial section is a small reader-writer lock of our own in a shared anonymous page, made
// in the process that generates the tasks: every child process forked after it shares it, so
// process models see the same serial section as threads do. Serial steps take it exclusively and
// go first (a parallel step asking while one wants it waits); parallel steps take it shared.
//
// Its hand-over must cost nothing next to a step, or it is a serial section of its own that the
// scaling laws would read: a waiter spins (one per core the holder leaves free, up to
// kSpinLimit) before it sleeps on a futex. On a VM, waking a sleeping vCPU costs 0.1-0.3 ms, and
// a woken thread is often put on its waker's busy core first: with pthread's rwlock, which
// sleeps at once, the thread pool read F = 0.1 as 0.13-0.31 on 2-vCPU VMs. The wait is still
// recorded as one (ctx.blocking); its CPU time is the spin.
//
// A process killed while it holds the section would leave it taken; a task that waits for it
// 60 s fails with that reason instead of hanging.

#include "workloads/generators.hpp"

#include "core/spin.hpp"

#include <parlab/machine.hpp>

#include <linux/futex.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cmath>
#include <ctime>
#include <new>
#include <stdexcept>
#include <string>
#include <system_error>

namespace parlab::detail {
namespace {

constexpr int kRounds = 4;
// Units (~45 us here) between two shared holds: a serial step waits at most this long for the
// machine, and the section's line moves between the cores once per chunk, not per unit.
constexpr std::uint64_t kParallelChunk = 8;
constexpr std::chrono::seconds kStuck{60};
// How long a waiter spins before it sleeps: a serial step of the usual sizes (1-2 ms) is waited
// out on the core; a longer one pays one wake-up, under 1% of it.
constexpr std::chrono::milliseconds kSpinLimit{20};

using clock_type = std::chrono::steady_clock;

struct serial_section {
  static constexpr std::uint32_t kExclusive = 1U << 31U;
  /// kExclusive while a serial step holds it, else the number of parallel steps holding it.
  alignas(64) std::atomic<std::uint32_t> holders{0};
  /// Serial steps that want it or hold it; while non-zero no parallel step comes in.
  std::atomic<std::uint32_t> serial_wanted{0};
  /// Moves on whenever the section may have become free: what waiters watch and sleep on.
  alignas(64) std::atomic<std::uint32_t> epoch{0};
  std::atomic<std::uint32_t> sleepers{0};
  std::atomic<std::uint32_t> spinners{0};
  /// The CPU the section's last taker ran on: a waiter there yields instead of spinning.
  std::atomic<int> holder_cpu{-1};
  /// At most this many waiters spin at once: the usable cores less the holder's.
  std::uint32_t spin_slots = 0;
};
static_assert(std::atomic<std::uint32_t>::is_always_lock_free &&
                  sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t),
              "the futex word must be a plain 32-bit word");

serial_section& the_section() {
  static serial_section* section = [] {
    void* page = ::mmap(nullptr, sizeof(serial_section), PROT_READ | PROT_WRITE,
                        MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED) {
      throw std::system_error(errno, std::generic_category(), "amdahl: mapping the serial section");
    }
    auto* s = new (page) serial_section;
    s->spin_slots = static_cast<std::uint32_t>(std::max<std::size_t>(usable_cores(), 1) - 1);
    return s;  // never unmapped: children forked at any time may hold it
  }();
  return *section;
}

long futex(std::atomic<std::uint32_t>& word, int op, std::uint32_t value, const timespec* timeout) {
  // Not FUTEX_PRIVATE_FLAG: the word is shared with forked processes.
  return ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), op, value, timeout, nullptr,
                   0);
}

/// Lets the waiters look again (the section may have become free).
void wake_waiters(serial_section& s) {
  s.epoch.fetch_add(1);
  if (s.sleepers.load() != 0) (void)futex(s.epoch, FUTEX_WAKE, INT_MAX, nullptr);
}

/// Waits until `epoch` moves on from `seen` (spinning while a core is free for it, then asleep)
/// or `deadline` passes; false on the deadline.
bool await_change(serial_section& s, std::uint32_t seen, clock_type::time_point deadline) {
  if (s.spinners.fetch_add(1) < s.spin_slots) {
    const auto spin_until = std::min(deadline, clock_type::now() + kSpinLimit);
    for (unsigned i = 1;; ++i) {
      if (s.epoch.load(std::memory_order_acquire) != seen) {
        s.spinners.fetch_sub(1);
        return true;
      }
      cpu_relax();
      if (i % 256 == 0) {
        if (clock_type::now() >= spin_until) break;
        // A waiter put on the holder's core would take its time: it steps aside there.
        if (::sched_getcpu() == s.holder_cpu.load(std::memory_order_relaxed)) ::sched_yield();
      }
    }
  }
  s.spinners.fetch_sub(1);
  const auto left = deadline - clock_type::now();
  if (left <= clock_type::duration::zero()) return false;
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
  const timespec timeout{static_cast<time_t>(ns / 1'000'000'000),
                         static_cast<long>(ns % 1'000'000'000)};
  s.sleepers.fetch_add(1);
  (void)futex(s.epoch, FUTEX_WAIT, seen, &timeout);  // EAGAIN when it moved on meanwhile
  s.sleepers.fetch_sub(1);
  return true;
}

bool try_shared(serial_section& s) {
  std::uint32_t h = s.holders.load();
  while (s.serial_wanted.load() == 0 && (h & serial_section::kExclusive) == 0) {
    if (s.holders.compare_exchange_weak(h, h + 1)) return true;
  }
  return false;
}

bool try_exclusive(serial_section& s) {
  std::uint32_t free = 0;
  return s.holders.compare_exchange_strong(free, serial_section::kExclusive);
}

/// Takes the section: at once when it is free, else as a wait (the model's hooks run around it:
/// the emulated GIL is released, and the timeline shows the task waiting for the serial section).
template <class Try>
void take(task_context& ctx, serial_section& s, Try try_take) {
  // Taken: say on which CPU, written only when it changed (the line is the one waiters watch).
  const auto took = [&] {
    const int cpu = ::sched_getcpu();
    if (s.holder_cpu.load(std::memory_order_relaxed) != cpu) {
      s.holder_cpu.store(cpu, std::memory_order_relaxed);
    }
  };
  if (try_take(s)) {
    took();
    return;
  }
  const bool taken = ctx.blocking([&] {
    const auto deadline = clock_type::now() + kStuck;
    for (;;) {
      const std::uint32_t seen = s.epoch.load();
      if (try_take(s)) {
        took();
        return true;
      }
      if (!await_change(s, seen, deadline)) return false;
    }
  });
  if (!taken) {
    throw std::runtime_error("amdahl: the serial section stayed taken for " +
                             std::to_string(kStuck.count()) +
                             " s (a process that held it may have died)");
  }
}

std::uint64_t run_serial(task_context& ctx, const step& st, std::uint64_t /*seed*/) {
  serial_section& s = the_section();
  s.serial_wanted.fetch_add(1);  // from here no parallel step comes in
  struct leave {
    serial_section& s;
    bool held = false;
    ~leave() {
      s.serial_wanted.fetch_sub(1);
      if (held) s.holders.store(0);
      wake_waiters(s);  // the parallel steps held back, or the next serial step
    }
  } on_exit{s};
  take(ctx, s, try_exclusive);
  on_exit.held = true;
  return ctx.compute(st.amount);
}

std::uint64_t run_parallel(task_context& ctx, const step& st, std::uint64_t /*seed*/) {
  serial_section& s = the_section();
  std::uint64_t found = 0;
  for (std::uint64_t done = 0; done < st.amount;) {
    const std::uint64_t chunk = std::min(kParallelChunk, st.amount - done);
    take(ctx, s, try_shared);
    struct leave {
      serial_section& s;
      ~leave() {
        // The last one out lets a serial step that is waiting in.
        if (s.holders.fetch_sub(1) == 1 && s.serial_wanted.load() != 0) wake_waiters(s);
      }
    } on_exit{s};
    found += ctx.compute(chunk);
    done += chunk;
  }
  return found;
}

}  // namespace

void install_amdahl_steps() {
  (void)the_section();  // here, in the process that makes the tasks, before any model forks
  register_step_handler(step_kind::serial, run_serial, false);
  register_step_handler(step_kind::parallel, run_parallel, false);
}

std::vector<task> make_amdahl_tasks(std::size_t tasks, std::uint64_t size, std::uint64_t seed,
                                    double serial_fraction) {
  if (!(serial_fraction >= 0.0 && serial_fraction <= 1.0)) {
    throw std::invalid_argument("serial fraction must be in [0, 1] (got " +
                                std::to_string(serial_fraction) + ")");
  }
  const auto serial =
      static_cast<std::uint64_t>(std::llround(static_cast<double>(size) * serial_fraction));
  const std::uint64_t parallel = size - serial;
  const std::uint64_t rounds = rounds_for(size, kRounds);
  std::vector<step> steps;
  for (std::uint64_t r = 0; r < rounds; ++r) {
    const std::uint64_t s = round_share(serial, rounds, r);
    const std::uint64_t p = round_share(parallel, rounds, r);
    if (s != 0) steps.push_back({step_kind::serial, s});
    if (p != 0) steps.push_back({step_kind::parallel, p});
  }
  return make_batch("amdahl", tasks, seed, steps);
}

}  // namespace parlab::detail
