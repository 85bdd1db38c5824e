// What observing a run costs, per execution model: the same batch run with the timeline
// recording off and on and with the per-task probe (each task's CPU clock) off and on. The
// difference per task is what observing adds; scripts/bench.sh turns it into the share of a
// 1 ms task (the fixed per-task cost measured here plus, for recording, one lane check per
// compute unit - BM_ChunkRecording - times the units a millisecond holds) and checks it is at
// most 1% in every model.
//
//   ./build/release/bench/observe_bench --benchmark_repetitions=5
//       --benchmark_report_aggregates_only=true   (scripts/bench.sh runs it so)
//
// Each task is one compute step of kUnitsPerTask units (~0.1 ms): the task events, the slice it
// opens and closes and the probe are all exercised, and the dispatch under them is what the run
// costs besides. docs/performance.md records the figures.

#include <parlab/clock.hpp>
#include <parlab/executor.hpp>
#include <parlab/task.hpp>
#include <parlab/timeline.hpp>

#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <string>
#include <vector>

namespace {

using namespace parlab;

// Process models first: oneTBB and OpenMP keep worker threads alive after their runs, and
// parlab refuses to fork while other threads run.
constexpr std::array<const char*, 9> kModels = {"processes", "process-pool", "sequential",
                                                "threads",   "thread-pool",  "gil-threads",
                                                "async",     "openmp",       "tbb"};

/// Compute units per task (~0.1 ms): long enough that whoever waits for a task (a thread per
/// task's parent, a pool's idle workers) is asleep in every variant. With one-unit tasks (~6 us)
/// a `threads` run read 14 us more per task with the probe on than off, not for the probe's two
/// clock reads (~1 us) but because the parent thread's wait got just long enough for its vCPU to
/// go idle, and waking an idle vCPU is dear here; with 20 units the difference was 0.1 us.
constexpr std::uint64_t kUnitsPerTask = 20;

std::vector<task> short_tasks(std::size_t n) {
  std::vector<task> tasks;
  tasks.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    tasks.push_back(make_step_task(i, "u", i, {{step_kind::compute, kUnitsPerTask}}));
  }
  return tasks;
}

/// One model, W = 1, 400 short tasks (100 for a process per task: each is a fork); args:
/// model index, record, probes. Reports the wall time per task.
void BM_Observe(benchmark::State& state) {
  const std::string model = kModels.at(static_cast<std::size_t>(state.range(0)));
  executor_info info;
  try {
    info = find_executor(model);
  } catch (const std::exception&) {
    state.SkipWithError("not a model");
    return;
  }
  if (!info.available) {
    state.SkipWithError("not built here");
    return;
  }
  const std::size_t n = model == "processes" ? 100 : 400;
  const auto tasks = short_tasks(n);
  const auto executor = make_executor(model);
  run_options options;
  options.workers = 1;
  options.record = state.range(1) != 0;
  options.task_probes = state.range(2) != 0;
  double seconds = 0.0;
  for (auto _ : state) {
    const auto r = executor->run(tasks, options);
    if (r.failed_tasks() != 0) state.SkipWithError("a task failed");
    state.SetIterationTime(r.wall_seconds());
    seconds += r.wall_seconds();
  }
  state.SetLabel(model);
  if (state.iterations() > 0) {
    state.counters["per_task_ns"] =
        seconds * 1e9 / static_cast<double>(state.iterations()) / static_cast<double>(n);
  }
}

void observe_args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"model", "record", "probes"});
  for (std::int64_t m = 0; m < static_cast<std::int64_t>(kModels.size()); ++m) {
    for (const std::int64_t record : {0, 1}) {
      for (const std::int64_t probes : {0, 1}) b->Args({m, record, probes});
    }
  }
}
// The least of the repetitions besides the median: a host's noise only ever adds time, so the
// difference of two minimums is what observing itself adds (scripts/bench.sh judges it).
BENCHMARK(BM_Observe)
    ->Apply(observe_args)
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond)
    ->ComputeStatistics("min", [](const std::vector<double>& v) {
      return v.empty() ? 0.0 : *std::min_element(v.begin(), v.end());
    });

/// The part of recording that grows with a task's length: what a lane does after each compute
/// unit (a counter; every few units a vDSO clock read), timed alone - the difference between
/// two timed compute loops would be lost in their noise (a unit is ~6 us).
void BM_ChunkRecording(benchmark::State& state) {
  event_lane lane(0, 1 << 10);
  lane.begin_task(0, monotonic_ns());
  for (auto _ : state) lane.after_chunk();
  benchmark::DoNotOptimize(lane.events().data());
  state.counters["units_per_ms"] = compute_units_per_ms();
}
BENCHMARK(BM_ChunkRecording);

}  // namespace

BENCHMARK_MAIN();
