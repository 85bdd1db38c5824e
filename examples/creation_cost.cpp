// creation_cost: what it costs to start a thread, a process, or to reuse a pool's worker.
//
// Claim: creating (and joining) a thread costs tens of microseconds, creating a process costs
// several times more - fork copies the page tables, posix_spawn also loads a new program - and
// handing a task to an already running pool worker costs a few microseconds. That is why a pool
// beats a thread per task, and a process per tiny task is the most expensive choice.
//
//   pool reuse   |·|                       (a queue push and a wake-up)
//   thread       |----|                    (clone, stack, join)
//   fork         |----------|              (copy page tables, exit, reap)
//   posix_spawn  |------------------|      (clone, exec /bin/true, exit, reap)
//
// The lesson is the API: std::thread, fork, posix_spawn, and parlab::thread_pool.
//
// Run: creation_cost [--quick]

#include "example.hpp"

#include <parlab/thread_pool.hpp>

#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

extern char** environ;

namespace parlab::examples {
namespace {

/// Median microseconds of `n` calls of `once`.
template <class F>
double median_us(int n, F once) {
  std::vector<double> us;
  for (int i = 0; i < n; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    once();
    us.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(us.begin(), us.end());
  return us[us.size() / 2];
}

void wait_for(pid_t child) {
  int status = 0;
  if (child < 0 || ::waitpid(child, &status, 0) != child) throw std::runtime_error("no child");
}

}  // namespace

int creation_cost(int argc, char** argv) {
  const options opts = parse_options(argc, argv, pictures::none);
  state_claim("creation_cost",
              "reusing a pool worker is cheaper than creating a thread, and a thread is cheaper "
              "than a process (fork or posix_spawn)");
  const int n = opts.quick ? 60 : 300;

  // Processes first: fork before this process has started any thread.
  const double fork_us = median_us(n, [] {
    const pid_t child = ::fork();
    if (child == 0) ::_exit(0);
    wait_for(child);
  });
  const double spawn_us = median_us(n, [] {
    pid_t child = -1;
    char* args[] = {const_cast<char*>("/bin/true"), nullptr};
    if (::posix_spawn(&child, "/bin/true", nullptr, nullptr, args, environ) != 0) child = -1;
    wait_for(child);
  });
  const double thread_us = median_us(n, [] { std::thread([] {}).join(); });
  double pool_us = 0.0;
  {
    thread_pool pool(1);
    pool.submit([] {}).get();  // the worker exists; from now on it is reused
    pool_us = median_us(n, [&] { pool.submit([] {}).get(); });
  }

  evidence(fmt::format("median of {} each, start to finished:", n));
  evidence(fmt::format("task on a pool worker     {:8.1f} us", pool_us));
  evidence(fmt::format("std::thread create + join {:8.1f} us ({:.0f}x the pool)", thread_us,
                       thread_us / pool_us));
  evidence(fmt::format("fork + _exit + waitpid    {:8.1f} us ({:.1f}x a thread)", fork_us,
                       fork_us / thread_us));
  evidence(fmt::format("posix_spawn /bin/true     {:8.1f} us ({:.1f}x a thread)", spawn_us,
                       spawn_us / thread_us));

  const bool pool_cheapest = pool_us < thread_us;
  const bool thread_cheaper = thread_us < fork_us && thread_us < spawn_us;
  return conclude(pool_cheapest && thread_cheaper,
                  !pool_cheapest ? "reusing a pool worker was not cheaper than a new thread"
                                 : "a thread was not cheaper than a process");
}

}  // namespace parlab::examples
