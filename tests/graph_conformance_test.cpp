// Every model that runs graphs honours the edges: each task once and never before its
// predecessors ended, a failed predecessor's successors never run, data along the edges reaches
// every successor (shared by the thread models, copied by the process models). Correctness, not
// timing: these run beside other tests (graph_test.cpp has the graphs' timing claims).

#include <parlab/executor.hpp>
#include <parlab/task_graph.hpp>
#include <parlab/workload.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "shared_counters.hpp"

namespace parlab {
namespace {

using testing_support::shared_counters;

/// A layered graph of callables that compute a little, wait 1 ms and count their runs; task
/// `throwing` throws.
std::vector<task> counted_graph(shared_counters& runs, std::size_t throwing = SIZE_MAX) {
  workload_spec spec;
  spec.name = "layered";
  spec.tasks = 30;
  spec.width = 4;
  spec.edge_probability = 0.4;
  const auto shape_tasks = make_workload(spec);
  std::vector<task> tasks;
  for (std::size_t i = 0; i < shape_tasks.size(); ++i) {
    tasks.push_back(make_task(
        i, shape_tasks[i].label,
        [&runs, i, throwing](task_context& ctx) -> std::uint64_t {
          runs[i].fetch_add(1);
          const std::uint64_t r = ctx.compute(20);
          ctx.wait(std::chrono::milliseconds(1));
          if (i == throwing) throw std::runtime_error("task " + std::to_string(i) + " fails");
          return r * 7 + i;
        },
        100 + i));
    tasks.back().after = shape_tasks[i].after;
  }
  return tasks;
}

class GraphConformance : public ::testing::TestWithParam<std::tuple<std::string, std::size_t>> {
 protected:
  std::string name() const { return std::get<0>(GetParam()); }
  std::size_t workers() const { return std::get<1>(GetParam()); }
  run_result run(const std::vector<task>& tasks) {
    run_options options;
    options.workers = workers();
    options.gil_switch_interval = std::chrono::milliseconds(1);
    return make_executor(name())->run(tasks, options);
  }
};

TEST_P(GraphConformance, EveryTaskRunsOnceAndNeverBeforeItsPredecessorsEnded) {
  shared_counters runs(30);
  const auto tasks = counted_graph(runs);
  const auto expected = make_executor("sequential")->run(tasks, {});
  for (std::size_t i = 0; i < tasks.size(); ++i) runs[i].store(0);
  const auto result = run(tasks);
  ASSERT_EQ(result.records.size(), tasks.size());
  EXPECT_EQ(result.after, dependencies_of(tasks));
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    const task_record& r = result.records[i];
    EXPECT_EQ(runs[i].load(), 1) << "task " << i;
    EXPECT_TRUE(r.ok) << "task " << i << ": " << r.message;
    EXPECT_EQ(r.result, expected.records[i].result) << "task " << i;
    EXPECT_LT(r.worker, workers());
    for (const std::size_t p : tasks[i].after) {
      EXPECT_GE(r.start_ns, result.records[p].end_ns) << "task " << i << " started before " << p;
    }
  }
  // Every task is queued on the timeline when its last predecessor ended.
  for (const auto& e : result.recorded.events) {
    if (e.kind != event_kind::queued) continue;
    std::int64_t ready = result.start_ns;
    for (const std::size_t p : tasks[e.task].after) {
      ready = std::max(ready, result.records[p].end_ns);
    }
    EXPECT_EQ(e.start_ns, ready) << "task " << e.task;
  }
}

TEST_P(GraphConformance, ATaskWhosePredecessorFailedNeverRunsAndTheOthersDo) {
  shared_counters runs(30);
  const std::size_t failing = 6;  // layer 1
  const auto tasks = counted_graph(runs, failing);
  const auto result = run(tasks);
  // The tasks that depend on it, directly or not.
  std::vector<bool> blocked(tasks.size(), false);
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    for (const std::size_t p : tasks[i].after) {
      if (p == failing || blocked[p]) blocked[i] = true;
    }
  }
  ASSERT_TRUE(std::count(blocked.begin(), blocked.end(), true) > 0);
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    const task_record& r = result.records[i];
    if (i == failing) {
      EXPECT_EQ(r.failure, failure_kind::threw);
      EXPECT_EQ(runs[i].load(), 1);
    } else if (blocked[i]) {
      EXPECT_EQ(runs[i].load(), 0) << "task " << i;
      EXPECT_EQ(r.failure, failure_kind::never_ran) << "task " << i;
      EXPECT_EQ(r.message, "never ran: it waits for task 6, which failed") << "task " << i;
    } else {
      EXPECT_TRUE(r.ok) << "task " << i << ": " << r.message;
      EXPECT_EQ(runs[i].load(), 1) << "task " << i;
    }
  }
}

TEST_P(GraphConformance, DataAlongEdgesReachesEverySuccessorSharedOrCopied) {
  workload_spec spec;
  spec.name = "wavefront";
  spec.tasks = 16;
  spec.size = 20;
  spec.edge_bytes = 40'003;  // not a whole number of words: the tail is read too
  const auto tasks = make_workload(spec);
  const auto expected = make_executor("sequential")->run(tasks, {});
  const auto result = run(tasks);
  std::uint64_t produced = 0;
  std::uint64_t read = 0;
  std::vector<bool> has_successor(tasks.size(), false);
  for (const auto& t : tasks) {
    for (const std::size_t p : t.after) has_successor[p] = true;
    read += t.after.size() * spec.edge_bytes;
  }
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    if (has_successor[i]) produced += spec.edge_bytes;
    ASSERT_TRUE(result.records[i].ok) << "task " << i << ": " << result.records[i].message;
    // Each task folds a checksum of every byte it was handed into its result.
    EXPECT_EQ(result.records[i].result, expected.records[i].result) << "task " << i;
  }
  const edge_traffic& e = result.edge_bytes;
  EXPECT_EQ(e.produced, produced);
  EXPECT_EQ(e.read, read);
  EXPECT_GT(e.peak_held, 0U);
  EXPECT_LE(e.peak_held, produced);
  // Threads read where the data lies; a process per task (forked when its inputs are already in
  // the parent) sends only its output back; a pool worker also gets its inputs sent.
  const std::uint64_t copied = name() == "processes"      ? produced
                               : name() == "process-pool" ? produced + read
                                                          : 0;
  EXPECT_EQ(e.copied, copied);
  // Without data, nothing is counted.
  spec.edge_bytes = 0;
  EXPECT_FALSE(run(make_workload(spec)).edge_bytes.any());
}

std::string graph_param_name(const ::testing::TestParamInfo<GraphConformance::ParamType>& info) {
  std::string n = std::get<0>(info.param);
  for (char& c : n) {
    if (c == '-') c = '_';
  }
  return n + "_W" + std::to_string(std::get<1>(info.param));
}

/// Every model this build has that runs graphs and callables.
std::vector<std::string> graph_models() {
  std::vector<std::string> names;
  for (const auto& info : executors()) {
    if (info.available && info.runs_callables && info.runs_graphs) names.push_back(info.name);
  }
  return names;
}

INSTANTIATE_TEST_SUITE_P(AllModels, GraphConformance,
                         ::testing::Combine(::testing::ValuesIn(graph_models()),
                                            ::testing::Values(1, 2, 3)),
                         graph_param_name);

}  // namespace
}  // namespace parlab
