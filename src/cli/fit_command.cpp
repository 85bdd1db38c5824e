// parlab fit: the scaling laws fitted to any "concurrency,throughput" CSV - a load test of your
// own server, say - with predictions at the N you give.

#include "cli/commands.hpp"
#include "cli/outputs.hpp"

#include <parlab/scaling.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <stdexcept>

namespace parlab::cli {
namespace {

constexpr std::uintmax_t kMaxCsvBytes = std::uintmax_t{16} << 20U;  // 16 MiB
constexpr double kMaxPrediction = 1e9;

std::string number(double v) { return fmt::format("{:.6g}", v); }

}  // namespace

int command_fit(const fit_command& c) {
  const std::string text =
      read_input_file(c.csv, kMaxCsvBytes, "fit", "a CSV of 'concurrency,throughput' lines");
  std::vector<double> at;
  for (const auto& n : c.predict) {
    at.push_back(parse_number(n, "fit: a prediction point N", 0.0, kMaxPrediction, true));
  }
  std::vector<scaling_point> points;
  usl_fit usl;
  try {
    points = read_scaling_csv(text);
    usl = fit_usl(points);
  } catch (const std::invalid_argument& e) {
    throw usage_error(fmt::format("fit: '{}': {}", c.csv, e.what()));
  }
  std::sort(points.begin(), points.end(),
            [](const auto& a, const auto& b) { return a.concurrency < b.concurrency; });
  double largest = 0.0;
  double best_measured = 0.0;
  for (const auto& p : points) {
    largest = std::max(largest, p.concurrency);
    best_measured = std::max(best_measured, p.throughput);
  }

  std::string out = fmt::format("USL fit of {} points from {}:\n", points.size(),
                                c.csv == "-" ? "standard input" : c.csv);
  out += fmt::format("  sigma  = {} ± {}   contention: the share of the work that serialises\n",
                     number(usl.sigma), fmt::format("{:.2g}", usl.sigma_error));
  out += fmt::format("  kappa  = {} ± {}   coherence: the cost of keeping copies in agreement\n",
                     number(usl.kappa), fmt::format("{:.2g}", usl.kappa_error));
  out += fmt::format("  lambda = {} ± {}   the throughput of one\n", number(usl.lambda),
                     fmt::format("{:.2g}", usl.lambda_error));
  out += fmt::format("  R² = {:.4f}\n", usl.r_squared);
  if (usl.max_throughput) {
    out += usl.peak_concurrency
               ? fmt::format("  max throughput {} at N* = {}\n", number(*usl.max_throughput),
                             number(*usl.peak_concurrency))
               : fmt::format("  max throughput {} (the limit as N grows)\n",
                             number(*usl.max_throughput));
  }
  out += "  regime: " + regime_in_words(usl) + "\n";

  // The recommendation: the smallest N reaching 95% of the best, over the measured range (and
  // up to the peak when it is near), from the curve when it fits well, else from the points.
  std::vector<double> candidates;
  double reach = largest;
  if (usl.peak_concurrency && *usl.peak_concurrency <= 2.0 * largest) {
    reach = std::max(reach, *usl.peak_concurrency);
  }
  for (double n = 1.0; n <= reach && candidates.size() < 100'000; n += 1.0) candidates.push_back(n);
  if (usl.r_squared >= 0.9 && !candidates.empty()) {
    const double n = smallest_reaching(usl, candidates, 0.95);
    out += fmt::format(
        "  recommendation: N = {} reaches 95% of the best throughput up to N = {} ({} of {}, "
        "from the fitted curve)\n",
        number(n), number(reach), number(usl.throughput_at(n)),
        number(usl.throughput_at(smallest_reaching(usl, candidates, 1.0))));
  } else {
    double n = largest;
    for (const auto& p : points) {
      if (p.throughput >= 0.95 * best_measured) {
        n = p.concurrency;
        break;
      }
    }
    out += fmt::format(
        "  recommendation: N = {} (the smallest measured N within 95% of the best measured "
        "throughput; the fit is too poor to predict, R² < 0.9)\n",
        number(n));
  }
  if (usl.peak_concurrency && *usl.peak_concurrency > largest) {
    out += fmt::format(
        "  note: the peak N* = {} lies beyond the largest measured N = {}: a prediction, "
        "not a measurement\n",
        number(*usl.peak_concurrency), number(largest));
  }
  try {
    const usl_fit amdahl = fit_amdahl(points);
    out += fmt::format(
        "Amdahl (kappa = 0): serial fraction {} ± {} (speedup at most {}), R² = {:.4f}\n",
        number(amdahl.sigma), fmt::format("{:.2g}", amdahl.sigma_error),
        amdahl.sigma > 0 ? number(1.0 / amdahl.sigma) : "unbounded", amdahl.r_squared);
  } catch (const std::invalid_argument&) {
  }

  // Per point, against N = 1 when it was measured: speedup, efficiency, Karp-Flatt.
  std::optional<double> one;
  for (const auto& p : points) {
    if (p.concurrency == 1.0) one = p.throughput;
  }
  out += fmt::format("{:>10} {:>12} {:>12}", "N", "measured", "fitted");
  if (one) out += fmt::format(" {:>9} {:>10} {:>11}", "speedup", "efficiency", "Karp-Flatt");
  out += "\n";
  for (const auto& p : points) {
    out += fmt::format("{:>10} {:>12} {:>12}", number(p.concurrency), number(p.throughput),
                       number(usl.throughput_at(p.concurrency)));
    if (one) {
      const double s = p.throughput / *one;
      const auto e = karp_flatt(s, p.concurrency);
      out += fmt::format(" {:>8.2f}x {:>9.0f}% {:>11}", s, 100.0 * s / p.concurrency,
                         e ? fmt::format("{:.3f}", *e) : "-");
    }
    out += "\n";
  }
  if (!at.empty()) {
    out += "predictions:\n";
    for (const double n : at)
      out += fmt::format("{:>10} {:>12}\n", number(n), number(usl.throughput_at(n)));
  }
  print_to(stdout, out);
  return 0;
}

}  // namespace parlab::cli
