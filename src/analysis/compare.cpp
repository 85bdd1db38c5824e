// Comparing two results row by row: B's median against A's, Welch's t on log wall times, and what
// else changed.

#include <parlab/compare.hpp>

#include <fmt/format.h>
#include <boost/math/distributions/students_t.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>
#include <tuple>

namespace parlab {

std::string row_comparison::name() const {
  return fmt::format("{} · {} · W={}", workload, executor, workers);
}

bool comparison::any_slower() const noexcept {
  return std::any_of(rows.begin(), rows.end(), [](const row_comparison& r) { return r.slower; });
}

std::optional<log_ratio_test> welch_log_ratio(const std::vector<double>& a,
                                              const std::vector<double>& b) {
  if (a.size() < 2 || b.size() < 2) return std::nullopt;
  const auto moments = [](const std::vector<double>& v) {  // of the logs
    std::vector<double> logs;
    for (const double x : v) logs.push_back(std::log(x));
    double mean = 0.0;
    for (const double l : logs) mean += l;
    mean /= static_cast<double>(logs.size());
    double ss = 0.0;
    for (const double l : logs) ss += (l - mean) * (l - mean);
    return std::pair{mean, ss / static_cast<double>(logs.size() - 1)};  // mean, sample variance
  };
  for (const auto* v : {&a, &b}) {
    for (const double x : *v) {
      if (!(x > 0.0) || !std::isfinite(x)) {
        throw std::invalid_argument(fmt::format("a wall time must be positive (got {})", x));
      }
    }
  }
  const auto [mean_a, var_a] = moments(a);
  const auto [mean_b, var_b] = moments(b);
  const double na = static_cast<double>(a.size());
  const double nb = static_cast<double>(b.size());
  const double d = mean_b - mean_a;
  const double va = var_a / na;
  const double vb = var_b / nb;
  const double se = std::sqrt(va + vb);
  log_ratio_test t;
  t.ratio = std::exp(d);
  if (se == 0.0) {  // no spread at all: any difference is certain, none is none
    t.low = t.high = t.ratio;
    t.p_value = d == 0.0 ? 1.0 : 0.0;
    t.degrees_of_freedom = na + nb - 2.0;
    return t;
  }
  // Welch-Satterthwaite degrees of freedom.
  t.degrees_of_freedom = (va + vb) * (va + vb) / (va * va / (na - 1.0) + vb * vb / (nb - 1.0));
  const boost::math::students_t dist(t.degrees_of_freedom);
  t.p_value =
      std::min(1.0, 2.0 * boost::math::cdf(boost::math::complement(dist, std::abs(d) / se)));
  const double q = boost::math::quantile(boost::math::complement(dist, 0.025));
  t.low = std::exp(d - q * se);
  t.high = std::exp(d + q * se);
  return t;
}

namespace {

using run_key = std::tuple<std::string, std::string, std::size_t>;

run_key key_of(const measured_run& r) { return {r.workload, r.executor, r.workers}; }

std::string name_of(const measured_run& r) {
  return fmt::format("{} · {} · W={}", r.workload, r.executor, r.workers);
}

/// What makes two rows different work, or empty.
std::string different_work(const measured_run& a, const measured_run& b) {
  std::vector<std::string> out;
  if (a.tasks != b.tasks) out.push_back(fmt::format("{} tasks vs {}", a.tasks, b.tasks));
  if (a.size != b.size) out.push_back(fmt::format("size {} vs {}", a.size, b.size));
  if (a.seed != b.seed) out.push_back(fmt::format("seed {} vs {}", a.seed, b.seed));
  if (a.parameters != b.parameters) out.push_back("other workload settings");
  std::string s;
  for (const auto& o : out) s += (s.empty() ? "" : ", ") + o;
  return s;
}

}  // namespace

comparison compare_results(const saved_result& a, const saved_result& b, double threshold) {
  if (!(threshold >= 0.0 && threshold <= 10.0)) {
    throw std::invalid_argument(
        fmt::format("the threshold must be in [0, 10] (a fraction; got {})", threshold));
  }
  comparison c;
  c.threshold = threshold;
  // B's rows by key, in order; each is taken at most once.
  std::map<run_key, std::vector<const measured_run*>> in_b;
  for (const auto& r : b.runs) in_b[key_of(r)].push_back(&r);
  std::map<run_key, std::size_t> used;
  for (const auto& ra : a.runs) {
    auto it = in_b.find(key_of(ra));
    std::size_t& next = used[key_of(ra)];
    if (it == in_b.end() || next >= it->second.size()) {
      c.only_a.push_back(name_of(ra));
      continue;
    }
    const measured_run& rb = *it->second[next++];
    row_comparison row;
    row.workload = ra.workload;
    row.executor = ra.executor;
    row.workers = ra.workers;
    row.samples_a = ra.wall_samples.size();
    row.samples_b = rb.wall_samples.size();
    row.median_a = ra.wall_median;
    row.median_b = rb.wall_median;
    row.ratio = ra.wall_median > 0 ? rb.wall_median / ra.wall_median : 1.0;
    row.verdict_a = std::string(to_string(ra.concurrency.result));
    row.verdict_b = std::string(to_string(rb.concurrency.result));
    row.cpu_a = ra.cpu_utilisation;
    row.cpu_b = rb.cpu_utilisation;
    row.memory_a = ra.kernel.peak_rss_bytes;
    row.memory_b = rb.kernel.peak_rss_bytes;
    row.failed_a = ra.failed_tasks;
    row.failed_b = rb.failed_tasks;
    row.why_not = different_work(ra, rb);
    if (row.why_not.empty() && (ra.wall_median <= 0 || rb.wall_median <= 0)) {
      row.why_not = "no wall time";
    }
    row.comparable = row.why_not.empty();
    bool significant = true;  // untestable rows (one sample a side) go by the ratio alone
    const auto all_positive = [](const std::vector<double>& v) {
      return std::all_of(v.begin(), v.end(), [](double x) { return x > 0.0 && std::isfinite(x); });
    };
    if (all_positive(ra.wall_samples) && all_positive(rb.wall_samples)) {
      if (const auto t = welch_log_ratio(ra.wall_samples, rb.wall_samples)) {
        row.ratio_low = t->low;
        row.ratio_high = t->high;
        row.p_value = t->p_value;
        significant = t->p_value < c.alpha;
      }
    }
    if (row.comparable) {
      row.slower = significant && row.ratio > 1.0 + threshold;
      row.faster = significant && row.ratio < 1.0 / (1.0 + threshold);
    }
    c.rows.push_back(std::move(row));
  }
  for (const auto& [k, rows] : in_b) {
    const std::size_t taken = used.count(k) != 0 ? used[k] : 0;
    for (std::size_t i = taken; i < rows.size(); ++i) c.only_b.push_back(name_of(*rows[i]));
  }
  if (c.rows.empty()) {
    throw std::invalid_argument(
        "no row of the one matches a row of the other (rows match on workload, model and W)");
  }
  if (a.machine.cores != b.machine.cores || a.machine.cpu_model != b.machine.cpu_model ||
      a.machine.hostname != b.machine.hostname) {
    c.notes.push_back(fmt::format(
        "the two ran on different machines or CPU sets: {} ({} core{}, {}) and {} ({} core{}, "
        "{})",
        a.machine.hostname, a.machine.cores, a.machine.cores == 1 ? "" : "s", a.machine.cpu_model,
        b.machine.hostname, b.machine.cores, b.machine.cores == 1 ? "" : "s", b.machine.cpu_model));
  }
  if (a.interrupted || b.interrupted) {
    c.notes.push_back("a result was interrupted (Ctrl-C): it holds only the rows measured before");
  }
  return c;
}

}  // namespace parlab
