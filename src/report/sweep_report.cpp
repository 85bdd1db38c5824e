// A sweep's outputs: the parlab.sweep/1 document, CSV, the terminal summary with its plots, and
// the SVG and HTML pictures.

#include <parlab/sweep.hpp>

#include "report/drawing.hpp"
#include "report/machine_json.hpp"
#include "report/svg.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cmath>

namespace parlab {
namespace {

using json = nlohmann::ordered_json;
using detail::xml_escape;

constexpr const char* kSchema = "parlab.sweep/1";

// Checks the page rendered: every model's group in the picture holds as many drawn points as it
// says, and the picture has a size. The browser test reads <body data-rendered>, and any script
// error from <body data-errors>.
constexpr const char* kSweepScript = R"(
window.addEventListener('error', function (e) {
  document.body.dataset.errors = (document.body.dataset.errors || '') + e.message + ';';
});
window.addEventListener('load', function () {
  var svg = document.querySelector('svg.sweep');
  var models = document.querySelectorAll('svg.sweep g.model');
  var complete = 0, points = 0;
  models.forEach(function (g) {
    var drawn = g.querySelectorAll('circle.point').length;
    points += drawn;
    if (drawn === Number(g.dataset.points)) complete += 1;
  });
  var box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
  document.body.dataset.models = String(models.length);
  document.body.dataset.points = String(points);
  document.body.dataset.rendered =
      (models.length > 0 && complete === models.length && box.width > 0 && box.height > 0)
          ? 'ok' : 'incomplete';
});
)";

json number_or_null(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

json fit_to_json(const std::optional<usl_fit>& fit, const std::string& refused) {
  if (!fit) return {{"refused", refused}};
  return {{"sigma", fit->sigma},
          {"sigma_error", fit->sigma_error},
          {"kappa", fit->kappa},
          {"kappa_error", fit->kappa_error},
          {"lambda", fit->lambda},
          {"lambda_error", fit->lambda_error},
          {"r_squared", fit->r_squared},
          {"points", fit->points},
          {"regime", std::string(to_string(fit->regime))},
          {"peak_concurrency", number_or_null(fit->peak_concurrency)},
          {"max_throughput", number_or_null(fit->max_throughput)}};
}

json point_to_json(const sweep_point& p) {
  json interval = p.wall_interval ? json::array({p.wall_interval->first, p.wall_interval->second})
                                  : json(nullptr);
  return {{"workers", p.workers},
          {"tasks", p.run.tasks},
          {"wall_seconds", p.run.wall_median},
          {"wall_seconds_min", p.run.wall_min},
          {"wall_seconds_max", p.run.wall_max},
          {"wall_seconds_interval95", std::move(interval)},
          {"spread", p.spread},
          {"throughput", p.throughput},
          {"speedup", number_or_null(p.speedup)},
          {"efficiency", number_or_null(p.efficiency)},
          {"speedup_vs_baseline", number_or_null(p.speedup_vs_baseline)},
          {"efficiency_vs_baseline", number_or_null(p.efficiency_vs_baseline)},
          {"karp_flatt", number_or_null(p.karp_flatt)},
          {"verdict", std::string(to_string(p.run.concurrency.result))},
          {"run", detail::run_to_json(p.run)}};
}

std::string opt(const std::optional<double>& v, const char* format) {
  return v ? fmt::format(fmt::runtime(format), *v) : std::string("-");
}

/// A point's figures as the terminal table and the HTML table both show them; `dash` joins the
/// ends of a range.
struct point_cells {
  std::string wall, range, interval, speedup, efficiency, vs_baseline, karp_flatt;
};

point_cells cells_of(const sweep_point& p, std::string_view dash) {
  return {
      detail::millis(p.run.wall_median),
      fmt::format("{}{}{}", detail::millis(p.run.wall_min), dash, detail::millis(p.run.wall_max)),
      p.wall_interval ? fmt::format("{}{}{}", detail::millis(p.wall_interval->first), dash,
                                    detail::millis(p.wall_interval->second))
                      : std::string("-"),
      opt(p.speedup, "{:.2f}x"),
      p.efficiency ? fmt::format("{:.0f}%", *p.efficiency * 100) : "-",
      opt(p.speedup_vs_baseline, "{:.2f}x"),
      opt(p.karp_flatt, "{:.3f}")};
}

// The terminal plot of one model: throughput against W.
std::string plot_model(const sweep_model& m, std::size_t width) {
  constexpr std::size_t kRows = 10;
  width = std::max<std::size_t>(width, 20);
  const double w_max = static_cast<double>(m.points.back().workers);
  const double w_min = 1.0;
  const bool logx = w_max / w_min > 16.0;
  const auto col = [&](double w) {
    const double t = w_max <= w_min ? 0.0
                     : logx         ? std::log(w / w_min) / std::log(w_max / w_min)
                                    : (w - w_min) / (w_max - w_min);
    return static_cast<std::size_t>(std::lround(std::clamp(t, 0.0, 1.0) * double(width - 1)));
  };
  double y_max = 0.0;
  for (const auto& p : m.points) y_max = std::max(y_max, p.throughput);
  if (m.usl) {
    for (const auto& p : m.points) y_max = std::max(y_max, m.usl->throughput_at(double(p.workers)));
  }
  if (y_max <= 0) return {};
  y_max *= 1.1;
  const auto row = [&](double x) {
    const double t = std::clamp(x / y_max, 0.0, 1.0);
    return kRows - 1 - static_cast<std::size_t>(std::lround(t * double(kRows - 1)));
  };
  std::vector<std::string> grid(kRows, std::string(width, ' '));
  const auto put = [&](std::size_t c, double x, char glyph) {
    if (x < 0 || x > y_max) return;
    grid[row(x)][c] = glyph;
  };
  // The ideal line: one worker's throughput times the workers (when one worker was measured).
  const bool has_one = m.points.front().workers == 1;
  const double one = has_one ? m.points.front().throughput : 0.0;
  for (std::size_t c = 0; c < width; ++c) {
    const double t = double(c) / double(width - 1);
    const double w = logx ? w_min * std::pow(w_max / w_min, t) : w_min + t * (w_max - w_min);
    if (has_one) put(c, one * w, '.');
    if (m.usl) put(c, m.usl->throughput_at(w), '*');
  }
  for (const auto& p : m.points) put(col(double(p.workers)), p.throughput, 'o');
  std::string axis(width, '-');
  std::string labels(width + 8, ' ');
  for (const auto& p : m.points) {
    const std::size_t c = col(double(p.workers));
    axis[c] = '+';
    const std::string label = std::to_string(p.workers);
    if (c + label.size() <= labels.size() &&
        labels.substr(c, label.size()).find_first_not_of(' ') == std::string::npos &&
        (c == 0 || labels[c - 1] == ' ')) {
      labels.replace(c, label.size(), label);
    }
  }
  if (m.usl && m.usl->peak_concurrency && *m.usl->peak_concurrency >= w_min &&
      *m.usl->peak_concurrency <= w_max) {
    axis[col(*m.usl->peak_concurrency)] = '^';
  }
  std::string out;
  for (std::size_t r = 0; r < kRows; ++r) {
    const std::string tick =
        r == 0 ? fmt::format("{:.4g}", y_max) : (r == kRows - 1 ? std::string("0") : std::string());
    out += fmt::format("  {:>9} |{}\n", tick, grid[r]);
  }
  out += fmt::format("  {:>9} +{}\n", "", axis);
  out += fmt::format("  {:>9}  {}  W{}\n", "", labels.substr(0, width), logx ? " (log scale)" : "");
  out += fmt::format(
      "  {:>9}  o measured tasks/s   * USL fit   . ideal (W x the W = 1 throughput)   ^ fitted "
      "peak\n",
      "");
  return out;
}

std::string fit_lines(const sweep_model& m) {
  std::string out;
  if (m.usl) {
    const usl_fit& f = *m.usl;
    out += fmt::format(
        "  USL: sigma {:.4g} ± {:.2g}, kappa {:.4g} ± {:.2g}, lambda {:.4g} ± {:.2g} tasks/s, R² "
        "{:.3f}\n       {}\n",
        f.sigma, f.sigma_error, f.kappa, f.kappa_error, f.lambda, f.lambda_error, f.r_squared,
        regime_in_words(f));
  } else {
    out += "  USL: no fit: " + m.usl_refused + "\n";
  }
  if (m.amdahl) {
    out +=
        fmt::format("  Amdahl: serial fraction {:.3f} ± {:.2g} (speedup at most {}), R² {:.3f}\n",
                    m.amdahl->sigma, m.amdahl->sigma_error,
                    m.amdahl->sigma > 0 ? fmt::format("{:.3g}x", 1.0 / m.amdahl->sigma)
                                        : std::string("unbounded"),
                    m.amdahl->r_squared);
  } else {
    out += "  Amdahl: no fit: " + m.amdahl_refused + "\n";
  }
  return out;
}

// Colours of the models in pictures (colour-blind friendly, Okabe-Ito).
constexpr std::array<const char*, 8> kColours = {"#0072b2", "#d55e00", "#009e73", "#cc79a7",
                                                 "#e69f00", "#56b4e9", "#000000", "#f0e442"};

struct panel {
  double x0, y0, w, h;  // the plotting area
  double w_max;
  bool logx;
  double y_lo, y_hi;
  [[nodiscard]] double px(double workers) const {
    const double t = w_max <= 1.0 ? 0.5
                     : logx       ? std::log(workers) / std::log(w_max)
                                  : (workers - 1.0) / (w_max - 1.0);
    return x0 + t * w;
  }
  [[nodiscard]] double py(double v) const {
    const double t = y_hi > y_lo ? (std::clamp(v, y_lo, y_hi) - y_lo) / (y_hi - y_lo) : 0.0;
    return y0 + h - t * h;
  }
};

std::string svg_axes(const panel& p, const sweep_result& r, const std::string& title,
                     const std::string& unit, int y_decimals) {
  std::string out = fmt::format(
      "<text x=\"{:.1f}\" y=\"{:.1f}\" class=\"title\">{}</text>\n"
      "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" class=\"frame\"/>\n",
      p.x0, p.y0 - 8, xml_escape(title), p.x0, p.y0, p.w, p.h);
  for (int i = 0; i <= 4; ++i) {
    const double v = p.y_lo + (p.y_hi - p.y_lo) * i / 4.0;
    out += fmt::format(
        "<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" class=\"grid\"/>"
        "<text x=\"{:.1f}\" y=\"{:.1f}\" class=\"tick\" text-anchor=\"end\">{:.{}f}</text>\n",
        p.x0, p.py(v), p.x0 + p.w, p.py(v), p.x0 - 4, p.py(v) + 4, v, y_decimals);
  }
  for (const auto w : r.spec.workers) {
    out += fmt::format(
        "<text x=\"{:.1f}\" y=\"{:.1f}\" class=\"tick\" text-anchor=\"middle\">{}</text>\n",
        p.px(double(w)), p.y0 + p.h + 14, w);
  }
  out += fmt::format(
      "<text x=\"{:.1f}\" y=\"{:.1f}\" class=\"tick\" text-anchor=\"middle\">W (workers){}"
      "</text><text x=\"{:.1f}\" y=\"{:.1f}\" class=\"tick\" text-anchor=\"middle\" "
      "transform=\"rotate(-90 {:.1f} {:.1f})\">{}</text>\n",
      p.x0 + p.w / 2, p.y0 + p.h + 28, p.logx ? ", log scale" : "", p.x0 - 44, p.y0 + p.h / 2,
      p.x0 - 44, p.y0 + p.h / 2, xml_escape(unit));
  return out;
}

std::string polyline(const std::vector<std::pair<double, double>>& pts, const char* colour,
                     const char* cls) {
  if (pts.size() < 2) return {};
  std::string d;
  for (const auto& [x, y] : pts) d += fmt::format("{:.1f},{:.1f} ", x, y);
  return fmt::format("<polyline points=\"{}\" stroke=\"{}\" class=\"{}\"/>\n", d, colour, cls);
}

std::string model_table_html(const sweep_model& m) {
  std::string out =
      "<table class=\"points\"><thead><tr><th>W</th><th>tasks</th><th>wall (median)</th>"
      "<th>min–max</th><th>95% interval</th><th>tasks/s</th><th>speedup</th><th>efficiency</th>"
      "<th>vs sequential</th><th>Karp–Flatt</th><th class=\"name\">verdict</th></tr></thead>"
      "<tbody>\n";
  for (const auto& p : m.points) {
    const point_cells c = cells_of(p, " – ");
    out += fmt::format(
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.4g}</td>"
        "<td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"name\">{}</td></tr>\n",
        p.workers, p.run.tasks, c.wall, c.range, c.interval, p.throughput, c.speedup, c.efficiency,
        c.vs_baseline, c.karp_flatt, to_string(p.run.concurrency.result));
  }
  return out + "</tbody></table>\n";
}

}  // namespace

namespace detail {
nlohmann::ordered_json sweep_to_json(const machine_info& machine, const sweep_result& r) {
  json models = json::array();
  for (const auto& m : r.models) {
    json points = json::array();
    for (const auto& p : m.points) points.push_back(point_to_json(p));
    models.push_back({{"executor", m.executor},
                      {"points", std::move(points)},
                      {"usl", fit_to_json(m.usl, m.usl_refused)},
                      {"amdahl", fit_to_json(m.amdahl, m.amdahl_refused)},
                      {"recommended_workers", m.recommended ? json(*m.recommended) : json(nullptr)},
                      {"reason", m.reason},
                      {"warnings", m.warnings}});
  }
  json workload = {{"name", r.spec.workload.name},
                   {"tasks", r.spec.workload.tasks},
                   {"size", effective_size(r.spec.workload)},
                   {"seed", r.spec.workload.seed}};
  json parameters = json::object();
  for (const auto& [name, value] : workload_parameters(r.spec.workload)) parameters[name] = value;
  workload["parameters"] = std::move(parameters);
  return {
      {"schema", kSchema},
      {"parlab_version", PARLAB_VERSION},
      {"build", detail::build_to_json()},
      {"machine", detail::machine_to_json(machine)},
      {"interrupted", r.interrupted},
      {"mode", r.spec.weak ? "weak" : "strong"},
      {"workload", std::move(workload)},
      {"repeat", r.spec.repeat},
      {"workers", r.spec.workers},
      {"usable_cores", r.cores},
      {"baseline", r.baseline ? detail::run_to_json(*r.baseline) : json(nullptr)},
      {"models", std::move(models)},
      {"findings", r.findings},
  };
}
}  // namespace detail

std::string to_sweep_json(const machine_info& machine, const sweep_result& r, int indent) {
  return detail::sweep_to_json(machine, r)
             .dump(indent, ' ', false, json::error_handler_t::replace) +
         "\n";
}

std::string to_sweep_csv(const sweep_result& r) {
  std::string out =
      "executor,workers,tasks,wall_seconds,wall_seconds_min,wall_seconds_max,interval95_low,"
      "interval95_high,throughput,speedup,efficiency,speedup_vs_baseline,efficiency_vs_baseline,"
      "karp_flatt,verdict,failed_tasks\n";
  const auto num = [](const std::optional<double>& v) {
    return v ? fmt::format("{:.9g}", *v) : std::string();
  };
  for (const auto& m : r.models) {
    for (const auto& p : m.points) {
      out += fmt::format(
          "{},{},{},{:.9g},{:.9g},{:.9g},{},{},{:.9g},{},{},{},{},{},{},{}\n", m.executor,
          p.workers, p.run.tasks, p.run.wall_median, p.run.wall_min, p.run.wall_max,
          p.wall_interval ? fmt::format("{:.9g}", p.wall_interval->first) : "",
          p.wall_interval ? fmt::format("{:.9g}", p.wall_interval->second) : "", p.throughput,
          num(p.speedup), num(p.efficiency), num(p.speedup_vs_baseline),
          num(p.efficiency_vs_baseline), num(p.karp_flatt), to_string(p.run.concurrency.result),
          p.run.failed_tasks);
    }
  }
  return out;
}

std::string format_sweep(const sweep_result& r, std::size_t width) {
  std::string out;
  if (r.baseline) {
    out += fmt::format("sequential baseline: {} tasks in {} (median of {}), {:.4g} tasks/s\n",
                       r.baseline->tasks, detail::millis(r.baseline->wall_median),
                       r.baseline->wall_samples.size(), r.baseline->throughput());
  }
  for (const auto& m : r.models) {
    out += fmt::format("\n{} ({} scaling)\n", m.executor, r.spec.weak ? "weak" : "strong");
    if (m.points.empty()) {
      out += "  " + m.reason + "\n";
      continue;
    }
    out += fmt::format("  {:>4} {:>6} {:>10} {:>21} {:>21} {:>10} {:>8} {:>6} {:>8} {:>7}  {}\n",
                       "W", "tasks", "wall", "min-max", "95% interval", "tasks/s", "speedup",
                       "eff.", "vs seq.", "K-F", "verdict");
    for (const auto& p : m.points) {
      const point_cells c = cells_of(p, "-");
      out += fmt::format(
          "  {:>4} {:>6} {:>10} {:>21} {:>21} {:>10.4g} {:>8} {:>6} {:>8} {:>7}  {}{}\n", p.workers,
          p.run.tasks, c.wall, c.range, c.interval, p.throughput, c.speedup, c.efficiency,
          c.vs_baseline, c.karp_flatt, to_string(p.run.concurrency.result),
          p.run.failed_tasks != 0 ? fmt::format(" ({} failed)", p.run.failed_tasks) : "");
    }
    out += fmt::format("\n{}\n{}", plot_model(m, width), fit_lines(m));
    if (m.recommended) out += fmt::format("  use {}\n", m.reason);
    for (const auto& w : m.warnings) out += fmt::format("  ! {}\n", w);
  }
  if (!r.findings.empty()) {
    out += "\nFindings:\n";
    for (const auto& f : r.findings) out += fmt::format("  {}\n", f);
  }
  return out;
}

std::string to_sweep_svg(const sweep_result& r) {
  constexpr double kWidth = 880;
  constexpr double kLeft = 70;
  constexpr double kPlotW = 540;
  double w_max = 1.0;
  double x_max = 0.0;
  for (const auto& m : r.models) {
    for (const auto& p : m.points) {
      w_max = std::max(w_max, double(p.workers));
      if (p.run.wall_min > 0) x_max = std::max(x_max, double(p.run.tasks) / p.run.wall_min);
      x_max = std::max(x_max, p.throughput);
    }
  }
  const bool logx = w_max > 16.0;
  if (x_max <= 0) x_max = 1.0;
  panel top{kLeft, 40, kPlotW, 260, w_max, logx, 0.0, x_max * 1.15};
  double e_max = 1.0;
  double k_lo = 0.0;
  double k_hi = 0.0;
  for (const auto& m : r.models) {
    for (const auto& p : m.points) {
      if (p.efficiency) e_max = std::max(e_max, *p.efficiency);
      if (p.karp_flatt) {
        k_lo = std::min(k_lo, *p.karp_flatt);
        k_hi = std::max(k_hi, *p.karp_flatt);
      }
    }
  }
  panel eff{kLeft, 360, kPlotW, 120, w_max, logx, 0.0, std::min(e_max * 1.1, 2.0)};
  panel kf{
      kLeft, 540, kPlotW, 120, w_max, logx, std::max(k_lo, -0.5), std::clamp(k_hi * 1.1, 0.1, 1.5)};
  const double height = 700;
  std::string out = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"sweep\" width=\"{0}\" height=\"{1}\" "
      "viewBox=\"0 0 {0} {1}\" font-family=\"sans-serif\" font-size=\"11\">\n<style>"
      ".frame{{fill:none;stroke:#999}} .grid{{stroke:#eee}} .tick{{fill:#444}} "
      ".title{{font-weight:bold;font-size:12px}} .fit{{fill:none;stroke-width:1.5;"
      "stroke-dasharray:6 3}} .ideal{{fill:none;stroke-width:1;stroke-dasharray:1 3}} "
      ".line{{fill:none;stroke-width:1.5}} .bar{{stroke-width:1.2}}</style>\n",
      kWidth, height);
  out += svg_axes(top, r,
                  fmt::format("{} — throughput against W ({} scaling; bars: min–max of {} runs)",
                              r.spec.workload.name, r.spec.weak ? "weak" : "strong", r.spec.repeat),
                  "tasks/s", x_max < 10 ? 2 : 0);
  out += svg_axes(eff, r, "efficiency: speedup / W (1 = every worker fully used)", "efficiency", 2);
  out +=
      svg_axes(kf, r, "Karp–Flatt: the serial fraction each speedup implies", "serial fraction", 2);
  std::size_t i = 0;
  for (const auto& m : r.models) {
    const char* colour = kColours[i % kColours.size()];
    const double ly = 50 + 16.0 * double(i);
    out += fmt::format(
        "<g class=\"model\" data-executor=\"{}\" data-points=\"{}\">\n<rect x=\"{:.1f}\" "
        "y=\"{:.1f}\" width=\"12\" height=\"3\" fill=\"{}\"/><text x=\"{:.1f}\" y=\"{:.1f}\">{}"
        "{}</text>\n",
        xml_escape(m.executor), m.points.size(), kLeft + kPlotW + 14, ly - 4, colour,
        kLeft + kPlotW + 30, ly, xml_escape(m.executor),
        m.recommended ? fmt::format(" (use W = {})", *m.recommended) : std::string());
    ++i;
    if (m.points.empty()) {
      out += "</g>\n";
      continue;
    }
    const double x_lo = 1.0;
    const double x_hi = double(m.points.back().workers);
    std::vector<std::pair<double, double>> fit;
    std::vector<std::pair<double, double>> ideal;
    for (int s = 0; s <= 100; ++s) {
      const double t = s / 100.0;
      const double w = logx ? x_lo * std::pow(x_hi / x_lo, t) : x_lo + t * (x_hi - x_lo);
      if (m.usl) fit.emplace_back(top.px(w), top.py(m.usl->throughput_at(w)));
    }
    if (m.points.front().workers == 1) {
      const double one = m.points.front().throughput;
      const double w_end = std::min(x_hi, top.y_hi / std::max(one, 1e-12));
      ideal = {{top.px(1.0), top.py(one)},
               {top.px(std::max(1.0, w_end)), top.py(one * std::max(1.0, w_end))}};
    }
    out += polyline(fit, colour, "fit") + polyline(ideal, colour, "ideal");
    std::vector<std::pair<double, double>> eff_line;
    std::vector<std::pair<double, double>> kf_line;
    for (const auto& p : m.points) {
      const double x = top.px(double(p.workers));
      const double hi = p.run.wall_min > 0 ? double(p.run.tasks) / p.run.wall_min : p.throughput;
      const double lo = p.run.wall_max > 0 ? double(p.run.tasks) / p.run.wall_max : p.throughput;
      out += fmt::format(
          "<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\" stroke=\"{3}\" "
          "class=\"bar\"/><circle cx=\"{0:.1f}\" cy=\"{4:.1f}\" r=\"3.5\" fill=\"{3}\" "
          "class=\"point\"><title>{5} W = {6}: {7:.4g} tasks/s (runs {8:.4g}–{9:.4g}){10}"
          "</title></circle>\n",
          x, top.py(lo), top.py(hi), colour, top.py(p.throughput), xml_escape(m.executor),
          p.workers, p.throughput, lo, hi,
          p.speedup ? fmt::format(", {:.2f}x of W = 1", *p.speedup) : std::string());
      if (p.efficiency) {
        eff_line.emplace_back(eff.px(double(p.workers)), eff.py(*p.efficiency));
        out += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"2.5\" fill=\"{}\"/>\n",
                           eff_line.back().first, eff_line.back().second, colour);
      }
      if (p.karp_flatt) {
        kf_line.emplace_back(kf.px(double(p.workers)), kf.py(*p.karp_flatt));
        out += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"2.5\" fill=\"{}\"/>\n",
                           kf_line.back().first, kf_line.back().second, colour);
      }
    }
    out += polyline(eff_line, colour, "line") + polyline(kf_line, colour, "line");
    if (m.usl && m.usl->peak_concurrency && *m.usl->peak_concurrency <= x_hi) {
      const double n = *m.usl->peak_concurrency;
      out += fmt::format(
          "<path d=\"M{0:.1f},{1:.1f} l-5,9 h10 z\" fill=\"{2}\" class=\"peak\"><title>fitted "
          "peak N* = {3:.0f}</title></path>\n",
          top.px(n), top.py(m.usl->throughput_at(n)) - 12, colour, n);
    }
    out += "</g>\n";
  }
  const double ly = 50 + 16.0 * double(r.models.size()) + 10;
  out += fmt::format(
      "<text x=\"{0:.1f}\" y=\"{1:.1f}\" class=\"tick\">dots: measured (median)</text>"
      "<text x=\"{0:.1f}\" y=\"{2:.1f}\" class=\"tick\">bars: fastest–slowest run</text>"
      "<text x=\"{0:.1f}\" y=\"{3:.1f}\" class=\"tick\">dashes: USL fit</text>"
      "<text x=\"{0:.1f}\" y=\"{4:.1f}\" class=\"tick\">dots in a line: ideal</text>"
      "<text x=\"{0:.1f}\" y=\"{5:.1f}\" class=\"tick\">triangle: fitted peak</text>\n",
      kLeft + kPlotW + 14, ly, ly + 14, ly + 28, ly + 42, ly + 56);
  return out + "</svg>\n";
}

std::string to_sweep_html(const machine_info& machine, const sweep_result& r) {
  std::string out = fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<title>parlab sweep — {0}</title><style>"
      "body {{ font-family: system-ui, sans-serif; margin: 1.5em auto; max-width: 1040px; "
      "color: #222; }} table {{ border-collapse: collapse; margin: 0.6em 0; font-size: 0.9em; }}"
      " th, td {{ border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }}"
      " th {{ background: #f0f0f0; }} td.name, th.name, .machine td {{ text-align: left; }}"
      " .warning {{ color: #b35c00; }} .use {{ font-weight: bold; }}"
      " svg {{ display: block; max-width: 100%; height: auto; }}</style></head>\n<body>\n"
      "<h1>parlab sweep: {0}</h1>\n<p>How the {0} workload ({1} tasks of size {2}{3}) scales with "
      "the number of workers W under each model, measured on this machine by parlab {4}: each "
      "point is the median of {5} runs after one warm-up.{6}</p>\n",
      xml_escape(r.spec.workload.name), r.spec.workload.tasks, effective_size(r.spec.workload),
      r.spec.weak ? ", times W: weak scaling" : "", PARLAB_VERSION, r.spec.repeat,
      r.interrupted ? " <strong>Interrupted: only the points measured before the signal are "
                      "shown.</strong>"
                    : "");
  out += detail::html_machine_table(machine);
  if (!r.findings.empty()) {
    out += "<h2>Findings</h2>\n<ul class=\"findings\">\n";
    for (const auto& f : r.findings) out += "<li>" + xml_escape(f) + "</li>\n";
    out += "</ul>\n";
  }
  out += "<h2>Throughput, efficiency and Karp–Flatt against W</h2>\n" + to_sweep_svg(r);
  for (const auto& m : r.models) {
    out += fmt::format("<section class=\"model\"><h2>{}</h2>\n", xml_escape(m.executor));
    if (m.recommended) out += "<p class=\"use\">use " + xml_escape(m.reason) + "</p>\n";
    out += model_table_html(m);
    out += "<pre class=\"fits\">" + xml_escape(fit_lines(m)) + "</pre>\n";
    for (const auto& w : m.warnings) out += "<p class=\"warning\">" + xml_escape(w) + "</p>\n";
    out += "</section>\n";
  }
  return out + fmt::format("<script>{}</script>\n</body></html>\n", kSweepScript);
}

}  // namespace parlab
