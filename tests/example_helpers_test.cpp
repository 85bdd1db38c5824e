// The examples' shared verdict: when a claim that needs free cores did not hold, it is
// inconclusive if the same runs measured the cores busy with others or slowed.

#include "example.hpp"

#include <parlab/machine.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace parlab::examples {
namespace {

measured_run run_of(const std::string& executor, double cpu_seconds, std::uint64_t seed = 1) {
  measured_run r;
  r.workload = "cpu";
  r.executor = executor;
  r.tasks = 2;
  r.size = 4000;
  r.seed = seed;
  r.kernel.user_seconds = cpu_seconds;
  r.others_cores = 0.0;
  return r;
}

/// conclude_needing_cores' exit code and what it printed.
std::pair<int, std::string> conclude(bool holds, const std::vector<measured_run>& runs) {
  testing::internal::CaptureStdout();
  const int code = conclude_needing_cores(holds, "two cores did not make the pair faster", runs, 2);
  return {code, testing::internal::GetCapturedStdout()};
}

TEST(ExampleVerdict, TheSameWorkCostingMoreCpuTimeAtOnceIsMeasuredAgainstItsSequentialRun) {
  EXPECT_DOUBLE_EQ(cpu_inflation({run_of("sequential", 0.040), run_of("threads", 0.042)}), 1.05);
  EXPECT_DOUBLE_EQ(cpu_inflation({run_of("sequential", 0.040), run_of("threads", 0.080)}), 2.0);
  // Other work (another seed), no sequential run, or less CPU time: nothing to say.
  EXPECT_DOUBLE_EQ(cpu_inflation({run_of("sequential", 0.040), run_of("threads", 0.080, 2)}), 1.0);
  EXPECT_DOUBLE_EQ(cpu_inflation({run_of("threads", 0.040), run_of("processes", 0.080)}), 1.0);
  EXPECT_DOUBLE_EQ(cpu_inflation({run_of("sequential", 0.040), run_of("threads", 0.020)}), 1.0);
}

TEST(ExampleVerdict, AClaimThatFailedOnSlowedOrBusyCoresIsInconclusive) {
  if (usable_cores() < 2) GTEST_SKIP() << "the verdict needs two usable cores to say 'free'";
  const std::vector<measured_run> fine = {run_of("sequential", 0.040), run_of("threads", 0.041)};
  EXPECT_EQ(conclude(true, fine).first, holds_code);
  const auto [code, out] = conclude(false, fine);
  EXPECT_EQ(code, does_not_hold_code);
  EXPECT_NE(out.find("verdict: does not hold (two cores did not make the pair faster)"),
            std::string::npos)
      << out;

  // The failure seen on a shared VM: two threads at once, each twice as slow, /proc/stat silent.
  const std::vector<measured_run> slowed = {run_of("sequential", 0.0435),
                                            run_of("threads", 0.0837)};
  const auto [slowed_code, slowed_out] = conclude(false, slowed);
  EXPECT_EQ(slowed_code, inconclusive_code);
  EXPECT_NE(slowed_out.find("the same work cost 1.92x its sequential CPU time"), std::string::npos)
      << slowed_out;
  EXPECT_EQ(conclude(true, slowed).first, holds_code) << "a claim that held holds";

  std::vector<measured_run> busy = fine;
  busy[1].others_cores = 1.5;
  const auto [busy_code, busy_out] = conclude(false, busy);
  EXPECT_EQ(busy_code, inconclusive_code);
  EXPECT_NE(busy_out.find("others kept 1.50 of the"), std::string::npos) << busy_out;
}

}  // namespace
}  // namespace parlab::examples
