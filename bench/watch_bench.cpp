// What watching costs: the sampler's CPU time per look at a process with 16 threads, and its
// share of one core at the default 1 ms interval over a second, for threads that block (the
// cheapest: one schedstat read each), that wake every millisecond (a stat and a wchan read each
// time they run) and that compute (a stat read per look; their CPU figures grow every tick).
//
//   ./build/release/bench/watch_bench --benchmark_repetitions=5
//   --benchmark_report_aggregates_only=true
//
// docs/performance.md records the figures measured on the 2-core VM (issue: <= 5% of a core).

#include <parlab/watch.hpp>

#include <benchmark/benchmark.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace {

enum class behaviour : int { blocked = 0, waking = 1, computing = 2 };
constexpr int kThreads = 16;

/// A child process whose 16 threads block, wake every millisecond, or compute until it is killed.
pid_t start_target(behaviour b) {
  const pid_t pid = ::fork();
  if (pid != 0) return pid;
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([b] {
      volatile std::uint64_t x = 0;
      for (;;) {
        switch (b) {
          case behaviour::blocked:
            ::pause();
            break;
          case behaviour::waking:
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
            break;
          case behaviour::computing:
            x = x + 1;
            break;
        }
      }
    });
  }
  for (;;) ::pause();
}

void stop_target(pid_t pid) {
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
}

/// One look at the 17 threads (16 + the main one): the sampler's CPU time per look.
void BM_WatchLook(benchmark::State& state) {
  const pid_t pid = start_target(static_cast<behaviour>(state.range(0)));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // its threads started
  {
    parlab::proc_sampler sampler(pid, {});
    for (auto _ : state) {
      benchmark::DoNotOptimize(sampler.look());
      state.PauseTiming();
      std::this_thread::sleep_for(std::chrono::milliseconds(1));  // as between two looks
      state.ResumeTiming();
    }
    const auto w = sampler.finish();
    state.counters["threads"] = static_cast<double>(w.threads.size());
  }
  stop_target(pid);
}
BENCHMARK(BM_WatchLook)
    ->Arg(0)
    ->Arg(1)
    ->Arg(2)
    ->ArgName("blocked/waking/computing")
    ->Unit(benchmark::kMicrosecond)
    ->Iterations(500);

/// A second of watching at the default interval: the sampler's share of one core, as parlab
/// watch reports it.
void BM_WatchSecond(benchmark::State& state) {
  const pid_t pid = start_target(static_cast<behaviour>(state.range(0)));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  double share = 0.0, looks = 0.0;
  for (auto _ : state) {
    const auto w = parlab::watch_process(pid, {}, std::chrono::seconds(1));
    share = w.sampler_core_share();
    looks = static_cast<double>(w.samples);
  }
  state.counters["core_share_percent"] = 100.0 * share;
  state.counters["looks"] = looks;
  stop_target(pid);
}
BENCHMARK(BM_WatchSecond)
    ->Arg(0)
    ->Arg(1)
    ->Arg(2)
    ->ArgName("blocked/waking/computing")
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
