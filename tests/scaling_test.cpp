// Timing claims of the classic experiment, as generous ratios measured in the same run.

#include <parlab/experiment.hpp>
#include <parlab/machine.hpp>

#include <gtest/gtest.h>

namespace parlab {
namespace {

const measured_run& row(const std::vector<measured_run>& runs, const std::string& executor) {
  for (const auto& r : runs) {
    if (r.executor == executor) return r;
  }
  throw std::runtime_error("no row for " + executor);
}

TEST(ClassicExperiment, IoBoundWorkGainsFromThreadsEvenUnderAnInterpreterLock) {
  experiment_spec spec;
  spec.workload.name = "io";
  spec.workload.tasks = 32;
  spec.workload.size = 50;  // long waits: a thread start costs milliseconds under TSan
  spec.executors = {"threads", "gil-threads"};
  spec.workers = 16;
  spec.repeat = 3;
  const auto runs = run_experiment(spec);
  // Ideal is 16x; ask for 4x.
  EXPECT_GE(*row(runs, "threads").speedup, 4.0);
  EXPECT_GE(*row(runs, "gil-threads").speedup, 4.0);
  EXPECT_EQ(row(runs, "threads").concurrency.result, verdict::concurrent);
}

TEST(ClassicExperiment, CpuBoundWorkGainsFromThreadsAndProcessesButNotUnderTheLock) {
  if (usable_cores() < 2) GTEST_SKIP() << "needs at least 2 cores";
  experiment_spec spec;
  spec.workload.name = "cpu";
  spec.workload.tasks = 4;
  spec.workload.size = 8000;
  spec.executors = {"threads", "processes", "gil-threads"};
  spec.workers = 2;
  spec.repeat = 3;
  const auto runs = run_experiment(spec);
  const double gil = row(runs, "gil-threads").wall_median;
  // Ideal is 2x on two idle cores; a shared machine may steal some, so ask for 1.25x.
  EXPECT_GT(gil / row(runs, "threads").wall_median, 1.25);
  // A fork costs ~1 ms here but ~16 ms under ThreadSanitizer, so for processes the wall ratio
  // says more about the sanitizer than the model: check instead that the children computed at
  // the same instant (their CPU time exceeds the span of their intervals).
  EXPECT_GT(row(runs, "processes").concurrency.avg_parallelism, parallel_threshold);
  EXPECT_EQ(row(runs, "processes").concurrency.result, verdict::parallel);
  EXPECT_GT(gil / row(runs, "processes").wall_median, 1.0);
  EXPECT_LT(*row(runs, "gil-threads").speedup, 1.25);
  EXPECT_EQ(row(runs, "gil-threads").concurrency.result, verdict::concurrent);
}

}  // namespace
}  // namespace parlab
