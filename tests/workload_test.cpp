#include <parlab/executor.hpp>
#include <parlab/workload.hpp>

#include <gtest/gtest.h>

#include <set>

#include <filesystem>
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
    ASSERT_EQ(tasks[i].steps()->size(), 1U);
    EXPECT_EQ((*tasks[i].steps())[0].kind, step_kind::compute);
    EXPECT_EQ((*tasks[i].steps())[0].amount, 123U);
  }
}

TEST(Workloads, IoTasksWaitSizeMillisecondsThenComputeALittle) {
  workload_spec spec;
  spec.name = "io";
  spec.tasks = 3;
  spec.size = 7;
  const auto tasks = make_workload(spec);
  ASSERT_EQ(tasks[0].steps()->size(), 2U);
  EXPECT_EQ((*tasks[0].steps())[0].kind, step_kind::wait);
  EXPECT_EQ((*tasks[0].steps())[0].amount, 7'000'000U);
  EXPECT_EQ((*tasks[0].steps())[1].kind, step_kind::compute);
}

TEST(Workloads, MixedTasksSplitTheirTimeByTheCpuFraction) {
  workload_spec spec;
  spec.name = "mixed";
  spec.tasks = 2;
  spec.size = 40;
  spec.cpu_fraction = 0.25;
  const auto tasks = make_workload(spec);
  ASSERT_EQ(tasks[0].steps()->size(), 8U);  // four rounds of compute then wait
  std::uint64_t units = 0, wait_ns = 0;
  for (const auto& s : *tasks[0].steps())
    (s.kind == step_kind::compute ? units : wait_ns) += s.amount;
  EXPECT_EQ(wait_ns, 30'000'000U);  // 75% of 40 ms
  EXPECT_NEAR(static_cast<double>(units), 10.0 * compute_units_per_ms(), 4.0);
  EXPECT_GT(compute_units_per_ms(), 1.0);  // measured: a unit is microseconds, not milliseconds
  spec.cpu_fraction = 0.0;
  const auto waiting = make_workload(spec);
  ASSERT_FALSE(waiting[0].steps()->empty());
  for (const auto& s : *waiting[0].steps()) EXPECT_EQ(s.kind, step_kind::wait);
  spec.cpu_fraction = 1.0;
  const auto computing = make_workload(spec);
  ASSERT_FALSE(computing[0].steps()->empty());
  for (const auto& s : *computing[0].steps()) EXPECT_EQ(s.kind, step_kind::compute);
  spec.cpu_fraction = 1.5;
  EXPECT_THROW((void)make_workload(spec), std::invalid_argument);
  EXPECT_EQ(workload_parameters(spec).at(0).first, "cpu_fraction");
}

TEST(Workloads, MemTasksStreamTheSameResultUnderEveryModel) {
  workload_spec spec;
  spec.name = "mem";
  spec.tasks = 4;
  spec.size = 3;  // MiB: small, this checks results, not bandwidth
  const auto tasks = make_workload(spec);
  ASSERT_EQ(tasks[0].steps()->at(0).kind, step_kind::touch);
  EXPECT_EQ((*tasks[0].steps())[0].amount, 3U << 20U);
  const auto expected = make_executor("sequential")->run(tasks, {});
  for (const char* model : {"threads", "process-pool", "gil-threads", "async"}) {
    run_options options;
    options.workers = 2;
    const auto r = make_executor(model)->run(tasks, options);
    for (std::size_t i = 0; i < tasks.size(); ++i) {
      ASSERT_TRUE(r.records[i].ok) << model << ": " << r.records[i].message;
      EXPECT_EQ(r.records[i].result, expected.records[i].result) << model << " " << i;
    }
  }
}

TEST(Workloads, AmdahlTasksSplitTheirComputeIntoSerialAndParallelRounds) {
  workload_spec spec;
  spec.name = "amdahl";
  spec.tasks = 3;
  spec.size = 1001;
  spec.serial_fraction = 0.3;
  const auto tasks = make_workload(spec);
  ASSERT_EQ(tasks[0].steps()->size(), 8U);  // four rounds of serial then parallel
  std::uint64_t serial = 0, parallel = 0;
  for (const auto& st : *tasks[0].steps()) {
    ASSERT_TRUE(st.kind == step_kind::serial || st.kind == step_kind::parallel);
    (st.kind == step_kind::serial ? serial : parallel) += st.amount;
  }
  EXPECT_EQ(serial, 300U);  // round(0.3 x 1001)
  EXPECT_EQ(parallel, 701U);
  EXPECT_EQ(workload_parameters(spec).at(0).first, "serial_fraction");
  spec.serial_fraction = 0.0;
  const auto parallel_only = make_workload(spec);
  ASSERT_FALSE(parallel_only[0].steps()->empty());
  for (const auto& st : *parallel_only[0].steps()) EXPECT_EQ(st.kind, step_kind::parallel);
  spec.serial_fraction = 1.0;
  const auto serial_only = make_workload(spec);
  ASSERT_FALSE(serial_only[0].steps()->empty());
  for (const auto& st : *serial_only[0].steps()) EXPECT_EQ(st.kind, step_kind::serial);
  spec.serial_fraction = -0.1;
  EXPECT_THROW((void)make_workload(spec), std::invalid_argument);
}

TEST(Workloads, LockTasksHoldTheirCriticalShareOnTheChosenLocks) {
  workload_spec spec;
  spec.name = "locks";
  spec.tasks = 6;
  spec.size = 1000;
  spec.critical_fraction = 0.3;
  spec.locks = 1;
  const auto one = make_workload(spec);
  std::uint64_t inside = 0, outside = 0;
  std::size_t sections = 0;
  for (const auto& st : *one[0].steps()) {
    ASSERT_TRUE(st.kind == step_kind::lock || st.kind == step_kind::compute);
    if (st.kind == step_kind::lock) {
      inside += st.amount;
      ++sections;
      EXPECT_EQ(lock_name(st.port), "lock 0") << "one lock: every section takes it";
    } else {
      outside += st.amount;
    }
  }
  EXPECT_EQ(sections, 16U);
  EXPECT_EQ(inside, 300U);
  EXPECT_EQ(outside, 700U);
  // With 4 locks the sections spread over them (drawn from the seed: the same every time).
  spec.locks = 4;
  const auto four = make_workload(spec);
  std::set<std::string> used;
  for (const auto& t : four) {
    for (const auto& st : *t.steps()) {
      if (st.kind == step_kind::lock) used.insert(lock_name(st.port));
    }
  }
  EXPECT_EQ(used, (std::set<std::string>{"lock 0", "lock 1", "lock 2", "lock 3"}));
  EXPECT_EQ(make_workload(spec)[2].steps()->at(1).port, four[2].steps()->at(1).port);
  EXPECT_EQ(workload_parameters(spec).at(1).first, "locks");
  spec.locks = 0;
  EXPECT_THROW((void)make_workload(spec), std::invalid_argument);
  spec.locks = 1;
  spec.critical_fraction = 1.5;
  EXPECT_THROW((void)make_workload(spec), std::invalid_argument);
}

TEST(Workloads, AmdahlTasksGiveTheSameResultUnderEveryModelProcessesIncluded) {
  // The serial section is one lock shared by threads and forked processes alike; the results
  // are the primes counted, whoever ran them.
  workload_spec spec;
  spec.name = "amdahl";
  spec.tasks = 4;
  spec.size = 64;
  spec.serial_fraction = 0.5;
  const auto tasks = make_workload(spec);
  const auto expected = make_executor("sequential")->run(tasks, {});
  for (const char* model :
       {"threads", "thread-pool", "processes", "process-pool", "gil-threads", "async"}) {
    run_options options;
    options.workers = 3;
    const auto r = make_executor(model)->run(tasks, options);
    for (std::size_t i = 0; i < tasks.size(); ++i) {
      ASSERT_TRUE(r.records[i].ok) << model << ": " << r.records[i].message;
      EXPECT_EQ(r.records[i].result, expected.records[i].result) << model << " " << i;
    }
  }
  workload_spec cpu = spec;
  cpu.name = "cpu";
  EXPECT_NE(make_executor("sequential")->run(make_workload(cpu), {}).records[0].result,
            expected.records[0].result)
      << "the checksum folds each step: the same units in other steps give another result";
}

/// Entries named parlab-file-* in the temporary directory.
std::size_t file_workload_dirs() {
  std::size_t n = 0;
  for (const auto& e :
       std::filesystem::directory_iterator(std::filesystem::temp_directory_path())) {
    if (e.path().filename().string().rfind("parlab-file-", 0) == 0) ++n;
  }
  return n;
}

TEST(Workloads, FileTasksVerifyTheirBytesAndLeaveNothingBehind) {
  const std::size_t before = file_workload_dirs();
  {
    workload_spec spec;
    spec.name = "file";
    spec.tasks = 6;
    spec.size = 64;
    spec.fault = fault_mode::throw_exception;  // a failing task must not leave its file either
    spec.fault_task = 2;
    const auto tasks = make_workload(spec);
    EXPECT_EQ(file_workload_dirs(), before + 1);
    const auto expected = make_executor("sequential")->run(tasks, {});
    for (const char* model : {"threads", "processes", "async"}) {
      run_options options;
      options.workers = 3;
      const auto r = make_executor(model)->run(tasks, options);
      EXPECT_EQ(r.failed_tasks(), 1U) << model;
      for (std::size_t i = 0; i < tasks.size(); ++i) {
        if (i == 2) continue;
        ASSERT_TRUE(r.records[i].ok) << model << ": " << r.records[i].message;
        EXPECT_EQ(r.records[i].result, expected.records[i].result) << model << " " << i;
        std::size_t blocking = 0;
        for (const auto& e : r.recorded.events) {
          if (e.task == i && e.kind == event_kind::wait && e.wait == wait_kind::blocking) {
            ++blocking;
          }
        }
        EXPECT_EQ(blocking, 2U) << "write+fsync, then read back: " << model;
      }
    }
  }
  EXPECT_EQ(file_workload_dirs(), before) << "the file workload's directory was left behind";
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
  std::vector<std::string> names;
  for (const auto& w : workloads()) {
    names.push_back(w.name);
    EXPECT_GT(w.default_size, 0U) << w.name;
    EXPECT_GE(w.max_size, w.default_size) << w.name;
    EXPECT_GT(w.default_tasks, 0U) << w.name;
  }
  EXPECT_EQ(names, (std::vector<std::string>{"cpu", "io", "http", "file", "mem", "mixed", "amdahl",
                                             "locks", "chain", "fork-join", "map-reduce",
                                             "wavefront", "pipeline", "layered", "graph"}));
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
