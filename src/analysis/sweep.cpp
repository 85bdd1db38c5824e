// Scaling sweeps: measuring a workload at a range of W and reading the points (speedups,
// Karp-Flatt, fits, the W to use and why).

#include <parlab/executor.hpp>
#include <parlab/limits.hpp>
#include <parlab/sweep.hpp>

#include <boost/math/distributions/students_t.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <random>
#include <set>
#include <stdexcept>

namespace parlab {
namespace {

constexpr std::size_t kMaxPoints = 64;
constexpr double kReach = 0.95;   // the recommendation reaches 95% of the best
constexpr double kGoodFit = 0.9;  // R² from which a fitted curve is worth reading

std::size_t parse_one(std::string_view text, std::string_view whole) {
  std::size_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || value < 1 ||
      value > limits::max_workers) {
    throw std::invalid_argument(fmt::format(
        "'{}' in '{}' is not a worker count (give whole numbers in [1, {}], as 1,2,4,8 or 1..8)",
        text, whole, limits::max_workers));
  }
  return value;
}

// "W = 3, 5 and 6" / "W = 3..6" for a list of worker counts.
std::string name_workers(const std::vector<std::size_t>& ws) {
  if (ws.empty()) return {};
  bool consecutive = ws.size() > 2;
  for (std::size_t i = 1; i < ws.size(); ++i) consecutive = consecutive && ws[i] == ws[i - 1] + 1;
  if (consecutive) return fmt::format("W = {}..{}", ws.front(), ws.back());
  std::string out = "W = ";
  for (std::size_t i = 0; i < ws.size(); ++i) {
    if (i > 0) out += i + 1 == ws.size() ? " and " : ", ";
    out += std::to_string(ws[i]);
  }
  return out;
}

sweep_point make_point(const measured_run& r) {
  sweep_point p;
  p.workers = r.workers;
  p.run = r;
  p.wall_interval = interval95(r.wall_samples);
  p.spread = r.spread();
  p.throughput = r.throughput();
  return p;
}

std::vector<scaling_point> median_points(const std::vector<sweep_point>& points) {
  std::vector<scaling_point> out;
  for (const auto& p : points) {
    if (!p.run.any_failed() && p.throughput > 0) {
      out.push_back({static_cast<double>(p.workers), p.throughput});
    }
  }
  return out;
}

// The standard error of the Amdahl fraction from the runs themselves: the fit repeated on
// medians of resampled runs (a bootstrap, 200 rounds, a fixed seed so a result reads the same
// twice). Needed where the points fix the curve (W = 1 and 2 only), better than the residuals'
// where runs are few. nullopt when no W had two runs.
std::optional<double> bootstrap_sigma_error(const std::vector<sweep_point>& points) {
  std::vector<const sweep_point*> usable;
  bool repeated = false;
  for (const auto& p : points) {
    if (p.run.any_failed() || p.run.wall_samples.empty()) continue;
    usable.push_back(&p);
    repeated = repeated || p.run.wall_samples.size() > 1;
  }
  if (!repeated || usable.size() < 2) return std::nullopt;
  std::mt19937_64 random(0x5eed);
  std::vector<double> sigmas;
  std::vector<scaling_point> resampled;
  std::vector<double> walls;
  for (int round = 0; round < 200; ++round) {
    resampled.clear();
    for (const sweep_point* p : usable) {
      const auto& samples = p->run.wall_samples;
      std::uniform_int_distribution<std::size_t> pick(0, samples.size() - 1);
      walls.clear();
      for (std::size_t i = 0; i < samples.size(); ++i) walls.push_back(samples[pick(random)]);
      const double wall = median(walls);
      if (wall > 0) {
        resampled.push_back(
            {static_cast<double>(p->workers), static_cast<double>(p->run.tasks) / wall});
      }
    }
    try {
      sigmas.push_back(fit_amdahl(resampled).sigma);
    } catch (const std::invalid_argument&) {
    }
  }
  if (sigmas.size() < 2) return std::nullopt;
  double mean = 0.0;
  for (double v : sigmas) mean += v;
  mean /= static_cast<double>(sigmas.size());
  double ss = 0.0;
  for (double v : sigmas) ss += (v - mean) * (v - mean);
  return std::sqrt(ss / static_cast<double>(sigmas.size() - 1));
}

// The laws fitted to each W's median throughput (the median resists the slow outliers a shared
// machine adds; a mean-based fit would read them as a larger serial share).
void fit_model(sweep_model& m) {
  const std::vector<scaling_point> points = median_points(m.points);
  try {
    m.usl = fit_usl(points);
  } catch (const std::invalid_argument& e) {
    m.usl_refused = e.what();
  }
  try {
    m.amdahl = fit_amdahl(points);
    if (const auto error = bootstrap_sigma_error(m.points)) m.amdahl->sigma_error = *error;
  } catch (const std::invalid_argument& e) {
    m.amdahl_refused = e.what();
  }
}

void recommend(sweep_model& m) {
  const sweep_point* best = nullptr;
  for (const auto& p : m.points) {
    if (p.run.any_failed() || p.throughput <= 0) continue;
    if (best == nullptr || p.throughput > best->throughput) best = &p;
  }
  if (best == nullptr) {
    m.reason = "no point without failed tasks: nothing to recommend";
    return;
  }
  const sweep_point* pick = best;
  for (const auto& p : m.points) {
    if (!p.run.any_failed() && p.throughput >= kReach * best->throughput) {
      pick = &p;
      break;
    }
  }
  m.recommended = pick->workers;
  if (!best->speedup) {  // W = 1 missing or failed: throughputs only
    m.reason = fmt::format(
        "W = {}: the smallest W measured within 5% of the best throughput ({:.4g} tasks/s at "
        "W = {}); W = 1 was not measured, so there is no speedup to quote",
        pick->workers, best->throughput, best->workers);
    return;
  }
  if (m.points.size() == 1) {
    m.reason = "W = 1: the only W measured";
    return;
  }
  if (*best->speedup < nothing_gained_speedup) {
    m.recommended = 1;
    m.reason = fmt::format(
        "W = 1: no W measured gives 5% more than one worker (best {:.2f}x, at W = {}): under {} "
        "this work does not run faster with more workers",
        *best->speedup, best->workers, m.executor);
    return;
  }
  std::string more;
  if (pick->workers == m.points.back().workers) {
    more = "the largest W measured: more workers may give more (sweep further)";
    // Where the fitted curve is good, say what it expects further on (up to its peak, or four
    // times the largest W): a prediction, named as one.
    if (m.usl && m.usl->r_squared >= kGoodFit) {
      const double largest = static_cast<double>(pick->workers);
      const double reach = std::min(4.0 * largest, m.usl->peak_concurrency.value_or(4.0 * largest));
      std::vector<double> further;
      for (double n = largest + 1; n <= reach && further.size() < 10'000; n += 1) {
        further.push_back(n);
      }
      if (!further.empty()) {
        const double n = smallest_reaching(*m.usl, further, kReach);
        const double x = m.usl->throughput_at(n);
        if (x >= nothing_gained_speedup * best->throughput) {
          more = fmt::format(
              "the largest W measured, and the fitted USL (R² {:.2f}) predicts {:.4g} tasks/s "
              "at W = {:.0f}, {:.0f}% more: sweep further to measure it",
              m.usl->r_squared, x, n, (x / best->throughput - 1.0) * 100.0);
        }
      }
    }
  } else if (best == pick) {
    more = fmt::format("more workers give less (W = {}: {:.2f}x)", m.points.back().workers,
                       m.points.back().speedup.value_or(0.0));
  } else {
    more = fmt::format("more workers add at most {:.0f}% (best {:.2f}x at W = {})",
                       (best->throughput / pick->throughput - 1.0) * 100.0, *best->speedup,
                       best->workers);
  }
  m.reason = fmt::format("W = {}: {:.2f}x of W = 1 (efficiency {:.0f}%); {}", pick->workers,
                         pick->speedup.value_or(0.0), pick->efficiency.value_or(0.0) * 100.0, more);
}

void warn(sweep_model& m, std::size_t cores, const sweep_spec& spec) {
  std::vector<std::size_t> noisy;
  double worst = 0.0;
  std::vector<std::size_t> over_cores;
  std::vector<std::size_t> over_tasks;
  double others = 0.0;
  std::size_t others_at = 0;
  for (const auto& p : m.points) {
    if (p.spread > noisy_spread) {
      noisy.push_back(p.workers);
      worst = std::max(worst, p.spread);
    }
    if (p.workers > cores) over_cores.push_back(p.workers);
    if (!spec.weak && p.workers > p.run.tasks) over_tasks.push_back(p.workers);
    if (p.run.others_cores && *p.run.others_cores > others) {
      others = *p.run.others_cores;
      others_at = p.workers;
    }
    if (p.run.any_failed()) {
      m.warnings.push_back(fmt::format(
          "W = {}: {} task{} failed; the point is left out of the fits and the recommendation",
          p.workers, std::max<std::size_t>(p.run.failed_tasks, p.run.failures.size()),
          p.run.failed_tasks == 1 ? "" : "s"));
    }
  }
  if (!noisy.empty()) {
    m.warnings.push_back(fmt::format(
        "{}: the runs differ by more than 10% of their median (up to {:.0f}%): a busy machine or "
        "too few repeats (--repeat); read those points with care",
        name_workers(noisy), worst * 100.0));
  }
  if (!over_cores.empty()) {
    m.warnings.push_back(fmt::format(
        "{} exceed{} the {} usable core{}: there, work that computes takes turns on the cores, "
        "so its curve flattens because of the cores, not the code{}",
        name_workers(over_cores), over_cores.size() == 1 ? "s" : "", cores, cores == 1 ? "" : "s",
        m.usl ? " (the fitted sigma and kappa then describe that limit, not contention in the "
                "work)"
              : ""));
  }
  if (!over_tasks.empty()) {
    m.warnings.push_back(fmt::format(
        "{} exceed{} the {} tasks: the extra workers have nothing to do (give more --tasks, or "
        "--weak)",
        name_workers(over_tasks), over_tasks.size() == 1 ? "s" : "", m.points.front().run.tasks));
  }
  if (others > others_busy_cores) {
    m.warnings.push_back(fmt::format(
        "other programs kept {:.1f} of the {} cores busy while W = {} ran: its point measures a "
        "shared machine",
        others, cores, others_at));
  }
  if (m.usl) {
    const double largest = static_cast<double>(m.points.back().workers);
    if (m.usl->peak_concurrency && *m.usl->peak_concurrency > largest) {
      m.warnings.push_back(fmt::format(
          "the fitted peak N* = {:.0f} lies beyond the largest W measured ({:.0f}): a "
          "prediction{}, not a measurement",
          *m.usl->peak_concurrency, largest,
          m.usl->max_throughput ? fmt::format(" of {:.4g} tasks/s there", *m.usl->max_throughput)
                                : std::string()));
    }
    if (m.usl->r_squared < kGoodFit) {
      m.warnings.push_back(fmt::format(
          "the USL fits these points poorly (R² = {:.2f}): read the measured points, not the "
          "curve",
          m.usl->r_squared));
    }
  }
}

std::vector<std::string> compare(const std::vector<sweep_model>& models) {
  struct best_of {
    const sweep_model* model;
    const sweep_point* point;
  };
  std::vector<best_of> ranked;
  for (const auto& m : models) {
    if (!m.recommended) continue;
    for (const auto& p : m.points) {
      if (p.workers == *m.recommended) ranked.push_back({&m, &p});
    }
  }
  std::sort(ranked.begin(), ranked.end(), [](const best_of& a, const best_of& b) {
    return a.point->throughput > b.point->throughput;
  });
  std::vector<std::string> out;
  if (ranked.empty()) return out;
  const auto against_baseline = [&](const sweep_point& p) {
    return p.speedup_vs_baseline
               ? fmt::format(", {:.2f}x the sequential baseline", *p.speedup_vs_baseline)
               : std::string();
  };
  const best_of& top = ranked.front();
  out.push_back(fmt::format("best: {} with W = {}: {:.4g} tasks/s{}", top.model->executor,
                            top.point->workers, top.point->throughput,
                            against_baseline(*top.point)));
  for (std::size_t i = 1; i < ranked.size(); ++i) {
    const best_of& r = ranked[i];
    const double behind = 1.0 - r.point->throughput / top.point->throughput;
    const double noise = std::max({top.point->spread, r.point->spread, 0.02});
    out.push_back(fmt::format("{} with W = {}: {:.4g} tasks/s{}; {}", r.model->executor,
                              r.point->workers, r.point->throughput, against_baseline(*r.point),
                              behind <= noise
                                  ? fmt::format("within noise of the best ({:.1f}% behind, runs "
                                                "differ by up to {:.1f}%)",
                                                behind * 100.0, noise * 100.0)
                                  : fmt::format("{:.0f}% behind the best", behind * 100.0)));
  }
  return out;
}

}  // namespace

std::size_t sweep_tasks(const sweep_spec& spec, std::size_t workers) noexcept {
  return spec.weak ? spec.workload.tasks * workers : spec.workload.tasks;
}

std::vector<std::size_t> default_sweep_workers(std::size_t cores, std::size_t most) {
  cores = std::max<std::size_t>(cores, 1);
  const std::size_t top =
      std::min(std::max<std::size_t>(2 * cores, 6), std::max<std::size_t>(most, 1));
  std::set<std::size_t> ws;
  if (top <= 8) {
    for (std::size_t w = 1; w <= top; ++w) ws.insert(w);
  } else {
    for (std::size_t w = 1; w <= top; w *= 2) ws.insert(w);
    ws.insert(top);
    if (cores <= top) ws.insert(cores);
  }
  return {ws.begin(), ws.end()};
}

std::vector<std::size_t> parse_worker_list(std::string_view text) {
  std::vector<std::size_t> out;
  if (const auto dots = text.find(".."); dots != std::string_view::npos) {
    const std::size_t from = parse_one(text.substr(0, dots), text);
    const std::size_t to = parse_one(text.substr(dots + 2), text);
    if (from > to || to - from + 1 > kMaxPoints) {
      throw std::invalid_argument(fmt::format(
          "'{}' is not a range of worker counts (give FROM..TO with FROM <= TO and at most {} "
          "values)",
          text, kMaxPoints));
    }
    for (std::size_t w = from; w <= to; ++w) out.push_back(w);
    return out;
  }
  std::size_t from = 0;
  for (;;) {
    const std::size_t comma = text.find(',', from);
    out.push_back(parse_one(
        text.substr(from, comma == std::string_view::npos ? text.npos : comma - from), text));
    if (comma == std::string_view::npos) break;
    from = comma + 1;
  }
  std::sort(out.begin(), out.end());
  if (std::adjacent_find(out.begin(), out.end()) != out.end()) {
    throw std::invalid_argument(
        fmt::format("'{}' names a worker count twice (give each W once)", text));
  }
  if (out.size() > kMaxPoints) {
    throw std::invalid_argument(
        fmt::format("'{}' has {} worker counts (at most {})", text, out.size(), kMaxPoints));
  }
  return out;
}

void check_sweep_spec(const sweep_spec& spec) {
  if (spec.executors.empty()) {
    throw std::invalid_argument("no execution model to sweep (give at least one)");
  }
  if (spec.workers.empty()) throw std::invalid_argument("no worker count to sweep (give W)");
  if (spec.workers.size() > kMaxPoints) {
    throw std::invalid_argument(
        fmt::format("{} worker counts to sweep (at most {})", spec.workers.size(), kMaxPoints));
  }
  for (std::size_t i = 0; i < spec.workers.size(); ++i) {
    if (i > 0 && spec.workers[i] <= spec.workers[i - 1]) {
      throw std::invalid_argument("the worker counts must be ascending and distinct");
    }
  }
  for (const auto& e : spec.executors) {
    if (e == "sequential") {
      throw std::invalid_argument(
          "'sequential' has no workers to sweep: it is every sweep's baseline (leave it out)");
    }
    (void)make_executor(e);
    if (std::count(spec.executors.begin(), spec.executors.end(), e) > 1) {
      throw std::invalid_argument(fmt::format("execution model '{}' named twice", e));
    }
  }
  experiment_spec largest;
  largest.workload = spec.workload;
  largest.workload.tasks = sweep_tasks(spec, spec.workers.back());
  if (spec.weak && spec.workload.tasks != 0 &&
      largest.workload.tasks / spec.workers.back() != spec.workload.tasks) {
    throw std::invalid_argument("--weak: tasks x W overflows");
  }
  largest.executors = spec.executors;
  largest.workers = spec.workers.back();
  largest.repeat = spec.repeat;
  largest.gil_switch_interval = spec.gil_switch_interval;
  check_spec(largest);
  if (spec.weak && spec.workload.tasks != 0) {
    largest.workload.tasks = spec.workload.tasks;
    check_spec(largest);
  }
}

std::optional<std::pair<double, double>> interval95(const std::vector<double>& samples) {
  const std::size_t n = samples.size();
  if (n < 2) return std::nullopt;
  // Student's t, two-sided 95% (Boost.Math, as compare's Welch test uses).
  const std::size_t df = n - 1;
  const double tq = boost::math::quantile(boost::math::students_t(static_cast<double>(df)), 0.975);
  double mean = 0.0;
  for (double v : samples) mean += v;
  mean /= static_cast<double>(n);
  double ss = 0.0;
  for (double v : samples) ss += (v - mean) * (v - mean);
  const double half = tq * std::sqrt(ss / static_cast<double>(df) / static_cast<double>(n));
  return std::make_pair(mean - half, mean + half);
}

sweep_result analyse_sweep(const sweep_spec& spec, const std::vector<measured_run>& rows,
                           std::size_t cores, bool interrupted) {
  sweep_result out;
  out.spec = spec;
  out.cores = cores;
  out.interrupted = interrupted;
  for (const auto& r : rows) {
    if (r.is_baseline && !out.baseline) out.baseline = r;
  }
  const double base_x =
      out.baseline && !out.baseline->any_failed() ? out.baseline->throughput() : 0.0;
  for (const auto& e : spec.executors) {
    sweep_model m;
    m.executor = e;
    for (const auto& r : rows) {
      if (!r.is_baseline && r.executor == e) m.points.push_back(make_point(r));
    }
    std::sort(m.points.begin(), m.points.end(),
              [](const auto& a, const auto& b) { return a.workers < b.workers; });
    if (m.points.empty()) {
      m.reason = "not measured (the sweep stopped before it)";
      out.models.push_back(std::move(m));
      continue;
    }
    const sweep_point& first = m.points.front();
    const double one = first.workers == 1 && !first.run.any_failed() ? first.throughput : 0.0;
    for (auto& p : m.points) {
      const double w = static_cast<double>(p.workers);
      if (one > 0 && p.throughput > 0) {
        p.speedup = p.throughput / one;
        p.efficiency = *p.speedup / w;
        p.karp_flatt = karp_flatt(*p.speedup, w);
      }
      if (base_x > 0 && p.throughput > 0) {
        p.speedup_vs_baseline = p.throughput / base_x;
        p.efficiency_vs_baseline = *p.speedup_vs_baseline / w;
      }
    }
    fit_model(m);
    recommend(m);
    warn(m, cores, spec);
    out.models.push_back(std::move(m));
  }
  out.findings = compare(out.models);
  if (interrupted) {
    out.findings.insert(out.findings.begin(),
                        fmt::format("interrupted: only the {} points measured before the signal "
                                    "are shown",
                                    rows.size()));
  }
  return out;
}

sweep_result run_sweep(const sweep_spec& spec, const progress_callback& progress) {
  check_sweep_spec(spec);
  const std::size_t cores = usable_cores();
  std::vector<measured_run> rows;
  const auto keep = [&](const measured_run& m) {
    rows.push_back(m);
    if (progress) progress(rows.back());
  };
  if (spec.baseline) {
    experiment_spec e;
    e.workload = spec.workload;
    e.executors = {"sequential"};
    e.workers = 1;
    e.repeat = spec.repeat;
    e.baseline = false;
    e.gil_switch_interval = spec.gil_switch_interval;
    (void)run_experiment(e, [&](const measured_run& m) {
      measured_run base = m;
      base.is_baseline = true;
      keep(base);
    });
  }
  for (const std::size_t w : spec.workers) {
    experiment_spec e;
    e.workload = spec.workload;
    e.workload.tasks = sweep_tasks(spec, w);
    e.executors = spec.executors;
    e.workers = w;
    e.repeat = spec.repeat;
    e.baseline = false;
    e.gil_switch_interval = spec.gil_switch_interval;
    (void)run_experiment(e, keep);
  }
  return analyse_sweep(spec, rows, cores);
}

}  // namespace parlab
