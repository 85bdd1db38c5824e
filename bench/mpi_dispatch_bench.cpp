// How fast the mpi model hands out tasks: batches of empty tasks (one compute step of 0 units)
// on 1-4 worker ranks, dynamic (rank 0 manages: a request and an answer per task) and static
// (no messages per task). items_per_second is the dispatch rate; docs/cluster.md extrapolates it
// to 100 and 1,000 ranks. The job is started once per configuration, before the timing.
//
//   ./build/release/bench/mpi_dispatch_bench --benchmark_repetitions=5
//       --benchmark_report_aggregates_only=true   (one command line)

#include <parlab/executor.hpp>
#include <parlab/mpi.hpp>

#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

namespace {

constexpr std::size_t kTasks = 1000;

void BM_MpiDispatch(benchmark::State& state) {
  if (!parlab::mpi_built()) {
    state.SkipWithError("this build has no Open MPI");
    return;
  }
  std::vector<parlab::task> tasks;
  for (std::size_t i = 0; i < kTasks; ++i) {
    tasks.push_back(parlab::make_step_task(i, "empty", i, {{parlab::step_kind::compute, 0}}));
  }
  parlab::run_options options;
  options.workers = static_cast<std::size_t>(state.range(1));
  options.mpi.schedule =
      state.range(0) == 0 ? parlab::mpi_schedule::dynamic : parlab::mpi_schedule::fixed;
  options.record = false;
  const auto model = parlab::make_executor("mpi");
  (void)model->run(tasks, options);  // starts the job
  for (auto _ : state) {
    const parlab::run_result r = model->run(tasks, options);
    if (r.failed_tasks() != 0) state.SkipWithError("a task failed");
    state.SetIterationTime(r.wall_seconds());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kTasks));
  state.SetLabel(std::string(parlab::to_string(options.mpi.schedule)));
}

BENCHMARK(BM_MpiDispatch)
    ->ArgNames({"static", "W"})
    ->ArgsProduct({{0, 1}, {1, 2, 3, 4}})
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
