// The shared locks of lock steps. One table of max_locks robust, process-shared POSIX mutexes in
// a MAP_SHARED anonymous mapping, made in the process that builds the tasks: every thread uses
// it directly and every process forked afterwards inherits the same pages, so a lock step means
// the same lock under every model (an MPI rank, started by mpirun rather than forked, has its
// own table: ranks share no memory). Robust: when a holder dies inside its critical section the
// next taker gets EOWNERDEAD, marks the mutex consistent and goes on (the state the lock guarded
// is the task's own, so nothing else needs repair); a lock that stays taken 60 s fails the task.

#include "core/shared_locks.hpp"

#include <parlab/clock.hpp>

#include <pthread.h>
#include <sys/mman.h>

#include <cerrno>
#include <ctime>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <system_error>

namespace parlab {
namespace detail {
namespace {

constexpr int kStuckSeconds = 60;

pthread_mutex_t* the_table() {
  static pthread_mutex_t* table = [] {
    void* pages = ::mmap(nullptr, sizeof(pthread_mutex_t) * max_locks, PROT_READ | PROT_WRITE,
                         MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (pages == MAP_FAILED) {
      throw std::system_error(errno, std::generic_category(), "mapping the shared locks");
    }
    auto* locks = static_cast<pthread_mutex_t*>(pages);
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
    pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
    for (std::size_t i = 0; i < max_locks; ++i) {
      const int rc = pthread_mutex_init(&locks[i], &attr);
      if (rc != 0) {
        pthread_mutexattr_destroy(&attr);
        throw std::system_error(rc, std::generic_category(), "making a shared lock");
      }
    }
    pthread_mutexattr_destroy(&attr);
    return locks;  // never unmapped: children forked at any time may hold one
  }();
  return table;
}

/// 0 when the mutex is now ours (taken over from a dead holder if need be), else the error.
int owned(pthread_mutex_t* m, int rc) {
  if (rc == EOWNERDEAD) return pthread_mutex_consistent(m);
  return rc;
}

struct name_table {
  std::mutex mutex;
  std::map<std::string, std::uint16_t, std::less<>> numbers;
  std::map<std::uint32_t, std::string> names;
};

name_table& the_names() {
  static name_table names;
  return names;
}

}  // namespace

void make_shared_locks() { (void)the_table(); }

std::uint64_t run_lock_step(task_context& ctx, const step& s) {
  if (s.port >= max_locks) {
    throw std::invalid_argument("lock step: lock " + std::to_string(s.port) +
                                " does not exist (locks are 0.." + std::to_string(max_locks - 1) +
                                ")");
  }
  pthread_mutex_t* m = &the_table()[s.port];
  int rc = owned(m, pthread_mutex_trylock(m));
  if (rc == EBUSY) {  // contended: wait for it as a wait the timeline shows
    rc = ctx.waiting_for_lock(s.port, [m] {
      timespec until{};
      ::clock_gettime(CLOCK_REALTIME, &until);
      until.tv_sec += kStuckSeconds;
      int r = 0;
      while ((r = owned(m, pthread_mutex_timedlock(m, &until))) == EINTR) {
      }
      return r;
    });
  }
  if (rc == ETIMEDOUT) {
    throw std::runtime_error(lock_name(s.port) + " stayed taken for " +
                             std::to_string(kStuckSeconds) +
                             " s (a holder may be stuck, or stopped)");
  }
  if (rc != 0) throw std::system_error(rc, std::generic_category(), lock_name(s.port));
  const std::int64_t since = monotonic_ns();
  struct unlock_on_exit {
    task_context& ctx;
    pthread_mutex_t* m;
    std::uint32_t lock;
    std::int64_t since;
    unlock_on_exit(task_context& c, pthread_mutex_t* mutex, std::uint32_t l, std::int64_t t)
        : ctx(c), m(mutex), lock(l), since(t) {}
    ~unlock_on_exit() {
      ctx.held_lock(lock, since);
      pthread_mutex_unlock(m);
    }
    unlock_on_exit(const unlock_on_exit&) = delete;
    unlock_on_exit& operator=(const unlock_on_exit&) = delete;
  } unlock{ctx, m, s.port, since};
  return ctx.compute(s.amount);
}

}  // namespace detail

std::uint16_t lock_number(std::string_view name) {
  if (name.empty()) throw std::invalid_argument("lock_number: a lock needs a name");
  detail::make_shared_locks();
  auto& t = detail::the_names();
  const std::lock_guard guard(t.mutex);
  if (const auto it = t.numbers.find(name); it != t.numbers.end()) return it->second;
  if (t.numbers.size() >= max_locks) {
    throw std::invalid_argument("lock_number: no room for lock '" + std::string(name) +
                                "' (at most " + std::to_string(max_locks) + " named locks)");
  }
  const auto number = static_cast<std::uint16_t>(t.numbers.size());
  t.numbers.emplace(std::string(name), number);
  t.names.emplace(number, std::string(name));
  return number;
}

std::string lock_name(std::uint32_t number) {
  auto& t = detail::the_names();
  const std::lock_guard guard(t.mutex);
  if (const auto it = t.names.find(number); it != t.names.end()) return it->second;
  return "lock " + std::to_string(number);
}

step lock_step(std::string_view name, std::uint64_t units) {
  step s;
  s.kind = step_kind::lock;
  s.amount = units;
  s.port = lock_number(name);
  return s;
}

}  // namespace parlab
