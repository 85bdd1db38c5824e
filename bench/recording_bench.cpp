// What recording a timeline costs: the cpu workload with recording off and on, per execution
// model, and the pieces a recorded compute chunk adds (one vDSO clock read per ~6 us chunk).
//
//   ./build/release/bench/recording_bench --benchmark_enable_random_interleaving=true
//       --benchmark_repetitions=9 --benchmark_report_aggregates_only=true   (one line)
//
// docs/timelines.md records the figures measured on the 2-core VM.

#include <parlab/clock.hpp>
#include <parlab/executor.hpp>
#include <parlab/timeline.hpp>
#include <parlab/workload.hpp>

#include <benchmark/benchmark.h>
#include <sched.h>

#include <array>
#include <cstdlib>
#include <string>

namespace {

using namespace parlab;

constexpr std::array<const char*, 4> kModels = {"sequential", "threads", "processes",
                                                "gil-threads"};

/// The default cpu workload (8 tasks of 8000 units, ~0.4 s of CPU) under one model, W = 2.
void BM_CpuWorkload(benchmark::State& state) {
  const std::string model = kModels.at(static_cast<std::size_t>(state.range(0)));
  const bool record = state.range(1) != 0;
  workload_spec spec;
  spec.name = "cpu";
  spec.tasks = find_workload("cpu").default_tasks;
  const auto tasks = make_workload(spec);
  const auto executor = make_executor(model);
  run_options options;
  options.workers = 2;
  options.record = record;
  std::size_t events = 0;
  for (auto _ : state) {
    const run_result r = executor->run(tasks, options);
    events = r.recorded.events.size();
    benchmark::DoNotOptimize(r.records.data());
  }
  state.SetLabel(model + (record ? " record=on" : " record=off"));
  state.counters["events"] = static_cast<double>(events);
}
BENCHMARK(BM_CpuWorkload)
    ->ArgsProduct({{0, 1, 2, 3}, {0, 1}})
    ->ArgNames({"model", "record"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    // A second each, by hand; the CTest smoke run (PARLAB_BENCH_SMOKE) only checks each case runs.
    ->MinTime(std::getenv("PARLAB_BENCH_SMOKE") != nullptr ? 0.01 : 1.0);

struct no_hooks final : execution_hooks {};

/// One compute unit (64 numbers tested), with and without a lane recording it.
void BM_ComputeUnit(benchmark::State& state) {
  no_hooks hooks;
  event_lane lane(0, 1024);
  const bool record = state.range(0) != 0;
  if (record) lane.begin_task(0, monotonic_ns());
  task_context ctx(hooks, 42, 0, record ? &lane : nullptr);
  for (auto _ : state) benchmark::DoNotOptimize(ctx.compute(1));
  state.SetLabel(record ? "record=on" : "record=off");
}
BENCHMARK(BM_ComputeUnit)->Arg(0)->Arg(1)->ArgName("record");

/// What a lane does after every chunk when nothing happened (the common case).
void BM_LaneAfterChunk(benchmark::State& state) {
  event_lane lane(0, 1024);
  lane.begin_task(0, monotonic_ns());
  for (auto _ : state) lane.after_chunk();
  benchmark::DoNotOptimize(lane.events().data());
}
BENCHMARK(BM_LaneAfterChunk);

void BM_MonotonicClock(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(monotonic_ns());
}
BENCHMARK(BM_MonotonicClock);

void BM_ThreadCpuClock(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(thread_cpu_ns());
}
BENCHMARK(BM_ThreadCpuClock);

void BM_SchedGetcpu(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(::sched_getcpu());
}
BENCHMARK(BM_SchedGetcpu);

}  // namespace

BENCHMARK_MAIN();
