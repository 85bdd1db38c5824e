// The drawing of a task graph's run: its tasks in layers (a task one layer right of its deepest
// predecessor), its edges, each task coloured by its slack - red on the critical path, through
// orange to green the more it could be late without delaying the end.

#include <parlab/graph_analysis.hpp>
#include <parlab/task_graph.hpp>

#include "report/drawing.hpp"
#include "report/svg.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace parlab::detail {
namespace {

constexpr double kGraphWidth = 1000.0;
constexpr double kGraphLeft = 24.0;
constexpr double kGraphRight = 24.0;
constexpr double kGraphTitle = 40.0;  // title and the colour key
constexpr double kGraphBottom = 10.0;
constexpr double kGraphPlotHeight = 420.0;  // at most; fewer rows use less
constexpr double kGraphMaxRow = 26.0;
constexpr double kGraphMinRow = 5.0;

/// Where each task sits: its layer (its longest chain of predecessors, in edges) and its row
/// (its position among its layer's tasks, by id).
struct graph_layout {
  std::vector<std::size_t> layer;
  std::vector<std::size_t> row;
  std::size_t layers = 0;
  std::size_t rows = 0;  // the most tasks in one layer
};

graph_layout lay_out(const task_dependencies& after) {
  graph_layout l;
  l.layer.assign(after.size(), 0);
  l.row.assign(after.size(), 0);
  for (std::size_t id : topological_order(after)) {
    for (std::size_t p : after[id]) l.layer[id] = std::max(l.layer[id], l.layer[p] + 1);
  }
  std::vector<std::size_t> filled;
  for (std::size_t id = 0; id < after.size(); ++id) {
    if (l.layer[id] >= filled.size()) filled.resize(l.layer[id] + 1, 0);
    l.row[id] = filled[l.layer[id]]++;
  }
  l.layers = filled.size();
  for (std::size_t n : filled) l.rows = std::max(l.rows, n);
  return l;
}

/// Slack as a colour: 0 (on the critical path) red, up to a fifth of the span orange to yellow,
/// beyond that green.
std::string slack_colour(double slack, double span) {
  if (slack <= 0.0 || span <= 0.0) return "#c0392b";
  const double share = std::min(1.0, slack / span / 0.2);
  return fmt::format("hsl({:.0f},65%,{:.0f}%)", 25.0 + 95.0 * share, 55.0 + 5.0 * share);
}

}  // namespace

bool draws_graph(const measured_run& run) noexcept {
  const run_result& rep = run.representative;
  return run.graph.has_value() && !rep.after.empty() && rep.after.size() <= max_drawn_tasks &&
         rep.records.size() == rep.after.size();
}

double svg_graph_height(const measured_run& run) {
  if (!draws_graph(run)) return 0.0;
  const graph_layout l = lay_out(run.representative.after);
  const double row =
      std::clamp(kGraphPlotHeight / static_cast<double>(l.rows), kGraphMinRow, kGraphMaxRow);
  return kGraphTitle + row * static_cast<double>(l.rows) + kGraphBottom;
}

std::string svg_graph(const measured_run& run, const std::string& id, double y) {
  if (!draws_graph(run)) return {};
  const run_result& rep = run.representative;
  const graph_figures& g = *run.graph;
  const task_dependencies& after = rep.after;
  const graph_layout l = lay_out(after);
  const std::vector<double> durations = task_durations(rep);
  const double height = svg_graph_height(run);
  const double row =
      std::clamp(kGraphPlotHeight / static_cast<double>(l.rows), kGraphMinRow, kGraphMaxRow);
  const double column =
      l.layers > 1 ? (kGraphWidth - kGraphLeft - kGraphRight) / static_cast<double>(l.layers - 1)
                   : 0.0;
  const double radius = std::clamp(std::min(row, column > 0.0 ? column : row) * 0.36, 1.5, 9.0);
  // Each layer's tasks centred on the plot's middle row.
  auto x_of = [&](std::size_t task) {
    return l.layers > 1 ? kGraphLeft + column * static_cast<double>(l.layer[task])
                        : kGraphWidth / 2.0;
  };
  std::vector<std::size_t> in_layer(l.layers, 0);
  for (std::size_t t = 0; t < after.size(); ++t) ++in_layer[l.layer[t]];
  auto y_of = [&](std::size_t task) {
    const double offset =
        (static_cast<double>(l.rows) - static_cast<double>(in_layer[l.layer[task]])) / 2.0;
    return kGraphTitle + row * (offset + static_cast<double>(l.row[task]) + 0.5);
  };
  std::vector<std::size_t> next_on_path(after.size(), after.size());
  for (std::size_t k = 0; k + 1 < g.critical_path.size(); ++k) {
    if (g.critical_path[k] < after.size())
      next_on_path[g.critical_path[k]] = g.critical_path[k + 1];
  }
  auto slack_of = [&](std::size_t t) {
    return t < g.slack_seconds.size() ? g.slack_seconds[t] : 0.0;
  };

  std::string out = fmt::format(
      "<svg class=\"task-graph\" id=\"{0}\" x=\"0\" y=\"{1:.1f}\" width=\"{2:.0f}\" "
      "height=\"{3:.1f}\" viewBox=\"0 0 {2:.0f} {3:.1f}\" data-tasks=\"{4}\" data-edges=\"{5}\">\n"
      "<text x=\"4\" y=\"15\" font-family=\"sans-serif\" font-size=\"13\" font-weight=\"bold\">"
      "the task graph, coloured by slack</text>\n<text x=\"4\" y=\"30\" font-family=\"sans-serif\" "
      "font-size=\"10\" fill=\"#444\">{4} tasks, {5} edges, {6} layers; work {7}, span {8}, "
      "parallelism {9:.2f}; left to right: a task one layer after its deepest predecessor. "
      "</text>\n",
      id, y, kGraphWidth, height, g.tasks, g.edges, l.layers, short_seconds(g.work_seconds),
      short_seconds(g.span_seconds), g.parallelism);
  // The key: red on the path, then slack up to a fifth of the span and beyond.
  out += fmt::format(
      "<g class=\"slack-key\" font-family=\"sans-serif\" font-size=\"10\" fill=\"#444\">"
      "<circle cx=\"640\" cy=\"11\" r=\"5\" fill=\"{}\"/><text x=\"649\" y=\"15\">critical "
      "(no slack)</text><circle cx=\"760\" cy=\"11\" r=\"5\" fill=\"{}\"/><text x=\"769\" "
      "y=\"15\">slack 10% of span</text><circle cx=\"880\" cy=\"11\" r=\"5\" fill=\"{}\"/>"
      "<text x=\"889\" y=\"15\">20% or more</text></g>\n",
      slack_colour(0.0, 1.0), slack_colour(0.1, 1.0), slack_colour(1.0, 1.0));
  out += "<g class=\"edges\" fill=\"none\">";
  for (std::size_t t = 0; t < after.size(); ++t) {
    for (std::size_t p : after[t]) {
      const bool critical = next_on_path[p] == t;
      out += fmt::format(
          "<line{} x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"{}\" "
          "stroke-width=\"{}\"/>",
          critical ? " class=\"critical\"" : "", x_of(p), y_of(p), x_of(t), y_of(t),
          critical ? "#c0392b" : "#b8b8b8", critical ? "2" : "0.8");
    }
  }
  out += "</g>\n<g class=\"tasks\" font-family=\"sans-serif\" text-anchor=\"middle\">";
  for (std::size_t t = 0; t < after.size(); ++t) {
    const double slack = slack_of(t);
    out += fmt::format(
        "<circle data-task=\"{0}\" data-slack=\"{1:.6f}\" cx=\"{2:.1f}\" cy=\"{3:.1f}\" "
        "r=\"{4:.1f}\" fill=\"{5}\" stroke=\"#333\" stroke-width=\"0.5\"><title>task {0}: {6}, "
        "slack {7}</title></circle>",
        t, slack, x_of(t), y_of(t), radius, slack_colour(slack, g.span_seconds),
        short_seconds(t < durations.size() ? durations[t] : 0.0), short_seconds(slack));
    if (radius >= 6.0) {
      out += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"{:.0f}\">{}</text>", x_of(t),
                         y_of(t) + radius * 0.4, radius * 1.1,
                         task_glyph(static_cast<std::uint32_t>(t)));
    }
  }
  out += "</g>\n</svg>\n";
  return out;
}

}  // namespace parlab::detail
