// Task graphs: the checks before a graph runs, the shapes, the models that do not run graphs,
// and work / span / the critical path from a run (graph_conformance_test.cpp: every model
// honouring the edges).

#include <parlab/executor.hpp>
#include <parlab/graph_analysis.hpp>
#include <parlab/machine.hpp>
#include <parlab/overhead.hpp>
#include <parlab/predict.hpp>
#include <parlab/task_graph.hpp>
#include <parlab/workload.hpp>

#include <gtest/gtest.h>
#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <new>
#include <set>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "shared_counters.hpp"
#include "timing.hpp"

namespace parlab {
namespace {

std::string refusal(const task_dependencies& after, const std::vector<std::string>& labels = {}) {
  try {
    check_dependencies(after, labels);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

TEST(TaskGraph, ACycleIsRefusedNamingItsTasksInOrder) {
  // a -> b -> c -> a (each after the one before), d apart.
  const task_dependencies after{{2}, {0}, {1}, {}};
  EXPECT_EQ(refusal(after, {"a", "b", "c", "d"}), "task graph: a cycle: 'a' -> 'b' -> 'c' -> 'a'");
  EXPECT_EQ(refusal(after), "task graph: a cycle: 0 -> 1 -> 2 -> 0");
  EXPECT_EQ(refusal({{}, {1}}, {"x", "y"}), "task graph: a cycle: task 'y' waits for itself");
  EXPECT_THROW((void)topological_order(after), std::invalid_argument);
}

TEST(TaskGraph, AMissingOrRepeatedPredecessorIsRefusedNamingIt) {
  EXPECT_EQ(refusal({{}, {}, {9}}, {"a", "b", "c"}),
            "task graph: task 'c' (2) waits for task 9, which is not in the batch (ids 0-2)");
  EXPECT_EQ(refusal({{}, {0, 0}}, {"a", "b"}),
            "task graph: task 'b' names task 'a' twice among what it waits for");
  EXPECT_EQ(refusal({{}, {0}, {0, 1}}), "");
}

TEST(TaskGraph, TasksOutOfOrderAreRefused) {
  std::vector<task> tasks{make_step_task(0, "a", 1, {}), make_step_task(5, "b", 2, {})};
  tasks[1].after = {0};
  try {
    check_graph(tasks);
    FAIL() << "accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(),
                 "task graph: the task at position 1 has id 5 (a graph's tasks are numbered "
                 "0..N-1 in order)");
  }
}

TEST(TaskGraph, TopologicalOrderPutsEveryTaskAfterItsPredecessors) {
  const task_dependencies after{{3}, {}, {0, 1}, {}, {2}};
  const auto order = topological_order(after);
  ASSERT_EQ(order.size(), after.size());
  std::vector<std::size_t> position(after.size());
  for (std::size_t k = 0; k < order.size(); ++k) position[order[k]] = k;
  for (std::size_t i = 0; i < after.size(); ++i) {
    for (const std::size_t p : after[i]) EXPECT_LT(position[p], position[i]) << p << " " << i;
  }
  EXPECT_EQ(order, (std::vector<std::size_t>{1, 3, 0, 2, 4}));  // lowest ready first
  EXPECT_EQ(topological_order({{}, {}, {}}), (std::vector<std::size_t>{0, 1, 2}));
}

std::vector<task> shape(const std::string& name, std::size_t tasks, std::uint64_t size = 10) {
  workload_spec spec;
  spec.name = name;
  spec.tasks = tasks;
  spec.size = size;
  return make_workload(spec);
}

task_dependencies edges(const std::vector<task>& tasks) { return dependencies_of(tasks); }

/// The span and parallelism of a shape with every task's compute units as its duration.
longest_path by_units(const std::vector<task>& tasks) {
  std::vector<double> units;
  for (const auto& t : tasks) units.push_back(static_cast<double>(t.steps()->front().amount));
  return find_longest_path(edges(tasks), units);
}

double work_in_units(const std::vector<task>& tasks) {
  double w = 0;
  for (const auto& t : tasks) w += static_cast<double>(t.steps()->front().amount);
  return w;
}

TEST(GraphShapes, EachMakesTheTasksAskedForAsAValidGraph) {
  for (const char* name :
       {"chain", "fork-join", "map-reduce", "wavefront", "pipeline", "layered"}) {
    for (const std::size_t n : {1U, 3U, 12U, 46U, 99U}) {
      if (std::string(name) == "pipeline" && n % 3 != 0) continue;
      const auto tasks = shape(name, n);
      ASSERT_EQ(tasks.size(), n) << name;
      EXPECT_NO_THROW(check_graph(tasks)) << name << " " << n;
      EXPECT_TRUE(find_workload(name).graph) << name;
    }
  }
  EXPECT_FALSE(find_workload("cpu").graph);
}

TEST(GraphShapes, TheirParallelismIsTheKnownValue) {
  // chain: 1; an n x n wavefront of equal cells: n^2 / (2n - 1).
  const auto chain = shape("chain", 10);
  EXPECT_DOUBLE_EQ(work_in_units(chain) / by_units(chain).length, 1.0);
  const auto grid = shape("wavefront", 36);
  EXPECT_DOUBLE_EQ(by_units(grid).length, 11 * 10.0);
  EXPECT_EQ(by_units(grid).path.size(), 11U);
  EXPECT_DOUBLE_EQ(work_in_units(grid) / by_units(grid).length, 36.0 / 11.0);
  // fork-join over 16 leaves of 80 units, splits and joins of 10: work 16*80 + 30*10, span
  // 4 splits + a leaf + 4 joins.
  const auto fj = shape("fork-join", 46, 80);
  EXPECT_DOUBLE_EQ(work_in_units(fj), 16 * 80 + 30 * 10.0);
  EXPECT_DOUBLE_EQ(by_units(fj).length, 80 + 8 * 10.0);
  // map-reduce of 16 maps: a reduction tree 4 deep.
  const auto mr = shape("map-reduce", 31, 40);
  EXPECT_DOUBLE_EQ(by_units(mr).length, 40 + 4 * 10.0);
}

TEST(GraphShapes, APipelineKeepsAtMostItsTokensInFlightAndItsSerialStagesInOrder) {
  workload_spec spec;
  spec.name = "pipeline";
  spec.tasks = 30;
  spec.stages = 3;
  spec.tokens = 2;
  const auto tasks = make_workload(spec);
  const auto has = [&](std::size_t task, std::size_t before) {
    const auto& a = tasks[task].after;
    return std::find(a.begin(), a.end(), before) != a.end();
  };
  // item i stage s is task 3i + s
  EXPECT_TRUE(has(3 * 4 + 1, 3 * 4 + 0));   // its stage before
  EXPECT_TRUE(has(3 * 4 + 0, 3 * 3 + 0));   // serial first stage: the item before
  EXPECT_TRUE(has(3 * 4 + 2, 3 * 3 + 2));   // serial last stage: the item before
  EXPECT_FALSE(has(3 * 4 + 1, 3 * 3 + 1));  // the parallel stage waits for no other item
  EXPECT_TRUE(has(3 * 4 + 0, 3 * 2 + 2));   // a token: item 4 enters when item 2 has left
  EXPECT_TRUE(tasks[0].after.empty());
  // One token: the whole pipeline is one chain.
  spec.tokens = 1;
  const auto one = make_workload(spec);
  EXPECT_DOUBLE_EQ(work_in_units(one) / by_units(one).length, 1.0);
}

TEST(PipelineLayout, EveryPipelineIsFoundExactlyAndNothingElseIs) {
  for (std::size_t stages = 2; stages <= 5; ++stages) {
    for (std::size_t tokens = 1; tokens <= 7; ++tokens) {
      workload_spec spec;
      spec.name = "pipeline";
      spec.tasks = stages * 6;
      spec.stages = stages;
      spec.tokens = tokens;
      const auto found = find_pipeline(dependencies_of(make_workload(spec)));
      ASSERT_TRUE(found) << stages << " stages, " << tokens << " tokens";
      EXPECT_EQ(found->stages(), stages);
      EXPECT_EQ(found->tokens, std::min<std::size_t>(tokens, 6));  // 6 items: more wait for none
      EXPECT_TRUE(found->serial.front() && found->serial.back());
      for (std::size_t s = 1; s + 1 < stages; ++s) EXPECT_FALSE(found->serial[s]);
    }
  }
  // A serial stage in the middle, a list in another order: found as written.
  pipeline_layout mine{{true, true, false, true}, 3};
  auto after = pipeline_dependencies(mine, 5);
  std::reverse(after[13].begin(), after[13].end());
  EXPECT_EQ(find_pipeline(after), mine);
  // A square wavefront is one: its rows are items, its columns serial stages, and nothing
  // bounds the items in flight (tokens = the items).
  workload_spec grid;
  grid.name = "wavefront";
  grid.tasks = 16;
  EXPECT_EQ(find_pipeline(dependencies_of(make_workload(grid))),
            (pipeline_layout{{true, true, true, true}, 4}));
  // Not pipelines: the other shapes, a pipeline missing one edge or with a parallel last stage
  // (items would leave out of order), one item, a bag.
  for (const char* shape : {"chain", "fork-join", "map-reduce", "layered"}) {
    workload_spec spec;
    spec.name = shape;
    spec.tasks = 24;
    EXPECT_FALSE(find_pipeline(dependencies_of(make_workload(spec)))) << shape;
  }
  auto missing = pipeline_dependencies(mine, 5);
  missing[9].clear();
  EXPECT_FALSE(find_pipeline(missing));
  EXPECT_FALSE(find_pipeline(pipeline_dependencies({{true, false, false}, 2}, 4)));
  EXPECT_FALSE(find_pipeline(pipeline_dependencies({{true, true}, 1}, 1)));
  EXPECT_FALSE(find_pipeline(task_dependencies(8)));
}

TEST(GraphRuns, TbbRunsAPipelineAsOneTBBsParallelPipelineInTheGraphsOrder) {
  if (!find_executor("tbb").available) GTEST_SKIP() << "this build has no oneTBB";
  workload_spec spec;
  spec.name = "pipeline";
  spec.tasks = 40;
  spec.stages = 4;
  spec.tokens = 3;
  spec.size = 50;
  const auto tasks = make_workload(spec);
  const auto expected = make_executor("sequential")->run(tasks, {});
  for (const std::size_t w : {1U, 2U, 3U}) {
    run_options o;
    o.workers = w;
    const auto r = make_executor("tbb")->run(tasks, o);
    EXPECT_EQ(r.graph_runner, "parallel_pipeline");
    for (std::size_t i = 0; i < tasks.size(); ++i) {
      ASSERT_TRUE(r.records[i].ok) << "W=" << w << " task " << i << ": " << r.records[i].message;
      EXPECT_EQ(r.records[i].result, expected.records[i].result);
      for (const std::size_t p : tasks[i].after) {
        EXPECT_GE(r.records[i].start_ns, r.records[p].end_ns)
            << "W=" << w << ": task " << i << " started before " << p << " ended";
      }
    }
    const auto f = analyse_pipeline(r, 4, 3, 8);
    ASSERT_TRUE(f);
    EXPECT_LE(f->peak_in_flight, 3U) << "W=" << w;
  }
  // A failure blocks what it blocks under any other model, and the graph's end still comes.
  spec.fault = fault_mode::throw_exception;
  spec.fault_task = 9;  // item 2's stage 2 (a parallel one)
  const auto failing = make_workload(spec);
  run_options o;
  o.workers = 2;
  const auto pool = make_executor("thread-pool")->run(failing, o);
  const auto tbb = make_executor("tbb")->run(failing, o);
  ASSERT_EQ(tbb.records.size(), pool.records.size());
  std::size_t never_ran = 0;
  for (std::size_t i = 0; i < failing.size(); ++i) {
    EXPECT_EQ(tbb.records[i].failure, pool.records[i].failure) << "task " << i;
    EXPECT_EQ(tbb.records[i].message, pool.records[i].message) << "task " << i;
    if (tbb.records[i].failure == failure_kind::never_ran) ++never_ran;
  }
  EXPECT_GT(never_ran, 0U);
  // Any other graph: a flow graph.
  spec = {};
  spec.name = "fork-join";
  spec.tasks = 15;
  EXPECT_EQ(make_executor("tbb")->run(make_workload(spec), o).graph_runner, "flow graph");
}

TEST(GraphShapes, LayeredIsSeededAndEveryTaskWaitsForTheLayerBefore) {
  workload_spec spec;
  spec.name = "layered";
  spec.tasks = 40;
  spec.width = 5;
  spec.edge_probability = 0.3;
  const auto a = make_workload(spec);
  const auto b = make_workload(spec);
  EXPECT_EQ(edges(a), edges(b));
  for (std::size_t i = 5; i < a.size(); ++i) {
    ASSERT_FALSE(a[i].after.empty()) << i;
    for (const std::size_t p : a[i].after) EXPECT_EQ(p / 5, i / 5 - 1) << i;
  }
  spec.seed = 7;
  EXPECT_NE(edges(make_workload(spec)), edges(a));
}

TEST(GraphShapes, AFaultKeepsTheTaskInTheGraph) {
  workload_spec spec;
  spec.name = "chain";
  spec.tasks = 4;
  spec.fault = fault_mode::throw_exception;
  spec.fault_task = 2;
  const auto tasks = make_workload(spec);
  EXPECT_EQ(tasks[2].after, (std::vector<std::size_t>{1}));
}

using testing_support::shared_counters;

/// A model of a user's that says nothing about graphs: it runs its tasks in order, one by one.
class in_order final : public executor {
 public:
  [[nodiscard]] std::string_view name() const noexcept override { return "in-order-no-graphs"; }

 protected:
  void execute(std::span<const task> tasks, const run_options&, run_result& result) override {
    for (std::size_t i = 0; i < tasks.size(); ++i) run_in_worker(tasks[i], 0, result.records[i]);
  }
};

TEST(GraphRuns, AModelThatDoesNotRunGraphsRefusesOneBeforeStarting) {
  for (const auto& e : executors()) EXPECT_TRUE(e.runs_graphs) << e.name << ": every built-in does";
  executor_info mine;
  mine.name = "in-order-no-graphs";
  mine.description = "one by one, in order; no word on graphs";
  mine.factory = [] { return std::make_unique<in_order>(); };
  register_executor(mine);
  auto tasks = shape("chain", 3);
  try {
    (void)make_executor("in-order-no-graphs")->run(tasks, {});
    FAIL() << "accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("in-order-no-graphs does not run task graphs"),
              std::string::npos)
        << e.what();
  }
}

TEST(GraphRuns, AGraphWithACycleIsRefusedBeforeAnyTaskRuns) {
  shared_counters runs(3);
  std::vector<task> tasks;
  for (std::size_t i = 0; i < 3; ++i) {
    tasks.push_back(make_task(i, "t" + std::to_string(i), [&runs, i](task_context&) {
      runs[i].fetch_add(1);
      return std::uint64_t{0};
    }));
  }
  tasks[0].after = {2};
  tasks[1].after = {0};
  tasks[2].after = {1};
  EXPECT_THROW((void)make_executor("thread-pool")->run(tasks, {}), std::invalid_argument);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(runs[i].load(), 0);
}

TEST(GraphAnalysis, WorkSpanSlackAndTheBoundsOfARun) {
  // a(3) -> c(1), b(1) -> c: span a + c = 4, work 5; b has 2 of slack.
  run_result run;
  run.workers = 2;
  run.start_ns = 0;
  run.end_ns = 4'500'000;
  run.after = {{}, {}, {0, 1}};
  const auto rec = [](std::size_t id, std::int64_t start_ms, std::int64_t end_ms) {
    task_record r;
    r.task_id = id;
    r.ok = true;
    r.failure = failure_kind::none;
    r.start_ns = start_ms * 1'000'000;
    r.end_ns = end_ms * 1'000'000;
    return r;
  };
  run.records = {rec(0, 0, 3), rec(1, 0, 1), rec(2, 3, 4)};
  const auto g = analyse_graph(run, 8);
  ASSERT_TRUE(g);
  EXPECT_EQ(g->tasks, 3U);
  EXPECT_EQ(g->edges, 2U);
  EXPECT_NEAR(g->work_seconds, 0.005, 1e-12);
  EXPECT_NEAR(g->span_seconds, 0.004, 1e-12);
  EXPECT_NEAR(g->parallelism, 1.25, 1e-9);
  EXPECT_EQ(g->critical_path, (std::vector<std::size_t>{0, 2}));
  EXPECT_NEAR(g->slack_seconds[1], 0.002, 1e-12);
  EXPECT_EQ(g->slack_seconds[0], 0.0);
  EXPECT_EQ(g->processors, 2U);  // min(W, cores)
  EXPECT_NEAR(g->lower_bound_seconds, 0.004, 1e-12);
  EXPECT_NEAR(g->upper_bound_seconds, 0.0065, 1e-12);
  EXPECT_EQ(g->against_bounds(), 0);
  EXPECT_EQ(g->last_chain, (std::vector<std::size_t>{0, 2}));
  EXPECT_NEAR(g->last_chain_running_seconds, 0.004, 1e-12);
  EXPECT_NEAR(g->last_chain_waiting_seconds, 0.0, 1e-12);
  run.after.clear();
  EXPECT_FALSE(analyse_graph(run, 8));  // a bag of tasks
}

TEST(GraphAnalysis, APipelineIsHeldToItsLimitsAndItsTokens) {
  // 4 items x 2 stages (both serial: the first and the last), 1 ms each, one token: one chain.
  run_result run;
  run.workers = 2;
  run.start_ns = 0;
  workload_spec spec;
  spec.name = "pipeline";
  spec.tasks = 8;
  spec.stages = 2;
  spec.tokens = 1;
  run.after = dependencies_of(make_workload(spec));
  for (std::size_t i = 0; i < 8; ++i) {
    task_record r;
    r.task_id = i;
    r.ok = true;
    r.failure = failure_kind::none;
    r.start_ns = static_cast<std::int64_t>(i) * 1'000'000;
    r.end_ns = r.start_ns + 1'000'000;
    run.records.push_back(r);
  }
  run.end_ns = 8'000'000;
  const auto f = analyse_pipeline(run, 2, 1, 8);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->items, 4U);
  EXPECT_NEAR(f->throughput, 500.0, 1e-6);     // 4 items in 8 ms
  EXPECT_NEAR(f->serial_limit, 1000.0, 1e-6);  // 1 ms per serial stage
  EXPECT_NEAR(f->token_limit, 500.0, 1e-6);    // 1 token, 2 ms per item
  EXPECT_NEAR(f->core_limit, 1000.0, 1e-6);    // 2 cores, 2 ms per item
  EXPECT_EQ(f->binding(), "tokens");
  EXPECT_EQ(f->peak_in_flight, 1U);
  EXPECT_NEAR(f->mean_in_flight, 1.0, 1e-9);
  EXPECT_FALSE(analyse_pipeline(run, 3, 1, 8));  // 8 tasks are not items x 3 stages
}

/// Timing test: the parallelism measured from a real run is the shape's known value within 5%.
TEST(GraphAnalysis, MeasuredParallelismIsTheKnownValue) {
  const auto measure = [](const std::string& name, std::size_t tasks, std::uint64_t size) {
    workload_spec spec;
    spec.name = name;
    spec.tasks = tasks;
    spec.size = size;
    const auto batch = make_workload(spec);
    // The graph's parallelism, from task times measured one at a time (as parlab predict takes
    // them): two tasks computing at once on this VM slow each other, and under a sanitizer more.
    const auto run = make_executor("sequential")->run(batch, {});
    return analyse_graph(run, 2)->parallelism;
  };
  const double chain = measure("chain", 8, 200);
  EXPECT_DOUBLE_EQ(chain, 1.0);
  PARLAB_TIMING_TEST([&]() -> std::string {
    const double grid = measure("wavefront", 25, 400);  // 25 / 9
    const double fj = measure("fork-join", 22, 800);    // 8 leaves: (8*800 + 14*100) / (800 + 600)
    const double grid_known = 25.0 / 9.0;
    const double fj_known = (8 * 800 + 14 * 100) / (800.0 + 6 * 100);
    if (std::abs(grid / grid_known - 1) <= 0.05 && std::abs(fj / fj_known - 1) <= 0.05) return {};
    return fmt::format("wavefront {:.3f} (known {:.3f}), fork-join {:.3f} (known {:.3f})", grid,
                       grid_known, fj, fj_known);
  });
}

TEST(Predict, AChainTakesItsWorkAndItsCostsWhateverP) {
  const task_dependencies chain{{}, {0}, {1}, {2}};
  const std::vector<double> d{1.0, 2.0, 3.0, 4.0};
  const model_costs none{"x", 0, 0, 0};
  const model_costs some{"x", 0.5, 0.1, 0.25};
  for (const std::size_t p : {1U, 2U, 64U}) {
    EXPECT_DOUBLE_EQ(simulate_makespan(chain, d, p, none), 10.0);
    EXPECT_DOUBLE_EQ(simulate_makespan(chain, d, p, some), 0.5 + 10.0 + 4 * 0.1 + 0.25);
  }
  EXPECT_THROW((void)simulate_makespan(chain, d, 0, none), std::invalid_argument);
}

TEST(Predict, GreedySchedulesLieWithinBrentsBoundsAndReachTheSpan) {
  for (const std::uint64_t seed : {1U, 2U, 3U, 4U, 5U}) {
    workload_spec spec;
    spec.name = "layered";
    spec.tasks = 60;
    spec.width = 6;
    spec.seed = seed;
    const auto tasks = make_workload(spec);
    const auto after = dependencies_of(tasks);
    std::vector<double> d;
    for (std::size_t i = 0; i < tasks.size(); ++i)
      d.push_back(1.0 + static_cast<double>((i * 7 + seed) % 5));
    const model_costs none{"x", 0, 0, 0};
    const auto curve = predict_curve(after, d, {1, 2, 3, 4, 8, 64}, none);
    for (const auto& pt : curve) {
      EXPECT_GE(pt.makespan_seconds, pt.brent_lower_seconds - 1e-9) << pt.workers;
      EXPECT_LE(pt.makespan_seconds, pt.brent_upper_seconds + 1e-9) << pt.workers;
    }
    EXPECT_DOUBLE_EQ(curve.front().makespan_seconds, curve.front().brent_lower_seconds);  // P = 1
    EXPECT_DOUBLE_EQ(curve.back().makespan_seconds, find_longest_path(after, d).length);  // P = 64
  }
  EXPECT_EQ(prediction_workers(2, 1024),
            (std::vector<std::size_t>{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024}));
  EXPECT_EQ(prediction_workers(6, 16), (std::vector<std::size_t>{1, 2, 4, 6, 8, 16}));
}

TEST(Predict, WorkStealingTakesTheNewestOfItsOwnAndStealsTheOldest) {
  // 0 releases 1, 2, 3 (all 1 s); 3 leads to 4 (10 s). One queue: the first two ready (1, 2) go
  // first, 3 then 4 follow: 1 + 1 + 1 + 10. Work stealing: worker 0 takes its newest, 3, while
  // worker 1 steals the oldest, 1; 4 starts at 2: 1 + 1 + 10.
  const task_dependencies after{{}, {0}, {0}, {0}, {3}};
  const std::vector<double> d{1.0, 1.0, 1.0, 1.0, 10.0};
  model_costs queue{"x", 0, 0, 0};
  model_costs stealing = queue;
  stealing.schedule = scheduling::work_stealing;
  EXPECT_DOUBLE_EQ(simulate_makespan(after, d, 2, queue), 13.0);
  EXPECT_DOUBLE_EQ(simulate_makespan(after, d, 2, stealing), 12.0);
  EXPECT_DOUBLE_EQ(simulate_makespan(after, d, 1, stealing), 14.0);  // one worker: all its work
  // Greedy too: within Brent's bounds on random layered graphs, the span with workers to spare.
  for (const std::uint64_t seed : {1U, 2U, 3U}) {
    workload_spec spec;
    spec.name = "layered";
    spec.tasks = 60;
    spec.width = 6;
    spec.seed = seed;
    const auto g = dependencies_of(make_workload(spec));
    std::vector<double> t;
    for (std::size_t i = 0; i < g.size(); ++i) t.push_back(1.0 + static_cast<double>(i % 4));
    for (const auto& pt : predict_curve(g, t, {1, 2, 3, 8, 64}, stealing)) {
      EXPECT_GE(pt.makespan_seconds, pt.brent_lower_seconds - 1e-9) << pt.workers;
      EXPECT_LE(pt.makespan_seconds, pt.brent_upper_seconds + 1e-9) << pt.workers;
    }
    EXPECT_DOUBLE_EQ(simulate_makespan(g, t, 64, stealing), find_longest_path(g, t).length);
  }
  EXPECT_EQ(costs_of(overhead_figures{.executor = "thread-pool"}).schedule, scheduling::one_queue);
  if (find_executor("tbb").available) {
    EXPECT_EQ(costs_of(overhead_figures{.executor = "tbb"}).schedule, scheduling::work_stealing);
  }
}

TEST(Predict, CoRunningTasksStretchOnlyWhileOthersRunBesideThem) {
  co_running c;
  c.cores = 4;
  c.slowdown = 1.3;
  EXPECT_DOUBLE_EQ(c.at(1), 1.0);
  EXPECT_DOUBLE_EQ(c.at(2), 1.1);
  EXPECT_DOUBLE_EQ(c.at(4), 1.3);
  EXPECT_DOUBLE_EQ(c.at(64), 1.3);  // beyond the cores: as at the cores
  const model_costs none{"x", 0, 0, 0};
  c.cores = 2;
  c.slowdown = 1.2;
  // A chain never runs two at once: unchanged.
  EXPECT_DOUBLE_EQ(simulate_makespan({{}, {0}, {1}}, {1.0, 2.0, 3.0}, 2, none, c), 6.0);
  // Two at once stretch while both run: a (2 s) and b (1 s) together for 1.2 s, then a's last
  // second alone.
  EXPECT_DOUBLE_EQ(simulate_makespan({{}, {}}, {2.0, 1.0}, 2, none, c), 1.2 + 1.0);
  EXPECT_DOUBLE_EQ(simulate_makespan({{}, {}}, {2.0, 1.0}, 1, none, c), 3.0);
}

TEST(BurdenedFigures, AGraphWithDataIsProbedWithAChainHandingAsMuchPerTask) {
  // A 4 x 4 wavefront handing 1000 bytes along each edge: 15 cells have successors (made),
  // 24 edges (read): (15 + 24) * 1000 / (2 * 16) bytes per task in and out.
  workload_spec spec;
  spec.name = "wavefront";
  spec.tasks = 16;
  spec.edge_bytes = 1000;
  EXPECT_EQ(data_per_task(make_workload(spec)), 39'000U / 32U);
  spec.edge_bytes = 0;
  EXPECT_EQ(data_per_task(make_workload(spec)), 0U);
  // A process pool copies each hand-over's megabyte into and out of a worker (fresh pages:
  // ~16 us a page here); without data a hand-over is a few tens of microseconds. The tasks' own
  // time (reading and making the data) is not in the figure: under threads, where nothing is
  // copied, a hand-over costs about as much with data as without.
  const auto pool_empty = measure_overhead("process-pool", 20, 3, probe_shape::chain);
  const auto pool_data =
      measure_overhead("process-pool", 20, 3, probe_shape::chain, std::size_t{1} << 20U);
  EXPECT_GT(pool_data.per_task_ns, 3 * pool_empty.per_task_ns)
      << pool_data.per_task_ns << " ns with 1 MiB, " << pool_empty.per_task_ns << " without";
  const auto threads_data =
      measure_overhead("thread-pool", 20, 3, probe_shape::chain, std::size_t{1} << 20U);
  EXPECT_LT(threads_data.per_task_ns, pool_data.per_task_ns / 3);
  // At most 64 MiB made: 256 MiB per hand-over runs a chain of 2.
  EXPECT_EQ(
      measure_overhead("thread-pool", 20, 1, probe_shape::chain, std::size_t{64} << 20U).tasks, 2U);
}

TEST(Predict, SpeedingUpATaskOffTheCriticalPathWithinItsSlackChangesNothing) {
  // a(4) -> c(1); b(1) -> c: b has 3 of slack.
  const task_dependencies after{{}, {}, {0, 1}};
  const std::vector<double> d{4.0, 1.0, 1.0};
  const model_costs none{"x", 0, 0, 0};
  const auto off = predict_faster(after, d, 1, 50, 8, none);
  EXPECT_FALSE(off.on_critical_path);
  EXPECT_DOUBLE_EQ(off.slack_seconds, 3.0);
  EXPECT_DOUBLE_EQ(off.span_after_seconds, off.span_before_seconds);
  EXPECT_DOUBLE_EQ(off.makespan_after_seconds, off.makespan_before_seconds);
  const auto on = predict_faster(after, d, 0, 50, 8, none);
  EXPECT_TRUE(on.on_critical_path);
  EXPECT_DOUBLE_EQ(on.span_after_seconds, 3.0);  // 2 + 1
  EXPECT_DOUBLE_EQ(on.makespan_after_seconds, 3.0);
  EXPECT_THROW((void)predict_faster(after, d, 3, 50, 8, none), std::invalid_argument);
  EXPECT_THROW((void)predict_faster(after, d, 0, 0, 8, none), std::invalid_argument);
}

/// Timing test: the prediction from the sequential run's task times, the model's measured costs
/// and the co-running slowdown is within 10% of a real run at W = 1 and W = cores (the goal
/// here).
TEST(Predict, ThePredictionIsWithinTenPercentOfARealRun) {
  workload_spec spec;
  spec.name = "wavefront";
  spec.tasks = 36;
  spec.size = 600;
  const auto tasks = make_workload(spec);
  const auto after = dependencies_of(tasks);
  const std::size_t cores = std::min<std::size_t>(usable_cores(), 2);
  const model_costs costs = costs_of(measure_overhead("thread-pool", 100, 5, probe_shape::chain));
  PARLAB_TIMING_TEST([&]() -> std::string {
    const auto base = make_executor("sequential")->run(tasks, {});
    const std::vector<double> d = task_durations(base);
    const co_running corun = measure_co_running(tasks[14], d[14], cores);  // a middle cell
    std::string miss;
    for (const std::size_t w : {std::size_t{1}, cores}) {
      run_options options;
      options.workers = w;
      std::vector<double> walls;
      for (int k = 0; k < 3; ++k)
        walls.push_back(make_executor("thread-pool")->run(tasks, options).wall_seconds());
      std::sort(walls.begin(), walls.end());
      const double predicted = simulate_makespan(after, d, w, costs, corun);
      const double error = predicted / walls[1] - 1.0;
      if (std::abs(error) > 0.10) {
        miss += fmt::format("W={}: predicted {:.1f} ms, measured {:.1f} ms ({:+.1f}%) ", w,
                            predicted * 1e3, walls[1] * 1e3, error * 100);
      }
    }
    return miss;
  });
}

}  // namespace
}  // namespace parlab
