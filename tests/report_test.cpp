#include <parlab/experiment.hpp>
#include <parlab/report.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sstream>

namespace parlab {
namespace {

std::vector<measured_run> small_experiment(bool records) {
  experiment_spec spec;
  spec.workload.name = "io";
  spec.workload.tasks = 4;
  spec.workload.size = 2;
  spec.executors = {"threads", "gil-threads"};
  spec.workers = 4;
  spec.repeat = 2;
  spec.keep_records = records;
  return run_experiment(spec);
}

TEST(Median, OddEvenAndEmpty) {
  EXPECT_DOUBLE_EQ(median({3.0, 1.0, 2.0}), 2.0);
  EXPECT_DOUBLE_EQ(median({4.0, 1.0, 2.0, 3.0}), 2.5);
  EXPECT_DOUBLE_EQ(median({}), 0.0);
}

TEST(Experiment, BaselineComesFirstAndSpeedupsAreRatiosOfMedians) {
  const auto runs = small_experiment(false);
  ASSERT_EQ(runs.size(), 3U);
  EXPECT_TRUE(runs[0].is_baseline);
  EXPECT_EQ(runs[0].executor, "sequential");
  EXPECT_FALSE(runs[0].speedup.has_value());
  for (std::size_t i = 1; i < runs.size(); ++i) {
    ASSERT_TRUE(runs[i].speedup.has_value());
    EXPECT_DOUBLE_EQ(*runs[i].speedup, runs[0].wall_median / runs[i].wall_median);
    EXPECT_DOUBLE_EQ(*runs[i].efficiency, *runs[i].speedup / 4.0);
    EXPECT_EQ(runs[i].wall_samples.size(), 2U);
    EXPECT_LE(runs[i].wall_min, runs[i].wall_median);
    EXPECT_LE(runs[i].wall_median, runs[i].wall_max);
    EXPECT_TRUE(runs[i].representative.records.empty());
  }
}

TEST(Experiment, SequentialAmongExecutorsIsNotMeasuredTwice) {
  experiment_spec spec;
  spec.workload.name = "cpu";
  spec.workload.tasks = 2;
  spec.workload.size = 10;
  spec.executors = {"sequential", "threads", "threads"};
  spec.workers = 2;
  spec.repeat = 1;
  const auto runs = run_experiment(spec);
  ASSERT_EQ(runs.size(), 2U);
  EXPECT_EQ(runs[0].executor, "sequential");
  EXPECT_EQ(runs[1].executor, "threads");
}

TEST(Experiment, BadSpecsAreRejected) {
  experiment_spec spec;
  spec.executors = {"threads"};
  spec.workers = 0;
  EXPECT_THROW((void)run_experiment(spec), std::invalid_argument);
  spec.workers = 1;
  spec.repeat = 0;
  EXPECT_THROW((void)run_experiment(spec), std::invalid_argument);
  spec.repeat = 1;
  spec.executors = {"green-threads"};
  EXPECT_THROW((void)run_experiment(spec), std::invalid_argument);
}

TEST(JsonReport, CarriesTheSchemaAndEveryDocumentedField) {
  const auto runs = small_experiment(true);
  const auto doc = nlohmann::json::parse(to_json(describe_machine(), runs));
  EXPECT_EQ(doc["schema"], "parlab.result/1");
  for (const char* key : {"cores", "cpu_model", "kernel", "hostname"}) {
    EXPECT_TRUE(doc["machine"].contains(key)) << key;
  }
  ASSERT_EQ(doc["runs"].size(), 3U);
  for (const auto& run : doc["runs"]) {
    for (const char* key :
         {"workload", "executor", "workers", "tasks", "repeat", "wall_seconds", "wall_seconds_min",
          "wall_seconds_max", "speedup", "efficiency", "cpu_seconds", "context_switches",
          "peak_rss_bytes", "verdict", "failed_tasks", "task_records"}) {
      EXPECT_TRUE(run.contains(key)) << key;
    }
    EXPECT_TRUE(run["context_switches"].contains("voluntary"));
    EXPECT_TRUE(run["context_switches"].contains("involuntary"));
    EXPECT_EQ(run["task_records"].size(), 4U);
    for (const auto& rec : run["task_records"]) {
      EXPECT_LE(rec["start_seconds"].get<double>(), rec["end_seconds"].get<double>());
      EXPECT_TRUE(rec["ok"].get<bool>());
    }
  }
  EXPECT_TRUE(doc["runs"][0]["speedup"].is_null());
  EXPECT_TRUE(doc["runs"][1]["speedup"].is_number());
  EXPECT_TRUE(doc["runs"][2].contains("lock_holds"));
}

TEST(JsonReport, RecordsOnlyWhenAsked) {
  const auto doc = nlohmann::json::parse(to_json(describe_machine(), small_experiment(false)));
  ASSERT_FALSE(doc["runs"].empty());
  for (const auto& run : doc["runs"]) EXPECT_FALSE(run.contains("task_records"));
}

TEST(CsvReport, OneHeaderAndOneLinePerRun) {
  const std::string csv = to_csv(small_experiment(false));
  std::istringstream in(csv);
  std::string header;
  std::getline(in, header);
  EXPECT_EQ(header.rfind("workload,executor,workers", 0), 0U);
  int lines = 0;
  for (std::string line; std::getline(in, line);) {
    ++lines;
    EXPECT_EQ(std::count(line.begin(), line.end(), ','),
              std::count(header.begin(), header.end(), ','));
  }
  EXPECT_EQ(lines, 3);
}

TEST(TableReport, HasOneRowPerRunWithVerdicts) {
  const std::string table = format_table(small_experiment(false));
  EXPECT_NE(table.find("sequential"), std::string::npos);
  EXPECT_NE(table.find("gil-threads"), std::string::npos);
  EXPECT_NE(table.find("base"), std::string::npos);
  EXPECT_NE(table.find("concurrent"), std::string::npos);
}

TEST(Conclusions, ExplainTheClassicResultFromTheNumbers) {
  auto run = [](const char* executor, double speedup, double util) {
    measured_run m;
    m.executor = executor;
    m.workers = 2;
    m.speedup = speedup;
    m.cpu_utilisation = util;
    return m;
  };
  measured_run base;
  base.executor = "sequential";
  base.is_baseline = true;
  const std::vector<measured_run> cpu = {base, run("threads", 1.95, 1.9),
                                         run("processes", 1.9, 1.9), run("gil-threads", 1.0, 1.0)};
  const std::vector<measured_run> io = {base, run("threads", 14.0, 0.1),
                                        run("gil-threads", 13.0, 0.1)};
  const auto lines = conclusions(cpu, io, 2);
  ASSERT_GE(lines.size(), 2U);
  EXPECT_NE(lines[0].find("threads 1.95x"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("gil-threads 1.00x"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("interpreter lock serialises"), std::string::npos) << lines[0];
  EXPECT_NE(lines[1].find("waiting does not use the CPU"), std::string::npos) << lines[1];

  // When the numbers do not show the gap, the conclusion must not claim it.
  const std::vector<measured_run> flat = {base, run("threads", 1.0, 1.0),
                                          run("processes", 1.0, 1.0), run("gil-threads", 1.0, 1.0)};
  const auto honest = conclusions(flat, io, 2);
  EXPECT_EQ(honest[0].find("interpreter lock serialises"), std::string::npos) << honest[0];

  // The event loop: a gain on waiting, none on computing - and no claim when that is not so.
  auto with_async = [&](std::vector<measured_run> runs, double speedup) {
    runs.push_back(run("async", speedup, 0.1));
    return runs;
  };
  const auto loop = conclusions(with_async(cpu, 0.99), with_async(io, 14.5), 2);
  ASSERT_EQ(loop.size(), 3U);
  EXPECT_NE(loop[2].find("async 14.50x on the I/O-bound work"), std::string::npos) << loop[2];
  EXPECT_NE(loop[2].find("overlaps waiting, never computing"), std::string::npos) << loop[2];
  const auto no_gap = conclusions(with_async(cpu, 1.9), with_async(io, 14.5), 2);
  EXPECT_EQ(no_gap[2].find("overlaps waiting"), std::string::npos) << no_gap[2];

  // A busy machine is said only when a run measured others holding the cores.
  for (const auto& line : conclusions(cpu, io, 2)) {
    EXPECT_EQ(line.find("A busy machine"), std::string::npos) << line;
  }
  auto busy = cpu;
  busy[1].others_cores = 0.2;
  busy[2].others_cores = 1.3;
  busy[2].workload = "cpu";
  const auto said = conclusions(busy, io, 2);
  EXPECT_NE(said.back().find("kept 1.3 of the 2 cores busy during the cpu processes runs"),
            std::string::npos)
      << said.back();
  busy[2].others_cores = 0.4;
  EXPECT_EQ(conclusions(busy, io, 2).back().find("A busy machine"), std::string::npos);
}

TEST(Conclusions, TheCostOfAWorkerIsClaimedOnlyWhenMeasured) {
  auto io_run = [](const char* executor, double wall, double cpu) {
    measured_run m;
    m.executor = executor;
    m.workers = 16;
    m.speedup = 10.0;
    m.wall_median = wall;
    m.kernel.user_seconds = cpu;
    return m;
  };
  measured_run base;
  base.executor = "sequential";
  base.is_baseline = true;
  const auto cost_line = [&](double process_cpu, double pool_wall) {
    const std::vector<measured_run> io = {base, io_run("threads", 0.050, 0.010),
                                          io_run("thread-pool", pool_wall, 0.008),
                                          io_run("processes", 0.070, process_cpu)};
    for (const auto& line : conclusions({base}, io, 2)) {
      if (line.rfind("Cost of a worker", 0) == 0) return line;
    }
    return std::string();
  };
  const std::string dear = cost_line(0.040, 0.045);
  EXPECT_NE(dear.find("creating and reaping a process is dearer"), std::string::npos) << dear;
  EXPECT_NE(dear.find("a pool creates its workers only once"), std::string::npos) << dear;
  // Numbers that contradict the claims: processes no dearer, the pool slower than threads.
  const std::string cheap = cost_line(0.010, 0.060);
  EXPECT_EQ(cheap.find("a process is dearer"), std::string::npos) << cheap;
  EXPECT_EQ(cheap.find("only once"), std::string::npos) << cheap;
  EXPECT_NE(cheap.find("not measurably dearer"), std::string::npos) << cheap;
}

}  // namespace
}  // namespace parlab
