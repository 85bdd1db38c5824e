// amdahl: a workload whose serial fraction is known, to check that the scaling laws recover it.
// Each task computes `size` units in 4 rounds; in each round the share serial_fraction runs
// alone (a serial step: a global lock taken exclusively, so no other task's serial or parallel
// step runs meanwhile) and the rest beside the others (a parallel step: the lock taken shared, a
// few units at a time, so a serial step that wants the machine waits at most a few units).
// That is Amdahl's machine: at any instant either one serial part runs alone, or parallel parts
// run on every worker, and T(W) = s T(1) + (1 - s) T(1) / W.
//
// The lock is a writer-preferring POSIX read-write lock in a shared anonymous page, created in
// the process that generates the tasks: every child process forked after it shares it, so
// process models see the same serial section as threads do. A process killed while it holds the
// lock would leave it taken; a task that waits for it 60 s fails with that reason instead of
// hanging.

#include "workloads/generators.hpp"

#include <pthread.h>
#include <sys/mman.h>

#include <cerrno>
#include <cmath>
#include <ctime>
#include <mutex>
#include <stdexcept>
#include <string>
#include <system_error>

namespace parlab::detail {
namespace {

constexpr int kRounds = 4;
// Units (~45 us here) between two shared holds: a serial step waits at most this long for the
// machine, and the lock's shared line moves between the cores once per chunk, not per unit.
constexpr std::uint64_t kParallelChunk = 8;
constexpr int kStuckSeconds = 60;

pthread_rwlock_t* the_lock() {
  static pthread_rwlock_t* lock = [] {
    void* page = ::mmap(nullptr, sizeof(pthread_rwlock_t), PROT_READ | PROT_WRITE,
                        MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED) {
      throw std::system_error(errno, std::generic_category(), "amdahl: mapping the shared lock");
    }
    auto* l = static_cast<pthread_rwlock_t*>(page);
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    pthread_rwlockattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
    // A serial step that asks goes next: parallel steps asking after it wait (without this, two
    // workers' overlapping shared holds could keep a serial step waiting for ever).
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    const int rc = pthread_rwlock_init(l, &attr);
    pthread_rwlockattr_destroy(&attr);
    if (rc != 0) throw std::system_error(rc, std::generic_category(), "amdahl: the shared lock");
    return l;  // never unmapped: children forked at any time may hold it
  }();
  return lock;
}

// Takes the lock: at once when it is free, else as a wait (the model's hooks run around it: the
// emulated GIL is released, and the timeline shows the task waiting for the serial section).
template <class TryLock, class TimedLock>
void take(task_context& ctx, TryLock try_lock, TimedLock timed_lock) {
  if (try_lock() == 0) return;
  const int rc = ctx.blocking([&] {
    timespec until{};
    ::clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += kStuckSeconds;
    int r = 0;
    while ((r = timed_lock(&until)) == EINTR) {
    }
    return r;
  });
  if (rc == ETIMEDOUT) {
    throw std::runtime_error("amdahl: the serial section stayed taken for " +
                             std::to_string(kStuckSeconds) +
                             " s (a process that held it may have died)");
  }
  if (rc != 0) throw std::system_error(rc, std::generic_category(), "amdahl: the shared lock");
}

struct unlock_on_exit {
  explicit unlock_on_exit(pthread_rwlock_t* l) noexcept : lock(l) {}
  ~unlock_on_exit() { pthread_rwlock_unlock(lock); }
  pthread_rwlock_t* lock;
  unlock_on_exit(const unlock_on_exit&) = delete;
  unlock_on_exit& operator=(const unlock_on_exit&) = delete;
};

std::uint64_t run_serial(task_context& ctx, const step& s, std::uint64_t /*seed*/) {
  pthread_rwlock_t* l = the_lock();
  take(
      ctx, [&] { return pthread_rwlock_trywrlock(l); },
      [&](const timespec* until) { return pthread_rwlock_timedwrlock(l, until); });
  const unlock_on_exit unlock{l};
  return ctx.compute(s.amount);
}

std::uint64_t run_parallel(task_context& ctx, const step& s, std::uint64_t /*seed*/) {
  pthread_rwlock_t* l = the_lock();
  std::uint64_t found = 0;
  for (std::uint64_t done = 0; done < s.amount;) {
    const std::uint64_t chunk = std::min(kParallelChunk, s.amount - done);
    take(
        ctx, [&] { return pthread_rwlock_tryrdlock(l); },
        [&](const timespec* until) { return pthread_rwlock_timedrdlock(l, until); });
    const unlock_on_exit unlock{l};
    found += ctx.compute(chunk);
    done += chunk;
  }
  return found;
}

}  // namespace

void install_amdahl_steps() {
  (void)the_lock();  // here, in the process that makes the tasks, before any model forks
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
