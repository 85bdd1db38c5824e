// The open registries: one table per kind, and a library user's own models and workloads
// beside the built-in ones.

#include <parlab/example_registry.hpp>
#include <parlab/experiment.hpp>

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

namespace parlab {
namespace {

/// A model of a test's own: every task on the calling thread, last first.
class backwards final : public executor {
 public:
  [[nodiscard]] std::string_view name() const noexcept override { return "backwards"; }

 protected:
  void execute(std::span<const task> tasks, const run_options&, run_result& result) override {
    for (std::size_t i = tasks.size(); i-- > 0;) run_in_worker(tasks[i], 0, result.records[i]);
  }
};

TEST(Registry, EachBuiltInModelIsListedOnceWithAFactoryWhenBuilt) {
  std::vector<std::string> names;
  for (const auto& e : executors()) {
    names.push_back(e.name);
    EXPECT_EQ(e.available, static_cast<bool>(e.factory)) << e.name;
  }
  const std::vector<std::string> built_in = {"sequential", "threads",      "thread-pool",
                                             "processes",  "process-pool", "gil-threads",
                                             "async",      "openmp",       "tbb"};
  ASSERT_GE(names.size(), built_in.size());
  EXPECT_EQ(std::vector<std::string>(names.begin(), names.begin() + 9), built_in);
}

TEST(Registry, AUsersModelIsMeasuredBesideTheBuiltInOnes) {
  register_executor({"backwards", "one thread, last task first", true, false,
                     [] { return std::make_unique<backwards>(); }});
  EXPECT_EQ(make_executor("backwards")->name(), "backwards");
  EXPECT_EQ(find_executor("backwards").description, "one thread, last task first");

  experiment_spec spec;
  spec.workload.name = "cpu";
  spec.workload.tasks = 4;
  spec.workload.size = 5;
  spec.executors = {"threads", "backwards"};
  spec.workers = 2;
  spec.repeat = 1;
  spec.keep_records = true;
  const auto runs = run_experiment(spec);
  ASSERT_EQ(runs.size(), 3U);
  EXPECT_EQ(runs[2].executor, "backwards");
  EXPECT_EQ(runs[2].failed_tasks, 0U);
  const auto& records = runs[2].representative.records;
  ASSERT_EQ(records.size(), 4U);
  EXPECT_GT(records[0].start_ns, records[3].start_ns) << "it ran the last task first";
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(records[i].result, runs[0].representative.records[i].result) << "task " << i;
  }
  EXPECT_FALSE(runs[2].representative.recorded.events.empty()) << "run_in_worker records";

  EXPECT_THROW(register_executor({"backwards", "again", true, false,
                                  [] { return std::make_unique<backwards>(); }}),
               std::invalid_argument);
  EXPECT_THROW(
      register_executor({"", "no name", true, false, [] { return std::make_unique<backwards>(); }}),
      std::invalid_argument);
  EXPECT_THROW(register_executor({"no-factory", "", true, false, {}}), std::invalid_argument);
}

TEST(Registry, AUsersWorkloadIsGeneratedAndMeasuredByName) {
  workload_info info;
  info.name = "sleepy";
  info.description = "wait, then compute one unit";
  info.size_meaning = "milliseconds";
  info.default_size = 1;
  info.default_tasks = 3;
  info.max_size = 100;
  info.generate = [](const workload_spec& s, std::uint64_t size) {
    std::vector<task> tasks;
    for (std::size_t i = 0; i < s.tasks; ++i) {
      tasks.push_back(make_step_task(
          i, "sleepy", s.seed + i, {{step_kind::wait, size * 1'000'000}, {step_kind::compute, 1}}));
    }
    return tasks;
  };
  register_workload(info);
  workload_spec spec;
  spec.name = "sleepy";
  spec.tasks = 3;
  EXPECT_EQ(make_workload(spec).size(), 3U);
  experiment_spec e;
  e.workload = spec;
  e.workload.size = 101;
  EXPECT_THROW(check_spec(e), std::invalid_argument) << "its own max_size bounds the size";
  e.workload.size = 2;
  e.executors = {"async"};
  e.workers = 3;
  e.repeat = 1;
  const auto runs = run_experiment(e);
  ASSERT_EQ(runs.size(), 2U);
  EXPECT_EQ(runs[1].workload, "sleepy");
  EXPECT_EQ(runs[1].failed_tasks, 0U);
  EXPECT_THROW(register_workload(info), std::invalid_argument);
  info.name = "broken";
  info.max_size = 0;
  EXPECT_THROW(register_workload(info), std::invalid_argument);
}

}  // namespace
}  // namespace parlab

namespace parlab {
namespace {

TEST(Registry, ExamplesAreRegisteredRatherThanKnownToTheCommandLine) {
  // This test program links no catalog: the table holds only what is registered here.
  EXPECT_THROW((void)find_example("cpu_bound"), std::invalid_argument);
  register_example({"always_holds", "a claim that holds", false,
                    [](int argc, char** argv) { return argc == 2 && argv[1][0] == 'x' ? 0 : 1; }});
  const example_info e = find_example("always_holds");
  EXPECT_EQ(e.idea, "a claim that holds");
  std::string a0 = "parlab example always_holds";
  std::string a1 = "x";
  char* argv[] = {a0.data(), a1.data(), nullptr};
  EXPECT_EQ(e.main(2, argv), 0);
  EXPECT_THROW(register_example({"always_holds", "again", false, e.main}), std::invalid_argument);
  EXPECT_THROW(register_example({"no_main", "nothing to run", false, {}}), std::invalid_argument);
  try {
    (void)find_example("nope");
    FAIL();
  } catch (const std::invalid_argument& bad) {
    EXPECT_NE(std::string(bad.what()).find("always_holds"), std::string::npos) << bad.what();
  }
  ASSERT_FALSE(registered_examples().empty());
  EXPECT_EQ(registered_examples().back().name, "always_holds");
}

}  // namespace
}  // namespace parlab
