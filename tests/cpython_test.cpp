// CPython side by side: the reference script does parlab's work number for number, its rows read
// back with verdicts from their events, bad specs are refused, and the conclusions say what the
// rows show.

#include <parlab/cpython.hpp>
#include <parlab/experiment.hpp>
#include <parlab/workload.hpp>

#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <string>

namespace parlab {
namespace {

TEST(CpythonScript, IsBuiltIntoParlab) {
  const std::string_view script = cpython_reference_script();
  EXPECT_NE(script.find("parlab.result/1"), std::string_view::npos);
  EXPECT_NE(script.find("cpython-asyncio"), std::string_view::npos);
}

TEST(CpythonScript, NoPython3OnAnEmptyPath) {
  const char* saved = std::getenv("PATH");
  const std::string restore = saved != nullptr ? saved : "";
  ::setenv("PATH", "/nonexistent-parlab-dir", 1);
  EXPECT_FALSE(find_python3().has_value());
  ::setenv("PATH", restore.c_str(), 1);
}

TEST(CpythonScript, RefusesWhatItCannotRun) {
  cpython_spec spec;
  spec.workload = "http";
  EXPECT_THROW((void)run_cpython(spec, "python3"), std::invalid_argument);
  spec.workload = "cpu";
  spec.models = {"cpython-fibers"};
  EXPECT_THROW((void)run_cpython(spec, "python3"), std::invalid_argument);
  spec.models = {};
  spec.tasks = 0;
  EXPECT_THROW((void)run_cpython(spec, "python3"), std::invalid_argument);
}

TEST(CpythonScript, AMissingInterpreterIsARuntimeError) {
  cpython_spec spec;
  EXPECT_THROW((void)run_cpython(spec, "/nonexistent/python3"), std::runtime_error);
}

class CpythonRun : public ::testing::Test {
 protected:
  void SetUp() override {
    python_ = find_python3();
    if (!python_) GTEST_SKIP() << "python3 is not on PATH";
  }
  std::optional<std::string> python_;
};

TEST_F(CpythonRun, DoesParlabsCpuWorkNumberForNumber) {
  cpython_spec spec;
  spec.tasks = 4;
  // ~30 ms of CPython per task: longer than the 5 ms GIL switch interval, and long enough that
  // the second thread starts before the first finishes even on a loaded machine
  spec.size = 180;
  spec.workers = 2;
  spec.repeat = 1;
  spec.seed = 7;
  spec.models = cpython_models();
  const auto rows = run_cpython(spec, *python_);
  ASSERT_EQ(rows.size(), cpython_models().size());

  // parlab's own sequential run of the same tasks: the primes each task found.
  experiment_spec cpp;
  cpp.workload.name = "cpu";
  cpp.workload.tasks = 4;
  cpp.workload.size = 180;
  cpp.workload.seed = 7;
  cpp.executors = {"sequential"};
  cpp.repeat = 1;
  cpp.baseline = false;
  cpp.keep_records = true;
  const auto cpp_rows = run_experiment(cpp);
  std::map<std::size_t, std::uint64_t> want;
  for (const auto& rec : cpp_rows.front().representative.records) want[rec.task_id] = rec.result;

  for (const auto& r : rows) {
    SCOPED_TRACE(r.executor);
    EXPECT_EQ(r.workload, "cpu");
    EXPECT_EQ(r.tasks, 4U);
    EXPECT_EQ(r.is_baseline, r.executor == "cpython-sequential");
    EXPECT_EQ(r.speedup.has_value(), !r.is_baseline);
    ASSERT_EQ(r.representative.records.size(), 4U);
    for (const auto& rec : r.representative.records) {
      EXPECT_TRUE(rec.ok);
      EXPECT_EQ(rec.result, want[rec.task_id]) << "task " << rec.task_id;
      EXPECT_LT(rec.worker, 2U);
    }
    // Verdicts come from the recorded events.
    EXPECT_TRUE(r.concurrency.from_timeline);
    EXPECT_FALSE(r.representative.recorded.events.empty());
    if (r.executor == "cpython-sequential" || r.executor == "cpython-asyncio") {
      // An event loop runs a task that never awaits from start to end: serial on CPU work.
      EXPECT_EQ(r.concurrency.result, verdict::serial);
    } else if (r.executor == "cpython-threads" || r.executor == "cpython-thread-pool") {
      EXPECT_EQ(r.concurrency.peak_in_flight, 2U);  // both threads have a task under way
    }
  }
}

TEST_F(CpythonRun, IoTasksWaitAndOverlap) {
  cpython_spec spec;
  spec.workload = "io";
  spec.tasks = 8;
  spec.size = 30;
  spec.workers = 8;
  spec.repeat = 1;
  const auto rows = run_cpython(spec, *python_);
  ASSERT_EQ(rows.size(), 4U);  // the default four
  for (const auto& r : rows) {
    SCOPED_TRACE(r.executor);
    EXPECT_GT(r.concurrency.waiting_seconds, 0.0);
    if (r.executor == "cpython-threads" || r.executor == "cpython-asyncio") {
      // 8 waits of 30 ms overlap: far below the 240 ms one after the other (generous bound).
      EXPECT_GT(r.speedup.value_or(0.0), 2.0);
    }
  }
}

measured_run row(std::string executor, double speedup, std::size_t tasks = 8,
                 std::uint64_t size = 100, double wall = 1.0) {
  measured_run r;
  r.executor = std::move(executor);
  r.workload = "cpu";
  r.tasks = tasks;
  r.size = size;
  r.wall_median = wall;
  r.is_baseline = r.executor == "sequential" || r.executor == "cpython-sequential";
  if (!r.is_baseline) r.speedup = speedup;
  return r;
}

TEST(CpythonConclusions, CompareTheRealGilWithTheEmulationAndCppWithCpython) {
  const std::vector<measured_run> cpu = {row("sequential", 1, 8, 8000, 0.4), row("threads", 1.9),
                                         row("gil-threads", 0.97)};
  const std::vector<measured_run> py = {row("cpython-sequential", 1, 8, 320, 0.5),
                                        row("cpython-threads", 0.95),
                                        row("cpython-processes", 1.8)};
  const auto lines = cpython_conclusions(cpu, py, {});
  ASSERT_EQ(lines.size(), 2U);
  EXPECT_NE(lines[0].find("CPython threads 0.95x"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("emulated GIL gave 0.97x"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("agree"), std::string::npos) << lines[0];
  // 0.4 s / 64000 units = 6.25 us; 0.5 s / 2560 units = 195.3 us: 31x.
  EXPECT_NE(lines[1].find("6.2 us in C++ and 195.3 us in CPython (31x)"), std::string::npos)
      << lines[1];
  EXPECT_TRUE(cpython_conclusions(cpu, {}, {}).empty());
}

TEST(CpythonConclusions, SayWhenTheContrastDidNotAppear) {
  const std::vector<measured_run> py = {row("cpython-sequential", 1), row("cpython-threads", 1.6),
                                        row("cpython-processes", 1.7)};
  const auto lines = cpython_conclusions({}, py, {});
  ASSERT_EQ(lines.size(), 1U);
  EXPECT_NE(lines[0].find("did not appear"), std::string::npos);
}

}  // namespace
}  // namespace parlab
