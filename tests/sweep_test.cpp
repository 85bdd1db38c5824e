// Scaling sweeps, read from measured rows (pure: no clock, no run): speedups, Karp-Flatt, fits,
// the W recommended and why, warnings, the comparison of models, partial sweeps, the worker
// lists, and what the documents carry.

#include <parlab/advise.hpp>
#include <parlab/limits.hpp>
#include <parlab/sweep.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

namespace parlab {
namespace {

measured_run row(const std::string& executor, std::size_t workers, std::vector<double> walls,
                 std::size_t tasks = 8) {
  measured_run r;
  r.workload = "cpu";
  r.executor = executor;
  r.workers = workers;
  r.tasks = tasks;
  r.repeat = walls.size();
  r.wall_samples = walls;
  r.wall_median = median(walls);
  r.wall_min = *std::min_element(walls.begin(), walls.end());
  r.wall_max = *std::max_element(walls.begin(), walls.end());
  r.concurrency.result = workers == 1 ? verdict::serial : verdict::parallel;
  return r;
}

measured_run baseline_row(double wall) {
  measured_run r = row("sequential", 1, {wall, wall, wall});
  r.is_baseline = true;
  return r;
}

sweep_spec spec_of(std::vector<std::string> executors, std::vector<std::size_t> workers) {
  sweep_spec s;
  s.workload.name = "cpu";
  s.executors = std::move(executors);
  s.workers = std::move(workers);
  return s;
}

bool mentions(const std::vector<std::string>& lines, const std::string& what) {
  return std::any_of(lines.begin(), lines.end(),
                     [&](const std::string& l) { return l.find(what) != std::string::npos; });
}

// What a 2-core machine gives: threads double at W = 2 and stay flat past the cores; threads
// under a global lock never beat one worker.
std::vector<measured_run> two_core_rows() {
  return {baseline_row(0.40),
          row("threads", 1, {0.40, 0.41, 0.40}),
          row("gil-threads", 1, {0.40, 0.40, 0.41}),
          row("threads", 2, {0.204, 0.205, 0.203}),
          row("gil-threads", 2, {0.41, 0.41, 0.40}),
          row("threads", 3, {0.205, 0.204, 0.206}),
          row("gil-threads", 3, {0.41, 0.42, 0.41}),
          row("threads", 4, {0.206, 0.205, 0.207}),
          row("gil-threads", 4, {0.41, 0.41, 0.42})};
}

TEST(Sweep, RecommendsTheCoresForComputingThreadsAndOneWorkerUnderAGlobalLock) {
  const auto spec = spec_of({"threads", "gil-threads"}, {1, 2, 3, 4});
  const sweep_result r = analyse_sweep(spec, two_core_rows(), 2);
  ASSERT_EQ(r.models.size(), 2U);
  ASSERT_TRUE(r.baseline);
  const sweep_model& t = r.models[0];
  ASSERT_EQ(t.points.size(), 4U);
  EXPECT_EQ(t.recommended, 2U) << t.reason;
  EXPECT_NE(t.reason.find("W = 2: 1.96x of W = 1"), std::string::npos) << t.reason;
  EXPECT_NEAR(*t.points[1].speedup, 0.40 / 0.204, 1e-9);
  EXPECT_NEAR(*t.points[1].efficiency, 0.40 / 0.204 / 2, 1e-9);
  EXPECT_NEAR(*t.points[1].speedup_vs_baseline, 0.40 / 0.204, 1e-9);
  EXPECT_NEAR(*t.points[1].karp_flatt, (0.204 / 0.40 - 0.5) / 0.5, 1e-9);
  EXPECT_FALSE(t.points[0].karp_flatt) << "no Karp-Flatt value at W = 1";
  EXPECT_NEAR(t.points[1].throughput, 8 / 0.204, 1e-9);
  EXPECT_TRUE(t.usl) << t.usl_refused;
  EXPECT_TRUE(t.amdahl) << t.amdahl_refused;
  EXPECT_TRUE(mentions(t.warnings, "W = 3 and 4 exceed the 2 usable cores")) << t.warnings.size();

  const sweep_model& g = r.models[1];
  EXPECT_EQ(g.recommended, 1U) << g.reason;
  EXPECT_NE(g.reason.find("does not run faster"), std::string::npos) << g.reason;
  ASSERT_TRUE(g.amdahl);
  EXPECT_GT(g.amdahl->sigma, 0.95) << "a serial fraction of about 1";

  ASSERT_EQ(r.findings.size(), 2U);
  EXPECT_NE(r.findings[0].find("best: threads with W = 2"), std::string::npos) << r.findings[0];
  EXPECT_NE(r.findings[1].find("gil-threads with W = 1"), std::string::npos) << r.findings[1];
  EXPECT_NE(r.findings[1].find("behind the best"), std::string::npos) << r.findings[1];
}

TEST(Sweep, WorkThatStillScalesAtTheLargestWSaysToSweepFurther) {
  std::vector<measured_run> rows;
  for (std::size_t w : {1U, 2U, 4U, 8U}) rows.push_back(row("async", w, {1.0 / double(w)}, 32));
  const sweep_result r = analyse_sweep(spec_of({"async"}, {1, 2, 4, 8}), rows, 2);
  const sweep_model& m = r.models[0];
  EXPECT_EQ(m.recommended, 8U);
  EXPECT_NE(m.reason.find("sweep further"), std::string::npos) << m.reason;
  EXPECT_NE(m.reason.find("the fitted USL (R² 1.00) predicts"), std::string::npos) << m.reason;
  ASSERT_TRUE(m.usl);
  EXPECT_EQ(m.usl->regime, scaling_regime::linear);
  EXPECT_FALSE(r.baseline);
  EXPECT_FALSE(m.points[3].speedup_vs_baseline) << "no baseline measured";
  EXPECT_FALSE(m.points[0].wall_interval) << "one run has no interval";
}

TEST(Sweep, NoisyFailedAndOversizedPointsAreWarnedAboutAndFailedOnesLeftOut) {
  auto rows = two_core_rows();
  rows[3] = row("threads", 2, {0.20, 0.26, 0.21});  // 29% spread
  measured_run broken = row("threads", 4, {0.05, 0.05, 0.05});
  broken.failed_tasks = 3;  // fast because it failed: must not become the best
  rows[7] = broken;
  const sweep_result r = analyse_sweep(spec_of({"threads"}, {1, 2, 3, 4}), rows, 2);
  const sweep_model& m = r.models[0];
  EXPECT_TRUE(mentions(m.warnings, "W = 2: the runs differ by more than 10%")) << m.warnings[0];
  EXPECT_TRUE(mentions(m.warnings, "W = 4: 3 tasks failed"));
  EXPECT_NE(m.recommended, 4U);
  EXPECT_NE(m.usl_refused.find("(got 3)"), std::string::npos) << "the failed point is not fitted";
  ASSERT_TRUE(m.amdahl) << m.amdahl_refused;
  EXPECT_EQ(m.amdahl->points, 3U);
  // More workers than tasks.
  std::vector<measured_run> few;
  for (std::size_t w : {1U, 2U, 4U}) few.push_back(row("threads", w, {1.0}, 2));
  const sweep_result f = analyse_sweep(spec_of({"threads"}, {1, 2, 4}), few, 8);
  EXPECT_TRUE(mentions(f.models[0].warnings, "W = 4 exceeds the 2 tasks"));
}

TEST(Sweep, TwoWorkerCountsGiveAnAmdahlFitWithAnErrorFromTheRuns) {
  // On 2 cores only W = 1 and 2 say anything about computing work: Amdahl's serial fraction
  // from their medians (T(2) = (s + (1 - s) / 2) T(1): s = 0.3 gives 0.65 s of the 1 s), its
  // error from the runs; a slow outlier moves the median, not the answer.
  const std::vector<measured_run> rows = {row("thread-pool", 1, {1.0, 1.01, 0.99}, 2),
                                          row("thread-pool", 2, {0.65, 0.80, 0.645}, 2)};
  const sweep_result r = analyse_sweep(spec_of({"thread-pool"}, {1, 2}), rows, 2);
  const sweep_model& m = r.models[0];
  ASSERT_TRUE(m.amdahl) << m.amdahl_refused;
  EXPECT_EQ(m.amdahl->points, 2U);
  EXPECT_NEAR(m.amdahl->sigma, 0.3, 1e-6);
  EXPECT_GT(m.amdahl->sigma_error, 0.0);
  EXPECT_LT(m.amdahl->sigma_error, 0.3);
  EXPECT_NEAR(*m.points[1].karp_flatt, 0.3, 1e-9);
  EXPECT_FALSE(m.usl);
  EXPECT_NE(m.usl_refused.find("at least 4 points (got 2)"), std::string::npos) << m.usl_refused;
}

TEST(Sweep, TwoModelsWithinNoiseAreSaidToBeSo) {
  const std::vector<measured_run> rows = {
      row("threads", 1, {0.40, 0.40, 0.40}), row("processes", 1, {0.41, 0.40, 0.41}),
      row("threads", 2, {0.20, 0.21, 0.20}), row("processes", 2, {0.201, 0.205, 0.203})};
  const sweep_result r = analyse_sweep(spec_of({"threads", "processes"}, {1, 2}), rows, 2);
  ASSERT_EQ(r.findings.size(), 2U);
  EXPECT_NE(r.findings[1].find("within noise of the best"), std::string::npos) << r.findings[1];
}

TEST(Sweep, AnInterruptedSweepShowsWhatItHas) {
  const std::vector<measured_run> rows = {baseline_row(0.4), row("threads", 1, {0.4})};
  const sweep_result r = analyse_sweep(spec_of({"threads", "processes"}, {1, 2, 3}), rows, 2, true);
  EXPECT_TRUE(r.interrupted);
  ASSERT_EQ(r.models.size(), 2U);
  EXPECT_EQ(r.models[0].points.size(), 1U);
  EXPECT_FALSE(r.models[0].usl);
  EXPECT_NE(r.models[0].usl_refused.find("at least 4 points"), std::string::npos);
  EXPECT_FALSE(r.models[0].amdahl);
  EXPECT_TRUE(r.models[1].points.empty());
  EXPECT_NE(r.models[1].reason.find("not measured"), std::string::npos);
  EXPECT_NE(r.findings.front().find("interrupted"), std::string::npos);
  // Every output still draws it.
  EXPECT_FALSE(nlohmann::json::parse(to_sweep_json(machine_info{}, r)).is_discarded());
  EXPECT_NE(format_sweep(r).find("not measured"), std::string::npos);
  EXPECT_NE(to_sweep_svg(r).find("</svg>"), std::string::npos);
  EXPECT_NE(to_sweep_html(machine_info{}, r).find("Interrupted"), std::string::npos);
}

TEST(Sweep, DocumentsCarryEveryPointFitAndRecommendation) {
  const auto spec = spec_of({"threads", "gil-threads"}, {1, 2, 3, 4});
  const sweep_result r = analyse_sweep(spec, two_core_rows(), 2);
  const auto doc = nlohmann::json::parse(to_sweep_json(machine_info{}, r));
  EXPECT_EQ(doc["schema"], "parlab.sweep/1");
  EXPECT_EQ(doc["mode"], "strong");
  EXPECT_EQ(doc["workers"].size(), 4U);
  EXPECT_EQ(doc["baseline"]["executor"], "sequential");
  ASSERT_EQ(doc["models"].size(), 2U);
  const auto& t = doc["models"][0];
  EXPECT_EQ(t["executor"], "threads");
  EXPECT_EQ(t["recommended_workers"], 2);
  EXPECT_EQ(t["points"].size(), 4U);
  EXPECT_TRUE(t["points"][0]["karp_flatt"].is_null());
  EXPECT_NEAR(t["points"][1]["karp_flatt"].get<double>(), (0.204 / 0.40 - 0.5) / 0.5, 1e-9);
  EXPECT_EQ(t["points"][1]["wall_seconds_interval95"].size(), 2U);
  EXPECT_EQ(t["points"][1]["run"]["workers"], 2);
  EXPECT_TRUE(t["usl"].contains("sigma"));
  EXPECT_TRUE(t["usl"].contains("r_squared"));
  EXPECT_FALSE(t["warnings"].empty());
  EXPECT_EQ(doc["findings"].size(), 2U);

  const std::string csv = to_sweep_csv(r);
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 9) << csv;
  EXPECT_EQ(csv.rfind("executor,workers,tasks,", 0), 0U);

  const std::string text = format_sweep(r);
  EXPECT_NE(text.find("use W = 2"), std::string::npos) << text;
  EXPECT_NE(text.find("o measured tasks/s"), std::string::npos);
  EXPECT_NE(text.find("USL: sigma"), std::string::npos);

  const std::string svg = to_sweep_svg(r);
  EXPECT_NE(svg.find("data-executor=\"threads\" data-points=\"4\""), std::string::npos);
  EXPECT_NE(svg.find("data-executor=\"gil-threads\" data-points=\"4\""), std::string::npos);
  std::size_t points = 0;
  for (std::size_t at = 0; (at = svg.find("class=\"point\"", at)) != std::string::npos; ++at) {
    ++points;
  }
  EXPECT_EQ(points, 8U);
  EXPECT_NE(svg.find("Karp–Flatt"), std::string::npos);

  const std::string html = to_sweep_html(machine_info{}, r);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("use W = 2"), std::string::npos);
  EXPECT_EQ(html.find("Interrupted"), std::string::npos);
}

TEST(Sweep, WorkerListsParseAndBadOnesAreRefusedInOneLine) {
  EXPECT_EQ(parse_worker_list("1..4"), (std::vector<std::size_t>{1, 2, 3, 4}));
  EXPECT_EQ(parse_worker_list("8,1,2"), (std::vector<std::size_t>{1, 2, 8}));
  EXPECT_EQ(parse_worker_list("3"), (std::vector<std::size_t>{3}));
  for (const char* bad :
       {"", "0", "1,,2", "4..1", "1..100", "2,2", "a", "1..", "-1", "1.5", "10001"}) {
    try {
      (void)parse_worker_list(bad);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const std::invalid_argument& e) {
      const std::string what = e.what();
      EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    }
  }
}

TEST(Sweep, DefaultWorkersReachTwiceTheCoresWithAtLeastSixPoints) {
  EXPECT_EQ(default_sweep_workers(2, limits::max_workers),
            (std::vector<std::size_t>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(default_sweep_workers(1, limits::max_workers).size(), 6U);
  EXPECT_EQ(default_sweep_workers(4, limits::max_workers),
            (std::vector<std::size_t>{1, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_EQ(default_sweep_workers(16, limits::max_workers),
            (std::vector<std::size_t>{1, 2, 4, 8, 16, 32}));
  EXPECT_EQ(default_sweep_workers(2, 4), (std::vector<std::size_t>{1, 2, 3, 4}));
}

TEST(Sweep, IntervalOfTheMeanIsStudentsT) {
  const auto i = interval95({1.0, 2.0, 3.0});
  ASSERT_TRUE(i);
  EXPECT_NEAR(i->first, 2.0 - 4.302653 / std::sqrt(3.0), 1e-6);  // t(0.975, 2)
  EXPECT_NEAR(i->second, 2.0 + 4.302653 / std::sqrt(3.0), 1e-6);
  EXPECT_FALSE(interval95({1.0}));
  const auto same = interval95({2.0, 2.0});
  ASSERT_TRUE(same);
  EXPECT_EQ(same->first, 2.0);
}

TEST(Sweep, SpecsThatCannotBeSweptAreRefused) {
  const auto refuses = [](const sweep_spec& s, const std::string& mention) {
    try {
      check_sweep_spec(s);
      ADD_FAILURE() << "accepted a spec that should mention " << mention;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(mention), std::string::npos) << e.what();
    }
  };
  refuses(spec_of({"sequential"}, {1, 2}), "baseline");
  refuses(spec_of({"threads", "threads"}, {1, 2}), "named twice");
  refuses(spec_of({"threads"}, {}), "no worker count");
  refuses(spec_of({}, {1}), "no execution model");
  refuses(spec_of({"threads"}, {2, 1}), "ascending");
  refuses(spec_of({"nonesuch"}, {1}), "nonesuch");
  sweep_spec weak = spec_of({"threads"}, {1, 2});
  weak.weak = true;
  weak.workload.tasks = limits::max_tasks;
  refuses(weak, "tasks");
  EXPECT_EQ(sweep_tasks(weak, 2), 2 * limits::max_tasks);
  EXPECT_NO_THROW(check_sweep_spec(spec_of({"threads", "gil-threads"}, {1, 2, 3})));
}

namespace advice_rows {

measured_run at(const std::string& executor, std::size_t workers, double wall,
                std::size_t tasks = 8) {
  return row(executor, workers, {wall, wall * 1.01, wall * 0.99}, tasks);
}

measured_run sequential(double wall, double cpu_share, std::size_t tasks = 8) {
  measured_run r = at("sequential", 1, wall, tasks);
  r.is_baseline = true;
  r.cpu_utilisation = cpu_share;
  return r;
}

}  // namespace advice_rows

TEST(Advice, ComputingWorkTiesTheParallelModelsAndExplainsTheOthers) {
  using namespace advice_rows;
  const std::vector<measured_run> rows = {
      sequential(0.40, 0.99),    at("threads", 2, 0.204),    at("processes", 2, 0.206),
      at("async", 2, 0.40),      at("gil-threads", 2, 0.41), at("threads", 4, 0.205),
      at("processes", 4, 0.207), at("async", 4, 0.40),       at("gil-threads", 4, 0.41)};
  advise_options o;
  o.label = "cpu";
  const advice a = advise_from_rows(rows, o, 2);
  EXPECT_FALSE(a.waits);
  ASSERT_EQ(a.ranked.size(), 4U);
  EXPECT_EQ(a.ranked[0].executor, "threads");
  EXPECT_EQ(a.ranked[0].workers, 2U) << "W = 4 adds nothing";
  EXPECT_NEAR(a.ranked[0].speedup, 0.40 / 0.204, 1e-9);
  EXPECT_NE(a.answer.find("use threads or processes with W = 2"), std::string::npos) << a.answer;
  EXPECT_NE(a.answer.find("within noise"), std::string::npos) << a.answer;
  const auto& async = a.ranked[2];
  EXPECT_EQ(async.executor, "async");
  EXPECT_NE(async.evidence.find("no gain over the sequential run"), std::string::npos);
  EXPECT_NE(async.evidence.find("never waits"), std::string::npos) << async.evidence;
  EXPECT_NE(a.ranked[3].evidence.find("one interpreter lock"), std::string::npos);
  EXPECT_TRUE(mentions(a.notes, "in CPython, threads would give about 0.98x"));
  EXPECT_TRUE(mentions(a.notes, "use processes (processes reached"));
  const std::string text = format_advice(a);
  EXPECT_NE(text.find("Answer: use threads or processes"), std::string::npos) << text;
  const auto doc = nlohmann::json::parse(to_advice_json(machine_info{}, a));
  EXPECT_EQ(doc["schema"], "parlab.advice/1");
  EXPECT_EQ(doc["ranked"].size(), 4U);
  EXPECT_EQ(doc["sweep"]["schema"], "parlab.sweep/1");
  EXPECT_EQ(doc["sweep"]["models"].size(), 4U);
}

TEST(Advice, WaitingWorkPicksTheClearWinnerAndPricesTheProcesses) {
  using namespace advice_rows;
  std::vector<measured_run> rows = {sequential(0.64, 0.01, 32)};
  for (std::size_t w : {2U, 4U, 8U, 16U, 32U}) {
    rows.push_back(at("async", w, 0.64 / double(w), 32));
    rows.push_back(at("processes", w, 0.64 / double(w) + 0.014, 32));
  }
  advise_options o;
  o.label = "io";
  const advice a = advise_from_rows(rows, o, 2);
  EXPECT_TRUE(a.waits);
  ASSERT_EQ(a.ranked.size(), 2U);
  EXPECT_NE(a.answer.find("use async with W = 32: 32.00x"), std::string::npos) << a.answer;
  EXPECT_NE(a.ranked[1].evidence.find("ms more per task"), std::string::npos)
      << a.ranked[1].evidence;
  EXPECT_TRUE(mentions(a.notes, "the work waits"));
}

TEST(Advice, NothingFasterThanOneAtATimeSaysSo) {
  using namespace advice_rows;
  const std::vector<measured_run> rows = {sequential(0.40, 0.99), at("gil-threads", 2, 0.41),
                                          at("async", 2, 0.40)};
  advise_options o;
  const advice a = advise_from_rows(rows, o, 2);
  EXPECT_NE(a.answer.find("run the tasks one after another"), std::string::npos) << a.answer;
  const advice nothing = advise_from_rows({}, o, 2);
  EXPECT_NE(nothing.answer.find("nothing measured"), std::string::npos);
}

TEST(Advice, MeasuresYourOwnTasksWithinTheBudgetAndSaysWhatItLeftOut) {
  workload_spec w;
  w.name = "io";
  w.tasks = 8;
  w.size = 2;  // ms of waiting per task
  const auto tasks = make_workload(w);
  advise_options o;
  o.executors = {"threads", "async"};
  o.repeat = 1;
  o.label = "mine";
  std::size_t seen = 0;
  o.progress = [&](const measured_run&) { ++seen; };
  const advice a = advise(tasks, o);
  EXPECT_TRUE(a.waits);
  ASSERT_EQ(a.ranked.size(), 2U) << a.answer;
  EXPECT_EQ(a.sweep.spec.workload.name, "mine");
  // Doubling from 2 up to the 8 tasks; a model stops early past the cores when a doubling
  // gains less than 5% (a loaded machine can make W = 8 look no better than 4).
  const auto& ws = a.sweep.spec.workers;
  ASSERT_GE(ws.size(), 2U);
  EXPECT_EQ(ws[0], 2U);
  EXPECT_EQ(ws[1], 4U);
  EXPECT_LE(ws.back(), 8U);
  std::size_t points = 0;
  for (const auto& m : a.sweep.models) points += m.points.size();
  EXPECT_GE(points, 4U);
  EXPECT_EQ(seen, 1U + points) << "the baseline and every point reached progress";
  EXPECT_TRUE(a.skipped.empty());
  EXPECT_LT(a.seconds, 30.0);

  o.budget = std::chrono::milliseconds(1);  // the baseline alone already spends it
  const advice broke = advise(tasks, o);
  EXPECT_TRUE(broke.ranked.empty());
  EXPECT_EQ(broke.skipped.size(), 2U);
  EXPECT_TRUE(mentions(broke.skipped, "budget"));
  EXPECT_NE(broke.answer.find("no model"), std::string::npos) << broke.answer;

  o.executors = {"sequential"};
  EXPECT_THROW((void)advise(tasks, o), std::invalid_argument);
  o.executors = {"threads"};
  o.budget = std::chrono::seconds(0);
  EXPECT_THROW((void)advise(tasks, o), std::invalid_argument);
  EXPECT_THROW((void)advise({}, advise_options{}), std::invalid_argument);
}

}  // namespace
}  // namespace parlab
