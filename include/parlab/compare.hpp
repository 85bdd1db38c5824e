#pragma once
/// @file Comparing two results: for every row both have (the same workload, model and W), how
/// B's wall time relates to A's, whether the difference stands out of the runs' noise, and what
/// else changed (verdict, CPU use, memory). `parlab compare A.json B.json` prints it and exits 1
/// when a row got slower beyond the threshold: a check for a user's CI. Pure.
///
/// The test: Welch's t on the logarithms of the wall-time samples (ratios of times are what
/// matters, and log times are closer to normal than times; Welch's form does not assume equal
/// spreads). It works from 2 samples a side, where a rank test (Mann-Whitney U) cannot reach 5%
/// with parlab's default 3 runs a side (its smallest two-sided p there is 0.1).

#include <parlab/experiment.hpp>
#include <parlab/machine.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace parlab {

/// One row present in both results.
struct row_comparison {
  std::string workload;
  std::string executor;
  std::size_t workers = 0;
  std::size_t samples_a = 0, samples_b = 0;  ///< wall-time samples on each side
  double median_a = 0.0, median_b = 0.0;     ///< seconds
  double ratio = 1.0;                        ///< median_b / median_a
  /// 95% interval of B/A (the ratio of geometric means, from Welch's t on log times); nullopt
  /// with fewer than 2 samples on a side.
  std::optional<double> ratio_low, ratio_high;
  std::optional<double> p_value;  ///< two-sided, Welch's t on log times; nullopt as above
  /// The same work on both sides (tasks, size, seed, workload settings); else `why_not` says
  /// what differs and the row decides nothing.
  bool comparable = true;
  std::string why_not;
  bool slower = false;  ///< comparable, ratio > 1 + threshold, and significant (or untestable)
  bool faster = false;  ///< comparable, ratio < 1 / (1 + threshold), and significant (or ...)
  std::string verdict_a, verdict_b;         ///< "parallel", ...
  double cpu_a = 0.0, cpu_b = 0.0;          ///< cpu_utilisation (2.0 = two cores busy)
  std::int64_t memory_a = 0, memory_b = 0;  ///< peak_rss_bytes
  std::size_t failed_a = 0, failed_b = 0;   ///< failed tasks in the representative run
  /// "cpu · threads · W=2".
  [[nodiscard]] std::string name() const;
};

/// The whole comparison.
struct comparison {
  double threshold = 0.05;  ///< relative: 0.05 flags a row 5% slower (when significant)
  double alpha = 0.05;      ///< significance level of the test
  std::vector<row_comparison> rows;
  std::vector<std::string> only_a, only_b;  ///< rows one side has and the other has not
  std::vector<std::string> notes;           ///< e.g. the two results ran on different machines
  [[nodiscard]] bool any_slower() const noexcept;
};

/// Welch's t on the logs of two samples (each value > 0): the two-sided p-value and the 95%
/// interval of exp(mean log b - mean log a). nullopt with fewer than 2 values on a side. Pure.
struct log_ratio_test {
  double ratio = 1.0;  ///< exp(mean log b - mean log a): the ratio of geometric means
  double low = 1.0, high = 1.0;
  double p_value = 1.0;
  double degrees_of_freedom = 0.0;
};
[[nodiscard]] std::optional<log_ratio_test> welch_log_ratio(const std::vector<double>& a,
                                                            const std::vector<double>& b);

/// Matches the rows of `a` and `b` on workload, model and W (in order, when a side has the same
/// key twice) and compares each pair. Throws std::invalid_argument when no row matches, or for a
/// threshold outside [0, 10]. Pure.
[[nodiscard]] comparison compare_results(const saved_result& a, const saved_result& b,
                                         double threshold = 0.05);

/// The comparison as text: a table, the rows on one side only, and the outcome line.
[[nodiscard]] std::string format_comparison(const comparison& c, const std::string& name_a,
                                            const std::string& name_b);

/// The comparison as a `parlab.compare/1` document.
[[nodiscard]] std::string to_comparison_json(const comparison& c, const std::string& name_a,
                                             const std::string& name_b, int indent = 2);

}  // namespace parlab
