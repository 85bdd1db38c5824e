// Scaling laws fitted to (concurrency, throughput) points: the USL by Levenberg-Marquardt on
// three parameters (two for Amdahl), started from Gunther's linearised regression; standard
// errors from the covariance s^2 (J^T J)^-1 at the minimum.

#include <parlab/scaling.hpp>

#include <parlab/printable.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <set>
#include <stdexcept>

namespace parlab {
namespace {

using vec3 = std::array<double, 3>;  // sigma, kappa, lambda
using mat3 = std::array<vec3, 3>;

double model(const vec3& p, double n) noexcept {
  return p[2] * n / (1.0 + p[0] * (n - 1.0) + p[1] * n * (n - 1.0));
}

/// d model / d (sigma, kappa, lambda) at n.
vec3 gradient(const vec3& p, double n) noexcept {
  const double d = 1.0 + p[0] * (n - 1.0) + p[1] * n * (n - 1.0);
  const double f = p[2] * n / (d * d);
  return {-f * (n - 1.0), -f * n * (n - 1.0), n / d};
}

double residual_sum(const vec3& p, std::span<const scaling_point> pts) noexcept {
  double rss = 0.0;
  for (const auto& q : pts) {
    const double r = q.throughput - model(p, q.concurrency);
    rss += r * r;
  }
  return rss;
}

/// Solves a x = b for the parameters marked free (the others stay 0); false when singular.
bool solve(mat3 a, vec3 b, const std::array<bool, 3>& free, vec3& x) noexcept {
  for (int i = 0; i < 3; ++i) {
    if (!free[static_cast<std::size_t>(i)]) {
      a[static_cast<std::size_t>(i)] = {0.0, 0.0, 0.0};
      for (auto& row : a) row[static_cast<std::size_t>(i)] = 0.0;
      a[static_cast<std::size_t>(i)][static_cast<std::size_t>(i)] = 1.0;
      b[static_cast<std::size_t>(i)] = 0.0;
    }
  }
  // Gaussian elimination with partial pivoting.
  std::array<std::size_t, 3> row = {0, 1, 2};
  for (std::size_t c = 0; c < 3; ++c) {
    std::size_t best = c;
    for (std::size_t r = c + 1; r < 3; ++r) {
      if (std::abs(a[row[r]][c]) > std::abs(a[row[best]][c])) best = r;
    }
    std::swap(row[c], row[best]);
    const double pivot = a[row[c]][c];
    if (!(std::abs(pivot) > 1e-300)) return false;
    for (std::size_t r = c + 1; r < 3; ++r) {
      const double k = a[row[r]][c] / pivot;
      for (std::size_t j = c; j < 3; ++j) a[row[r]][j] -= k * a[row[c]][j];
      b[row[r]] -= k * b[row[c]];
    }
  }
  for (std::size_t c = 3; c-- > 0;) {
    double s = b[row[c]];
    for (std::size_t j = c + 1; j < 3; ++j) s -= a[row[c]][j] * x[j];
    x[c] = s / a[row[c]][c];
  }
  return std::all_of(x.begin(), x.end(), [](double v) { return std::isfinite(v); });
}

/// What a fit takes: concurrency up to a million (N (N - 1) stays well inside a double, and no
/// machine runs more), throughputs within a factor of 1e12 of each other (in any unit)...
constexpr double kMaxConcurrency = 1e6;
constexpr double kMaxThroughputSpread = 1e12;
/// ... and at most 1e300: the curve at a million stays a double.
constexpr double kMaxThroughput = 1e300;

void check_points(std::span<const scaling_point> pts, std::size_t min_points,
                  std::size_t min_distinct, const char* law) {
  if (pts.size() < min_points) {
    throw std::invalid_argument(
        fmt::format("a {} fit needs at least {} points (got {})", law, min_points, pts.size()));
  }
  std::set<double> distinct;
  double largest = 0.0;
  for (std::size_t i = 0; i < pts.size(); ++i) {
    const auto& q = pts[i];
    if (!std::isfinite(q.concurrency) || q.concurrency < 1.0 || q.concurrency > kMaxConcurrency) {
      throw std::invalid_argument(
          fmt::format("point {}: concurrency must be a number in [1, {:g}] (got {})", i + 1,
                      kMaxConcurrency, q.concurrency));
    }
    if (!std::isfinite(q.throughput) || q.throughput <= 0.0 || q.throughput > kMaxThroughput) {
      throw std::invalid_argument(
          fmt::format("point {}: throughput must be a number in (0, {:g}] (got {})", i + 1,
                      kMaxThroughput, q.throughput));
    }
    largest = std::max(largest, q.throughput);
    distinct.insert(q.concurrency);
  }
  for (std::size_t i = 0; i < pts.size(); ++i) {
    if (pts[i].throughput * kMaxThroughputSpread < largest) {
      throw std::invalid_argument(fmt::format(
          "point {}: throughput {} is less than 1/{:g} of the largest, {} (allowed: throughputs "
          "within {:g} of each other, in any unit)",
          i + 1, pts[i].throughput, kMaxThroughputSpread, largest, kMaxThroughputSpread));
    }
  }
  if (distinct.size() < min_distinct) {
    throw std::invalid_argument(
        fmt::format("a {} fit needs at least {} different concurrency values (got {})", law,
                    min_distinct, distinct.size()));
  }
}

/// Start values: lambda from the smallest N's throughput per unit; sigma and kappa from the
/// linearised form N / C(N) - 1 = sigma (N - 1) + kappa N (N - 1), C = X / lambda, by least
/// squares through the origin.
vec3 start_values(std::span<const scaling_point> pts, bool with_kappa) {
  const auto smallest = std::min_element(pts.begin(), pts.end(), [](const auto& a, const auto& b) {
    return a.concurrency < b.concurrency;
  });
  const double lambda = smallest->throughput / smallest->concurrency;
  double saa = 0, sab = 0, sbb = 0, say = 0, sby = 0;
  for (const auto& q : pts) {
    const double a = q.concurrency - 1.0;
    const double b = q.concurrency * (q.concurrency - 1.0);
    const double y = q.concurrency * lambda / q.throughput - 1.0;
    saa += a * a;
    sab += a * b;
    sbb += b * b;
    say += a * y;
    sby += b * y;
  }
  double sigma = 0.0, kappa = 0.0;
  const double det = saa * sbb - sab * sab;
  if (with_kappa && std::abs(det) > 1e-12 * saa * sbb) {
    sigma = (say * sbb - sby * sab) / det;
    kappa = (saa * sby - sab * say) / det;
  } else if (saa > 0) {
    sigma = say / saa;
  }
  return {std::clamp(sigma, 0.0, 1.0), with_kappa ? std::clamp(kappa, 0.0, 1.0) : 0.0, lambda};
}

/// J^T J and J^T r of the residuals r = X - model at p (J: the model's gradient per point).
void normal_equations(const vec3& p, std::span<const scaling_point> pts, mat3& jtj,
                      vec3& jtr) noexcept {
  jtj = {};
  jtr = {};
  for (const auto& q : pts) {
    const vec3 g = gradient(p, q.concurrency);
    const double r = q.throughput - model(p, q.concurrency);
    for (std::size_t i = 0; i < 3; ++i) {
      jtr[i] += g[i] * r;
      for (std::size_t j = 0; j < 3; ++j) jtj[i][j] += g[i] * g[j];
    }
  }
}

usl_fit fit_in_units(std::span<const scaling_point> pts, bool with_kappa) {
  const std::array<bool, 3> free = {true, with_kappa, true};
  const std::size_t parameters = with_kappa ? 3 : 2;
  vec3 p = start_values(pts, with_kappa);
  double rss = residual_sum(p, pts);
  double mu = 1e-3;
  mat3 jtj{};
  vec3 jtr{};
  bool converged = false;
  for (int iteration = 0; iteration < 500 && !converged; ++iteration) {
    normal_equations(p, pts, jtj, jtr);
    // A parameter held at its bound (sigma or kappa at 0 or 1) whose descent direction (J^T r)
    // points out of the box stays there this iteration: the step is solved for the others.
    // (Clamping a full step instead can turn it into one that never lowers the residual: a flat
    // curve has sigma = 1, and the step there must move lambda alone.)
    std::array<bool, 3> moving = free;
    for (std::size_t k = 0; k < 2; ++k) {
      if ((p[k] <= 0.0 && jtr[k] < 0.0) || (p[k] >= 1.0 && jtr[k] > 0.0)) moving[k] = false;
    }
    bool improved = false;
    for (int attempt = 0; attempt < 30 && !improved; ++attempt) {
      mat3 a = jtj;
      for (std::size_t i = 0; i < 3; ++i) a[i][i] += mu * std::max(jtj[i][i], 1e-300);
      vec3 step{};
      if (!solve(a, jtr, moving, step)) {
        mu *= 10;
        continue;
      }
      vec3 next = {std::clamp(p[0] + step[0], 0.0, 1.0),
                   with_kappa ? std::clamp(p[1] + step[1], 0.0, 1.0) : 0.0,
                   std::max(p[2] + step[2], std::numeric_limits<double>::min())};
      const double next_rss = residual_sum(next, pts);
      if (next_rss < rss) {
        const double change = (rss - next_rss) / std::max(rss, 1e-300);
        p = next;
        rss = next_rss;
        mu = std::max(mu / 10, 1e-12);
        improved = true;
        converged = change < 1e-14;
      } else {
        mu *= 10;
      }
    }
    // No step lowers the residual: a minimum (within the bounds).
    converged = converged || !improved;
  }

  usl_fit out;
  out.sigma = p[0];
  out.kappa = p[1];
  out.lambda = p[2];
  out.points = pts.size();
  double mean = 0.0;
  for (const auto& q : pts) mean += q.throughput;
  mean /= static_cast<double>(pts.size());
  double total = 0.0;
  for (const auto& q : pts) total += (q.throughput - mean) * (q.throughput - mean);
  out.r_squared = total > 0 ? 1.0 - rss / total : (rss == 0.0 ? 1.0 : 0.0);

  // Standard errors: s^2 (J^T J)^-1, column by column.
  const std::size_t dof = pts.size() > parameters ? pts.size() - parameters : 0;
  if (dof > 0) {
    normal_equations(p, pts, jtj, jtr);  // at the minimum
    const double s2 = rss / static_cast<double>(dof);
    vec3 variance{};
    for (std::size_t k = 0; k < 3; ++k) {
      if (!free[k]) continue;
      vec3 unit{};
      unit[k] = 1.0;
      vec3 column{};
      if (solve(jtj, unit, free, column)) variance[k] = std::max(column[k], 0.0) * s2;
    }
    out.sigma_error = std::sqrt(variance[0]);
    out.kappa_error = std::sqrt(variance[1]);
    out.lambda_error = std::sqrt(variance[2]);
  }

  if (out.kappa > 0.0) {
    out.peak_concurrency = std::max(1.0, std::floor(std::sqrt((1.0 - out.sigma) / out.kappa)));
    out.max_throughput = out.throughput_at(*out.peak_concurrency);
  } else if (out.sigma > 0.0) {
    out.max_throughput = out.lambda / out.sigma;
  }
  // The regime, by what the curve does within reach: a peak no further than twice the largest
  // measured N means coherence; a serial share that costs at least 5% of the ideal by the
  // largest N means contention.
  double largest = 0.0;
  for (const auto& q : pts) largest = std::max(largest, q.concurrency);
  const double ideal = out.lambda * largest;
  if (out.peak_concurrency && *out.peak_concurrency <= 2.0 * largest) {
    out.regime = scaling_regime::coherence_bound;
  } else if (out.throughput_at(largest) < 0.95 * ideal) {
    out.regime = scaling_regime::contention_bound;
  } else {
    out.regime = scaling_regime::linear;
  }
  return out;
}

/// The fit on throughputs divided by the largest, scaled back: its sums of squares stay finite
/// whatever the unit (1e308 operations a second squared is not a number). Throws
/// std::invalid_argument when it still does not come out finite.
usl_fit fit(std::span<const scaling_point> pts, bool with_kappa) {
  double scale = 0.0;
  for (const auto& q : pts) scale = std::max(scale, q.throughput);
  std::vector<scaling_point> unit(pts.begin(), pts.end());
  for (auto& q : unit) q.throughput /= scale;
  usl_fit out = fit_in_units(unit, with_kappa);
  out.lambda *= scale;
  out.lambda_error *= scale;
  if (out.max_throughput) *out.max_throughput *= scale;
  const bool finite = std::isfinite(out.sigma) && std::isfinite(out.kappa) &&
                      std::isfinite(out.lambda) && out.lambda > 0.0 &&
                      std::isfinite(out.sigma_error) && std::isfinite(out.kappa_error) &&
                      std::isfinite(out.lambda_error) && std::isfinite(out.r_squared) &&
                      (!out.max_throughput || std::isfinite(*out.max_throughput));
  if (!finite) {
    throw std::invalid_argument(
        fmt::format("the fit does not come out finite (sigma {}, kappa {}, lambda {}, R² {}): give "
                    "throughputs within {:g} of the largest",
                    out.sigma, out.kappa, out.lambda, out.r_squared, kMaxThroughputSpread));
  }
  return out;
}

}  // namespace

std::string regime_in_words(const usl_fit& fit) {
  const auto number = [](double v) { return fmt::format("{:.6g}", v); };
  switch (fit.regime) {
    case scaling_regime::coherence_bound:
      return fmt::format(
          "coherence-bound: throughput peaks at N = {} and falls beyond it (there, keeping "
          "more in agreement costs more than the extra hands bring)",
          number(fit.peak_concurrency.value_or(0.0)));
    case scaling_regime::contention_bound:
      return fmt::format(
          "contention-bound: throughput levels off towards {} (a serial share of {:.1f}% "
          "waits in line), with no peak in reach",
          fit.max_throughput ? number(*fit.max_throughput) : "a limit", fit.sigma * 100.0);
    case scaling_regime::linear:
      break;
  }
  return "linear: throughput grows with N, no limit measurable in this range";
}

std::string_view to_string(scaling_regime regime) noexcept {
  switch (regime) {
    case scaling_regime::linear:
      return "linear";
    case scaling_regime::contention_bound:
      return "contention-bound";
    case scaling_regime::coherence_bound:
      return "coherence-bound";
  }
  return "linear";
}

double usl_fit::throughput_at(double n) const noexcept { return model({sigma, kappa, lambda}, n); }

usl_fit fit_usl(std::span<const scaling_point> points) {
  check_points(points, 4, 3, "USL");
  return fit(points, true);
}

usl_fit fit_amdahl(std::span<const scaling_point> points) {
  check_points(points, 2, 2, "Amdahl");
  return fit(points, false);
}

std::optional<double> karp_flatt(double speedup, double n) noexcept {
  if (!(n > 1.0) || !(speedup > 0.0) || !std::isfinite(speedup) || !std::isfinite(n)) {
    return std::nullopt;
  }
  return (1.0 / speedup - 1.0 / n) / (1.0 - 1.0 / n);
}

double smallest_reaching(const usl_fit& fit, std::span<const double> candidates, double share) {
  if (candidates.empty()) throw std::invalid_argument("smallest_reaching: no candidates");
  double best = 0.0;
  for (const double n : candidates) best = std::max(best, fit.throughput_at(n));
  double answer = std::numeric_limits<double>::infinity();
  for (const double n : candidates) {
    if (fit.throughput_at(n) >= share * best) answer = std::min(answer, n);
  }
  return answer;
}

std::vector<scaling_point> read_scaling_csv(std::string_view text) {
  constexpr std::size_t kMaxPoints = 100'000;
  std::vector<scaling_point> points;
  std::size_t line_number = 0;
  bool header_allowed = true;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    ++line_number;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) {
      line.remove_suffix(1);
    }
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (line.empty() || line.front() == '#') continue;
    const std::size_t comma = line.find(',');
    // What a field holds: 1 a finite number, 0 text that is not a number, -1 a number that
    // is not finite or out of a double's range (inf, nan, 1e400).
    const auto field = [](std::string_view f, double& out) {
      while (!f.empty() && f.front() == ' ') f.remove_prefix(1);
      while (!f.empty() && f.back() == ' ') f.remove_suffix(1);
      double v = 0.0;
      const auto [ptr, ec] = std::from_chars(f.data(), f.data() + f.size(), v);
      if (f.empty() || ptr != f.data() + f.size()) return 0;
      if (ec != std::errc{} || !std::isfinite(v)) return -1;
      out = v;
      return 1;
    };
    const auto number = [&](std::string_view f, double& out) { return field(f, out) == 1; };
    scaling_point p;
    const bool ok = comma != std::string_view::npos &&
                    line.find(',', comma + 1) == std::string_view::npos &&
                    number(line.substr(0, comma), p.concurrency) &&
                    number(line.substr(comma + 1), p.throughput);
    if (!ok) {
      // A first line of names ("concurrency,throughput"): one without a digit. A line with
      // numbers that do not parse (1e400, 0x10) is an error wherever it is.
      double ignored = 0.0;
      const bool names =
          std::none_of(line.begin(), line.end(),
                       [](char ch) { return std::isdigit(static_cast<unsigned char>(ch)) != 0; }) &&
          field(line.substr(0, comma), ignored) == 0;
      if (header_allowed && names) {
        header_allowed = false;
        continue;
      }
      const bool cut = line.size() > 60;
      throw std::invalid_argument(fmt::format(
          "line {}: expected 'concurrency,throughput' (two finite numbers, as 4,1520.5), got "
          "'{}'{}",
          line_number, printable(line.substr(0, 60)),
          cut ? fmt::format(" (first 60 of {} bytes)", line.size()) : ""));
    }
    header_allowed = false;
    if (points.size() == kMaxPoints) {
      throw std::invalid_argument(fmt::format("more than {} points", kMaxPoints));
    }
    points.push_back(p);
  }
  return points;
}

}  // namespace parlab
