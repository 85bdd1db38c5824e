// Comparing two results (pure): Welch's t on log wall times, rows matched on workload, model
// and W, what counts as slower, rows one side lacks, different work, and the documents.

#include <parlab/compare.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

namespace parlab {
namespace {

measured_run compared_run(const std::string& executor, std::size_t workers,
                          std::vector<double> walls) {
  measured_run r;
  r.workload = "cpu";
  r.executor = executor;
  r.workers = workers;
  r.tasks = 8;
  r.size = 100;
  r.repeat = walls.size();
  r.wall_samples = walls;
  r.wall_median = median(walls);
  r.concurrency.result = workers == 1 ? verdict::serial : verdict::parallel;
  return r;
}

saved_result result_of(std::vector<measured_run> runs) {
  saved_result s;
  s.machine.cores = 2;
  s.machine.hostname = "vm";
  s.runs = std::move(runs);
  return s;
}

TEST(WelchLogRatio, EqualSpreadsGiveTheStudentInterval) {
  // Logs {0, .1, .2} and {1, 1.1, 1.2}: difference 1, each variance 0.01, so se = sqrt(2 * 0.01
  // / 3) and Welch's degrees of freedom are exactly 4 (t quantile 2.776 for 95%).
  const std::vector<double> a = {std::exp(0.0), std::exp(0.1), std::exp(0.2)};
  const std::vector<double> b = {std::exp(1.0), std::exp(1.1), std::exp(1.2)};
  const auto t = welch_log_ratio(a, b);
  ASSERT_TRUE(t.has_value());
  EXPECT_NEAR(t->ratio, std::exp(1.0), 1e-12);
  EXPECT_NEAR(t->degrees_of_freedom, 4.0, 1e-9);
  const double se = std::sqrt(2.0 * 0.01 / 3.0);
  EXPECT_NEAR(std::log(t->low), 1.0 - 2.7764 * se, 1e-3);
  EXPECT_NEAR(std::log(t->high), 1.0 + 2.7764 * se, 1e-3);
  // t = 12.25 on 4 degrees of freedom: p = 2.5e-4 (tables).
  EXPECT_GT(t->p_value, 1e-4);
  EXPECT_LT(t->p_value, 5e-4);
}

TEST(WelchLogRatio, SameSamplesAreNotDifferentAndTooFewAreNotTested) {
  const std::vector<double> a = {1.0, 1.1, 0.9};
  const auto same = welch_log_ratio(a, a);
  ASSERT_TRUE(same.has_value());
  EXPECT_DOUBLE_EQ(same->ratio, 1.0);
  EXPECT_DOUBLE_EQ(same->p_value, 1.0);
  EXPECT_LT(same->low, 1.0);
  EXPECT_GT(same->high, 1.0);
  EXPECT_FALSE(welch_log_ratio({1.0}, a).has_value());
  // No spread at all: a difference is certain, none is none.
  EXPECT_DOUBLE_EQ(welch_log_ratio({1.0, 1.0}, {2.0, 2.0})->p_value, 0.0);
  EXPECT_DOUBLE_EQ(welch_log_ratio({1.0, 1.0}, {1.0, 1.0})->p_value, 1.0);
  EXPECT_THROW((void)welch_log_ratio({1.0, 0.0}, a), std::invalid_argument);
}

TEST(CompareResults, SlowerNeedsTheThresholdAndTheTest) {
  const saved_result a = result_of({compared_run("threads", 2, {0.100, 0.101, 0.099}),
                                    compared_run("processes", 2, {0.100, 0.101, 0.099}),
                                    compared_run("async", 2, {0.100, 0.130, 0.070}),
                                    compared_run("tbb", 2, {0.100, 0.101, 0.099})});
  const saved_result b =
      result_of({compared_run("threads", 2, {0.200, 0.202, 0.198}),    // 2x, clear
                 compared_run("processes", 2, {0.103, 0.104, 0.102}),  // 3%: under 5%
                 compared_run("async", 2, {0.110, 0.160, 0.080}),      // 10%, noise
                 compared_run("tbb", 2, {0.050, 0.051, 0.049})});      // twice as fast
  const comparison c = compare_results(a, b, 0.05);
  ASSERT_EQ(c.rows.size(), 4U);
  EXPECT_TRUE(c.rows[0].slower) << c.rows[0].name();
  EXPECT_NEAR(c.rows[0].ratio, 2.0, 1e-9);
  EXPECT_FALSE(c.rows[1].slower) << "3% is within the 5% threshold";
  EXPECT_LT(*c.rows[1].p_value, 0.05) << "though the test sees it";
  EXPECT_FALSE(c.rows[2].slower) << "10% slower, but within the runs' noise";
  EXPECT_GT(*c.rows[2].p_value, 0.05);
  EXPECT_TRUE(c.rows[3].faster);
  EXPECT_FALSE(c.rows[3].slower);
  EXPECT_TRUE(c.any_slower());
  // A threshold above the slowdown lets it pass.
  EXPECT_FALSE(compare_results(a, b, 1.5).any_slower());
}

TEST(CompareResults, RowsMatchOnWorkloadModelAndWorkersAndDifferentWorkDecidesNothing) {
  measured_run more_tasks = compared_run("threads", 4, {0.3, 0.3, 0.3});
  more_tasks.tasks = 16;
  const saved_result a =
      result_of({compared_run("threads", 2, {0.1, 0.1}), compared_run("threads", 4, {0.1, 0.1}),
                 compared_run("processes", 2, {0.1, 0.1})});
  const saved_result b = result_of(
      {compared_run("threads", 2, {0.1, 0.1}), more_tasks, compared_run("async", 8, {0.1, 0.1})});
  const comparison c = compare_results(a, b);
  ASSERT_EQ(c.rows.size(), 2U);
  EXPECT_TRUE(c.rows[0].comparable);
  EXPECT_FALSE(c.rows[1].comparable);
  EXPECT_NE(c.rows[1].why_not.find("8 tasks vs 16"), std::string::npos) << c.rows[1].why_not;
  EXPECT_FALSE(c.rows[1].slower) << "3x, but not the same work";
  EXPECT_EQ(c.only_a, std::vector<std::string>{"cpu · processes · W=2"});
  EXPECT_EQ(c.only_b, std::vector<std::string>{"cpu · async · W=8"});
  EXPECT_FALSE(c.any_slower());
  // Nothing in common, or a nonsense threshold: refused.
  EXPECT_THROW((void)compare_results(a, result_of({compared_run("async", 8, {0.1})})),
               std::invalid_argument);
  EXPECT_THROW((void)compare_results(a, b, -0.1), std::invalid_argument);
  // One run a side cannot be tested: the ratio alone decides, and the table says "-".
  const comparison once = compare_results(result_of({compared_run("threads", 2, {0.1})}),
                                          result_of({compared_run("threads", 2, {0.3})}));
  EXPECT_FALSE(once.rows[0].p_value.has_value());
  EXPECT_TRUE(once.rows[0].slower);
}

TEST(CompareResults, TheDocumentsSayWhatWasFound) {
  const saved_result a = result_of({compared_run("threads", 2, {0.100, 0.101, 0.099})});
  saved_result b = result_of({compared_run("threads", 2, {0.200, 0.202, 0.198})});
  b.runs[0].concurrency.result = verdict::concurrent;
  b.machine.cores = 1;
  const comparison c = compare_results(a, b);
  const std::string text = format_comparison(c, "a.json", "b.json");
  EXPECT_NE(text.find("SLOWER"), std::string::npos) << text;
  EXPECT_NE(text.find("parallel -> concurrent"), std::string::npos) << text;
  EXPECT_NE(text.find("(exit 1)"), std::string::npos) << text;
  EXPECT_NE(text.find("different machines"), std::string::npos) << text;
  const auto doc = nlohmann::json::parse(to_comparison_json(c, "a.json", "b.json"));
  EXPECT_EQ(doc.at("schema"), "parlab.compare/1");
  EXPECT_EQ(doc.at("any_slower"), true);
  EXPECT_EQ(doc.at("rows").at(0).at("outcome"), "slower");
  EXPECT_NEAR(doc.at("rows").at(0).at("ratio").get<double>(), 2.0, 1e-9);
  EXPECT_EQ(doc.at("rows").at(0).at("verdict_b"), "concurrent");
}

}  // namespace
}  // namespace parlab
