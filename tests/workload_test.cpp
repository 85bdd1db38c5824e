#include <parlab/executor.hpp>
#include <parlab/workload.hpp>

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

namespace parlab {
namespace {

TEST(Workloads, CpuTasksOnlyComputeWithTheGivenSize) {
  workload_spec spec;
  spec.name = "cpu";
  spec.tasks = 5;
  spec.size = 123;
  const auto tasks = make_workload(spec);
  ASSERT_EQ(tasks.size(), 5U);
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    EXPECT_EQ(tasks[i].id, i);
    ASSERT_EQ(tasks[i].steps.size(), 1U);
    EXPECT_EQ(tasks[i].steps[0].kind, step_kind::compute);
    EXPECT_EQ(tasks[i].steps[0].amount, 123U);
  }
}

TEST(Workloads, IoTasksWaitSizeMillisecondsThenComputeALittle) {
  workload_spec spec;
  spec.name = "io";
  spec.tasks = 3;
  spec.size = 7;
  const auto tasks = make_workload(spec);
  ASSERT_EQ(tasks[0].steps.size(), 2U);
  EXPECT_EQ(tasks[0].steps[0].kind, step_kind::wait);
  EXPECT_EQ(tasks[0].steps[0].amount, 7'000'000U);
  EXPECT_EQ(tasks[0].steps[1].kind, step_kind::compute);
}

TEST(Workloads, SameSeedSameTasksOtherSeedOtherNumbers) {
  workload_spec spec;
  spec.tasks = 4;
  spec.size = 20;
  const auto a = make_workload(spec);
  const auto b = make_workload(spec);
  spec.seed = 7;
  const auto c = make_workload(spec);
  const auto ra = make_executor("sequential")->run(a, {});
  const auto rb = make_executor("sequential")->run(b, {});
  const auto rc = make_executor("sequential")->run(c, {});
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(a[i].seed, b[i].seed);
    EXPECT_NE(a[i].seed, c[i].seed);
    EXPECT_EQ(ra.records[i].result, rb.records[i].result);
    EXPECT_NE(ra.records[i].result, rc.records[i].result);
  }
}

TEST(Workloads, DefaultsComeFromTheRegistry) {
  workload_spec spec;
  spec.name = "io";
  EXPECT_EQ(effective_size(spec), find_workload("io").default_size);
  EXPECT_GE(workloads().size(), 2U);
}

TEST(Workloads, UnknownNameNamesTheAllowedOnes) {
  workload_spec spec;
  spec.name = "gpu";
  try {
    (void)make_workload(spec);
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("'gpu'"), std::string::npos);
    EXPECT_NE(what.find("cpu, io"), std::string::npos);
  }
}

TEST(Workloads, ZeroTasksAndMissingFaultTaskAreRejected) {
  workload_spec spec;
  spec.tasks = 0;
  EXPECT_THROW((void)make_workload(spec), std::invalid_argument);
  spec.tasks = 3;
  spec.fault = fault_mode::throw_exception;
  spec.fault_task = 3;
  EXPECT_THROW((void)make_workload(spec), std::invalid_argument);
}

TEST(Workloads, InjectedThrowFailsOnlyThatTask) {
  workload_spec spec;
  spec.tasks = 4;
  spec.size = 5;
  spec.fault = fault_mode::throw_exception;
  spec.fault_task = 2;
  const auto r = make_executor("sequential")->run(make_workload(spec), {});
  EXPECT_EQ(r.failed_tasks(), 1U);
  EXPECT_FALSE(r.records[2].ok);
  EXPECT_NE(r.records[2].message.find("task 2"), std::string::npos);
}

}  // namespace
}  // namespace parlab
