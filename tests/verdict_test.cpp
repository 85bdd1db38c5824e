#include <parlab/verdict.hpp>

#include <gtest/gtest.h>

#include <vector>

#include "event_times.hpp"

namespace parlab {
namespace {

TEST(Verdict, NoIntervalsIsSerial) {
  const auto s = classify({}, 2);
  EXPECT_EQ(s.result, verdict::serial);
  EXPECT_EQ(s.peak_in_flight, 0U);
}

TEST(Verdict, BackToBackTasksAreSerial) {
  // Three tasks, each starting exactly when the previous one ends: never two in flight.
  const std::vector<task_interval> v = {
      {0, 10 * ms, 10 * ms}, {10 * ms, 20 * ms, 10 * ms}, {20 * ms, 30 * ms, 10 * ms}};
  const auto s = classify(v, 2);
  EXPECT_EQ(s.result, verdict::serial);
  EXPECT_EQ(s.peak_in_flight, 1U);
  EXPECT_NEAR(s.avg_parallelism, 1.0, 1e-9);
}

TEST(Verdict, InterleavedOnOneCoreIsConcurrent) {
  // Two tasks in flight for the same 20 ms, each computing 10 ms: they took turns.
  const std::vector<task_interval> v = {{0, 20 * ms, 10 * ms}, {0, 20 * ms, 10 * ms}};
  const auto s = classify(v, 2);
  EXPECT_EQ(s.result, verdict::concurrent);
  EXPECT_EQ(s.peak_in_flight, 2U);
  EXPECT_NEAR(s.avg_parallelism, 1.0, 1e-9);
}

TEST(Verdict, OverlappingWaitsAreConcurrent) {
  // Sixteen tasks waiting at once use almost no CPU: concurrency without parallelism.
  std::vector<task_interval> v(16, task_interval{0, 20 * ms, ms / 10});
  const auto s = classify(v, 2);
  EXPECT_EQ(s.result, verdict::concurrent);
  EXPECT_EQ(s.peak_in_flight, 16U);
}

TEST(Verdict, SimultaneousComputeOnTwoCoresIsParallel) {
  const std::vector<task_interval> v = {{0, 10 * ms, 10 * ms}, {0, 10 * ms, 10 * ms}};
  const auto s = classify(v, 2);
  EXPECT_EQ(s.result, verdict::parallel);
  EXPECT_NEAR(s.avg_parallelism, 2.0, 1e-9);
}

TEST(Verdict, MoreInFlightThanCoresWhileParallelIsBoth) {
  // Four CPU-bound tasks in flight on two cores, 2 cores' worth of CPU used.
  std::vector<task_interval> v(4, task_interval{0, 20 * ms, 10 * ms});
  const auto s = classify(v, 2);
  EXPECT_EQ(s.result, verdict::concurrent_parallel);
  EXPECT_EQ(s.peak_in_flight, 4U);
  EXPECT_NEAR(s.avg_parallelism, 2.0, 1e-9);
}

TEST(Verdict, SameIntervalsOnMoreCoresAreJustParallel) {
  std::vector<task_interval> v(4, task_interval{0, 20 * ms, 10 * ms});
  EXPECT_EQ(classify(v, 4).result, verdict::parallel);
}

TEST(Verdict, ParallelismJustBelowThresholdIsConcurrent) {
  // 1.1 cores' worth of CPU is within measurement noise of one core: not called parallel.
  const std::vector<task_interval> v = {{0, 100 * ms, 55 * ms}, {0, 100 * ms, 55 * ms}};
  EXPECT_EQ(classify(v, 2).result, verdict::concurrent);
}

TEST(Verdict, PeakCountsOnlySimultaneousTasks) {
  // A staircase: at most two overlap at any instant.
  const std::vector<task_interval> v = {
      {0, 10 * ms, 0}, {5 * ms, 15 * ms, 0}, {10 * ms, 20 * ms, 0}, {15 * ms, 25 * ms, 0}};
  const auto s = classify(v, 8);
  EXPECT_EQ(s.peak_in_flight, 2U);
  EXPECT_NEAR(s.span_seconds, 0.025, 1e-12);
}

TEST(Verdict, NamesAreStable) {
  EXPECT_EQ(to_string(verdict::serial), "serial");
  EXPECT_EQ(to_string(verdict::concurrent), "concurrent");
  EXPECT_EQ(to_string(verdict::parallel), "parallel");
  EXPECT_EQ(to_string(verdict::concurrent_parallel), "concurrent+parallel");
}

}  // namespace
}  // namespace parlab
