// What each execution model costs, side by side in one run:
//   - empty-task dispatch: parlab's thread_pool vs oneTBB task_group vs OpenMP tasks vs
//     std::async (a thread per task), 1,000 empty jobs per iteration, 2 workers;
//   - a process-pool round trip (task number out over a socket, report back over a pipe) vs a
//     raw pipe ping-pong between two processes;
//   - the async model with 1,000 and 100,000 concurrent 10 ms waits, against plain Asio with
//     the same timers.
//
//   ./build/release/bench/models_bench --benchmark_repetitions=5
//       --benchmark_report_aggregates_only=true   (one line)
//
// docs/performance.md records the figures measured on the 2-core VM and the targets.

#include <parlab/clock.hpp>
#include <parlab/executor.hpp>
#include <parlab/thread_pool.hpp>

#include <utility>  // before Asio: Boost 1.74's headers use std::exchange without it

#include <benchmark/benchmark.h>
#include <sys/wait.h>
#include <unistd.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <cstdlib>
#include <future>
#include <vector>

#if PARLAB_HAVE_TBB
#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/task_arena.h>
#include <oneapi/tbb/task_group.h>
#endif
#if PARLAB_HAVE_OPENMP
#include <omp.h>
#endif

namespace {

using namespace parlab;

constexpr std::int64_t kJobs = 1000;
constexpr std::size_t kWorkers = 2;

void count_jobs(benchmark::State& state) {
  state.SetItemsProcessed(state.iterations() * kJobs);
  state.counters["per_job"] =
      benchmark::Counter(static_cast<double>(state.iterations() * kJobs),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

// The process benchmarks come first (benchmarks run in this order): oneTBB and OpenMP keep
// their worker threads alive afterwards, and parlab refuses to fork while other threads run.
/// `n` tasks that do nothing (the dispatch is all there is to measure).
std::vector<task> empty_tasks(std::size_t n) {
  std::vector<task> tasks;
  tasks.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    tasks.push_back(make_task(i, "e", [](task_context&) -> std::uint64_t { return 1; }));
  }
  return tasks;
}

/// One process-pool round trip: a run of 1 + kJobs empty tasks minus a run of 1 (the fork and
/// the shutdown), divided by kJobs. One worker, so every task is a full round trip.
void BM_ProcessPool_RoundTrip(benchmark::State& state) {
  const auto one = empty_tasks(1);
  const auto many = empty_tasks(1 + kJobs);
  const auto pool = make_executor("process-pool");
  run_options options;
  options.workers = 1;
  options.record = false;
  for (auto _ : state) {
    const auto a = pool->run(one, options);
    const auto b = pool->run(many, options);
    if (b.failed_tasks() != 0) state.SkipWithError("a task failed");
    state.SetIterationTime(std::max(0.0, b.wall_seconds() - a.wall_seconds()) / kJobs);
  }
}
BENCHMARK(BM_ProcessPool_RoundTrip)->UseManualTime()->Iterations(20);

/// The floor: 8 bytes to a child over one pipe and back over another.
void BM_PipePingPong(benchmark::State& state) {
  int to_child[2];
  int to_parent[2];
  if (::pipe(to_child) != 0 || ::pipe(to_parent) != 0) std::abort();
  const pid_t child = ::fork();
  if (child == 0) {
    ::close(to_child[1]);
    ::close(to_parent[0]);
    std::uint64_t v = 0;
    while (::read(to_child[0], &v, sizeof v) == static_cast<ssize_t>(sizeof v)) {
      ++v;
      if (::write(to_parent[1], &v, sizeof v) != static_cast<ssize_t>(sizeof v)) break;
    }
    ::_exit(0);
  }
  ::close(to_child[0]);
  ::close(to_parent[1]);
  std::uint64_t v = 0;
  for (auto _ : state) {
    const std::uint64_t sent = v;
    if (::write(to_child[1], &v, sizeof v) != static_cast<ssize_t>(sizeof v) ||
        ::read(to_parent[0], &v, sizeof v) != static_cast<ssize_t>(sizeof v) || v != sent + 1) {
      state.SkipWithError("ping-pong broke");
      break;
    }
  }
  ::close(to_child[1]);
  ::close(to_parent[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
}
BENCHMARK(BM_PipePingPong)->UseRealTime();

// Threads in all: the pool's workers do not include the thread that posts, while oneTBB's arena
// counts the calling thread as one of its slots (it runs jobs in task_group::wait()). So the
// pairs with the same number of threads are pool(2) + poster vs arena(3), and pool(1) + poster
// vs arena(2); the headline compares two workers with an arena of two (kWorkers).
void BM_Dispatch_ThreadPool(benchmark::State& state) {
  thread_pool pool(static_cast<std::size_t>(state.range(0)));
  std::atomic<std::int64_t> done{0};
  for (auto _ : state) {
    for (std::int64_t i = 0; i < kJobs; ++i) {
      pool.post([&](std::size_t) { done.fetch_add(1, std::memory_order_relaxed); });
    }
    pool.wait_idle();
  }
  if (done.load() != state.iterations() * kJobs) state.SkipWithError("lost jobs");
  count_jobs(state);
}
BENCHMARK(BM_Dispatch_ThreadPool)
    ->Arg(static_cast<std::int64_t>(kWorkers))
    ->Arg(1)
    ->ArgName("workers")
    ->UseRealTime();

#if PARLAB_HAVE_TBB
void BM_Dispatch_TbbTaskGroup(benchmark::State& state) {
  oneapi::tbb::task_arena arena(static_cast<int>(state.range(0)));
  std::atomic<std::int64_t> done{0};
  for (auto _ : state) {
    arena.execute([&] {
      oneapi::tbb::task_group group;
      for (std::int64_t i = 0; i < kJobs; ++i) {
        group.run([&] { done.fetch_add(1, std::memory_order_relaxed); });
      }
      group.wait();
    });
  }
  if (done.load() != state.iterations() * kJobs) state.SkipWithError("lost jobs");
  count_jobs(state);
}
BENCHMARK(BM_Dispatch_TbbTaskGroup)
    ->Arg(static_cast<std::int64_t>(kWorkers))
    ->Arg(static_cast<std::int64_t>(kWorkers) + 1)
    ->ArgName("slots")
    ->UseRealTime();
#endif

#if PARLAB_HAVE_OPENMP
void BM_Dispatch_OpenMpTasks(benchmark::State& state) {
  std::atomic<std::int64_t> done{0};
  for (auto _ : state) {
#pragma omp parallel num_threads(static_cast <int>(kWorkers))
#pragma omp single
    {
      for (std::int64_t i = 0; i < kJobs; ++i) {
#pragma omp task shared(done)
        done.fetch_add(1, std::memory_order_relaxed);
      }
#pragma omp taskwait
    }
  }
  if (done.load() != state.iterations() * kJobs) state.SkipWithError("lost jobs");
  count_jobs(state);
}
BENCHMARK(BM_Dispatch_OpenMpTasks)->UseRealTime();
#endif

void BM_Dispatch_StdAsync(benchmark::State& state) {
  std::atomic<std::int64_t> done{0};
  std::vector<std::future<void>> futures;
  futures.reserve(kJobs);
  for (auto _ : state) {
    for (std::int64_t i = 0; i < kJobs; ++i) {
      futures.push_back(
          std::async(std::launch::async, [&] { done.fetch_add(1, std::memory_order_relaxed); }));
    }
    for (auto& f : futures) f.get();
    futures.clear();
  }
  if (done.load() != state.iterations() * kJobs) state.SkipWithError("lost jobs");
  count_jobs(state);
}
BENCHMARK(BM_Dispatch_StdAsync)->UseRealTime();

/// The async model with N tasks in flight, each waiting 10 ms on a timer: the run's wall time.
/// Targets on 2 cores: 1,000 in at most 11 ms, 100,000 in 60 ms.
void BM_Async_ConcurrentWaits(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  std::vector<task> tasks;
  tasks.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    tasks.push_back(make_step_task(i, "w", i, {{step_kind::wait, 10'000'000}}));
  }
  const auto loop = make_executor("async");
  run_options options;
  options.workers = n;
  options.record = false;
  for (auto _ : state) {
    const auto r = loop->run(tasks, options);
    if (r.failed_tasks() != 0) state.SkipWithError("a task failed");
    state.SetIterationTime(r.wall_seconds());
  }
}
BENCHMARK(BM_Async_ConcurrentWaits)
    ->Arg(1000)
    ->Arg(100000)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

/// The peer: plain Asio with the same timers - one io_context on one thread, n steady_timers
/// created, armed for 10 ms and waited for (a completion handler each), timed from before the
/// first timer exists until the loop has run them all and the timers and the loop are gone (the
/// async model's run ends after it has destroyed its loop and timers too: 1-2 ms of 100,000
/// timers' cancels and frees that an earlier version of this peer left off its clock).
void BM_PlainAsio_ConcurrentWaits(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  for (auto _ : state) {
    const std::int64_t started = monotonic_ns();
    std::size_t done = 0;
    {
      boost::asio::io_context loop(1);
      std::vector<boost::asio::steady_timer> timers;
      timers.reserve(n);
      for (std::size_t i = 0; i < n; ++i) {
        timers.emplace_back(loop, std::chrono::milliseconds(10));
        timers.back().async_wait([&done](const boost::system::error_code&) { ++done; });
      }
      loop.run();
    }
    state.SetIterationTime(to_seconds(monotonic_ns() - started));
    if (done != n) state.SkipWithError("a timer did not fire");
  }
}
BENCHMARK(BM_PlainAsio_ConcurrentWaits)
    ->Arg(1000)
    ->Arg(100000)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
