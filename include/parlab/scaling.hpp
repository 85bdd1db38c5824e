#pragma once
/// @file Scaling laws fitted to measurements: Gunther's Universal Scalability Law (USL),
/// Amdahl's law and the Karp-Flatt metric. Pure functions: they take points (concurrency N,
/// throughput X) however they were measured - a parlab sweep, or a load test of your own server
/// (`parlab fit FILE.csv`) - and fit by least squares on the throughput.
///
///   USL:     X(N) = lambda N / (1 + sigma (N - 1) + kappa N (N - 1))
///            sigma: contention (the serial share), kappa: coherence (crosstalk), lambda: the
///            throughput of one; with kappa > 0 throughput peaks at N* =
///            floor(sqrt((1-sigma)/kappa))
///   Amdahl:  the USL with kappa = 0; speedup N / (1 + s (N - 1)), at most 1/s
///   Karp-Flatt: e(N) = (1/S - 1/N) / (1 - 1/N), the serial fraction one point implies

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace parlab {

/// One measurement: N units of concurrency (workers, clients) gave X per second.
struct scaling_point {
  double concurrency = 0.0;
  double throughput = 0.0;
};

/// What the fitted curve says about the system.
enum class scaling_regime {
  linear,            ///< no measurable contention or coherence: throughput grows with N
  contention_bound,  ///< it levels off towards lambda / sigma: 5% or more below ideal by the
                     ///< largest N, with no peak within twice that N
  coherence_bound,   ///< it peaks at N* (kappa > 0) no further than twice the largest N, then falls
};

/// "linear", "contention-bound", "coherence-bound".
[[nodiscard]] std::string_view to_string(scaling_regime regime) noexcept;

struct usl_fit;

/// The regime of `fit` in one sentence: "contention-bound: throughput levels off towards 1883.76
/// (a serial share of 2.8% waits in line), with no peak in reach".
[[nodiscard]] std::string regime_in_words(const usl_fit& fit);

/// A fitted USL (or Amdahl: kappa fixed at 0) with standard errors from the fit's covariance.
struct usl_fit {
  double sigma = 0.0;
  double kappa = 0.0;
  double lambda = 0.0;
  double sigma_error = 0.0;
  double kappa_error = 0.0;  ///< 0 for an Amdahl fit (kappa is not fitted)
  double lambda_error = 0.0;
  double r_squared = 0.0;  ///< 1 - residual / total sum of squares of the throughput
  std::size_t points = 0;
  scaling_regime regime = scaling_regime::linear;
  /// floor(sqrt((1 - sigma) / kappa)) when kappa > 0: where throughput peaks.
  std::optional<double> peak_concurrency;
  /// The most throughput the curve reaches: X(N*) with a peak, lambda / sigma without (the
  /// limit as N grows), none when sigma = kappa = 0.
  std::optional<double> max_throughput;

  /// The curve at N.
  [[nodiscard]] double throughput_at(double n) const noexcept;
};

/// Fits the USL to `points` (unweighted least squares on throughput, Levenberg-Marquardt with
/// sigma, kappa kept in [0, 1] and lambda > 0, started from Gunther's linearised regression).
/// Throws std::invalid_argument, in one line, for what cannot be fitted: fewer than 4 points or
/// fewer than 3 distinct N, an N below 1, a throughput that is not a positive finite number.
[[nodiscard]] usl_fit fit_usl(std::span<const scaling_point> points);

/// Amdahl's law: the same fit with kappa fixed at 0 (sigma is the serial fraction). Needs 2
/// points at 2 distinct N (two points fix the curve: no standard error, and sigma is the
/// Karp-Flatt value of the larger N against the smaller when that is 1); the same refusals
/// otherwise.
[[nodiscard]] usl_fit fit_amdahl(std::span<const scaling_point> points);

/// Karp-Flatt: the serial fraction the speedup S at N implies. nullopt at N <= 1 or S <= 0.
[[nodiscard]] std::optional<double> karp_flatt(double speedup, double n) noexcept;

/// The smallest N (among `candidates`) whose throughput on `fit` reaches `share` (0.95) of the
/// best among them. Throws std::invalid_argument for no candidates.
[[nodiscard]] double smallest_reaching(const usl_fit& fit, std::span<const double> candidates,
                                       double share = 0.95);

/// Reads "concurrency,throughput" lines (a header line, blank lines and lines starting with #
/// are skipped; at most 100,000 points). Throws std::invalid_argument naming the line for
/// anything else.
[[nodiscard]] std::vector<scaling_point> read_scaling_csv(std::string_view text);

}  // namespace parlab
