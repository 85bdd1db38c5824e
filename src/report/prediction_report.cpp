// parlab predict's outputs: the text and the parlab.prediction/1 document.

#include <parlab/report.hpp>

#include "report/drawing.hpp"
#include "report/machine_json.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>

namespace parlab {
namespace {

using detail::short_seconds;

std::string task_name(const graph_prediction& p, std::size_t i) {
  if (i < p.labels.size() && !p.labels[i].empty()) return fmt::format("'{}'", p.labels[i]);
  return fmt::format("task {}", i);
}

}  // namespace

std::string format_prediction(const graph_prediction& p) {
  std::string out = fmt::format(
      "prediction for {}: {} tasks, {} edges; work {}, span {}, parallelism {:.2f} (task times "
      "from {})\n",
      p.graph, p.tasks, p.edges, short_seconds(p.work_seconds), short_seconds(p.span_seconds),
      p.parallelism, p.durations_from);
  std::string path;
  for (std::size_t k = 0; k < p.critical_path.size() && k < 12; ++k) {
    path += (k == 0 ? "" : " -> ") + task_name(p, p.critical_path[k]);
  }
  if (p.critical_path.size() > 12)
    path += fmt::format(" -> ... ({} tasks)", p.critical_path.size());
  out += fmt::format("critical path: {}\n", path);
  if (p.models.empty()) return out;
  out +=
      "model costs (measured here with a chain of empty tasks, W = 1; per task = one hand-over "
      "along an edge): ";
  for (std::size_t m = 0; m < p.models.size(); ++m) {
    const model_costs& c = p.models[m].costs;
    out += fmt::format(
        "{}{} start {}, per task {}, finish {}{}", m == 0 ? "" : "; ", c.executor,
        short_seconds(c.start_seconds), short_seconds(c.per_task_seconds),
        short_seconds(c.finish_seconds),
        c.schedule == scheduling::work_stealing ? " (simulated with work stealing)" : "");
  }
  out += "\n";
  if (p.corun.measured_with.empty()) {
    out += "co-running: not measured (no task programs to run here); tasks never slow each other\n";
  } else if (p.corun.cores < 2) {
    out += "co-running: one core here, nothing runs at once; tasks never slow each other\n";
  } else {
    out += fmt::format(
        "co-running: {} copies of {} at once took {:.1f}% longer each than one alone; applied "
        "in proportion to the tasks running at once ({:+.1f}% at {} or more)\n",
        p.corun.cores, p.corun.measured_with, (p.corun.slowdown - 1.0) * 100.0,
        (p.corun.slowdown - 1.0) * 100.0, p.corun.cores);
  }
  for (const auto& m : p.models) {
    out += fmt::format(
        "burdened by {}'s per-task cost: work {} (+{:.0f}%), span {}, parallelism {:.2f}\n",
        m.costs.executor, short_seconds(m.burdened.work_seconds), m.burdened.overhead_share * 100.0,
        short_seconds(m.burdened.span_seconds), m.burdened.parallelism);
  }
  out += "\n";
  // The curve: one column per model, Brent's bounds (costs not counted) last.
  out += fmt::format("{:>6}", "P");
  for (const auto& m : p.models) out += fmt::format("  {:>22}", m.costs.executor);
  out += fmt::format("  {:>22}\n", "Brent bounds");
  const auto& first = p.models.front().points;
  for (std::size_t k = 0; k < first.size(); ++k) {
    out += fmt::format("{:>6}", first[k].workers);
    for (const auto& m : p.models) {
      const auto& pt = m.points[k];
      out += fmt::format("  {:>22}",
                         fmt::format("{} {:.2f}x", short_seconds(pt.makespan_seconds), pt.speedup));
    }
    out += fmt::format("  {:>22}\n",
                       fmt::format("[{}, {}]", short_seconds(first[k].brent_lower_seconds),
                                   short_seconds(first[k].brent_upper_seconds)));
  }
  if (p.interrupted) {
    out += "\ninterrupted: the checks below are the real runs that ended before the signal\n";
  }
  bool any_check = false;
  for (const auto& m : p.models) any_check = any_check || !m.checks.empty();
  if (any_check) {
    out += "\nchecked against real runs in this invocation (median wall of the runs):\n";
    for (const auto& m : p.models) {
      for (const auto& c : m.checks) {
        out += fmt::format(
            "  {:<13} W={:<3} predicted {:>9}, measured {:>9} ({} run{}): error {:+.1f}%\n",
            m.costs.executor, c.workers, short_seconds(c.predicted_seconds),
            short_seconds(c.measured_seconds), c.runs, c.runs == 1 ? "" : "s", c.error() * 100.0);
      }
    }
  }
  if (!p.what_ifs.empty()) {
    out += "\nwhat if (from the graph, without running it):\n";
    for (const auto& w : p.what_ifs) {
      const double change = w.makespan_before_seconds > 0
                                ? w.makespan_after_seconds / w.makespan_before_seconds - 1.0
                                : 0.0;
      out += fmt::format(
          "  {} {:.0f}% faster ({}): span {} -> {}, {} on P={}: {} -> {} ({:+.1f}%)\n",
          task_name(p, w.task), w.percent,
          w.on_critical_path
              ? "on the critical path"
              : fmt::format("off the critical path, slack {}", short_seconds(w.slack_seconds)),
          short_seconds(w.span_before_seconds), short_seconds(w.span_after_seconds),
          p.models.empty() ? "" : p.models.front().costs.executor, w.workers,
          short_seconds(w.makespan_before_seconds), short_seconds(w.makespan_after_seconds),
          change * 100.0);
    }
  }
  return out;
}

std::string prediction_to_json(const machine_info& machine, const graph_prediction& p, int indent) {
  using json = nlohmann::ordered_json;
  json doc;
  doc["schema"] = "parlab.prediction/1";
  doc["parlab_version"] = PARLAB_VERSION;
  doc["build"] = detail::build_to_json();
  doc["machine"] = detail::machine_to_json(machine);
  doc["graph"] = {{"name", p.graph},
                  {"durations_from", p.durations_from},
                  {"tasks", p.tasks},
                  {"edges", p.edges},
                  {"work_seconds", p.work_seconds},
                  {"span_seconds", p.span_seconds},
                  {"parallelism", p.parallelism},
                  {"critical_path", p.critical_path}};
  doc["interrupted"] = p.interrupted;
  doc["co_running"] = {
      {"cores", p.corun.cores},
      {"slowdown", p.corun.slowdown},
      {"measured_with",
       p.corun.measured_with.empty() ? json(nullptr) : json(p.corun.measured_with)}};
  json models = json::array();
  for (const auto& m : p.models) {
    json points = json::array();
    for (const auto& pt : m.points) {
      points.push_back({{"workers", pt.workers},
                        {"makespan_seconds", pt.makespan_seconds},
                        {"speedup", pt.speedup},
                        {"brent_lower_seconds", pt.brent_lower_seconds},
                        {"brent_upper_seconds", pt.brent_upper_seconds}});
    }
    json checks = json::array();
    for (const auto& c : m.checks) {
      checks.push_back({{"workers", c.workers},
                        {"predicted_seconds", c.predicted_seconds},
                        {"measured_seconds", c.measured_seconds},
                        {"runs", c.runs},
                        {"error", c.error()}});
    }
    models.push_back({{"executor", m.costs.executor},
                      {"scheduling", m.costs.schedule == scheduling::work_stealing ? "work_stealing"
                                                                                   : "one_queue"},
                      {"costs",
                       {{"start_seconds", m.costs.start_seconds},
                        {"per_task_seconds", m.costs.per_task_seconds},
                        {"finish_seconds", m.costs.finish_seconds}}},
                      {"burdened",
                       {{"work_seconds", m.burdened.work_seconds},
                        {"span_seconds", m.burdened.span_seconds},
                        {"parallelism", m.burdened.parallelism},
                        {"overhead_share", m.burdened.overhead_share}}},
                      {"points", std::move(points)},
                      {"checks", std::move(checks)}});
  }
  doc["models"] = std::move(models);
  json what = json::array();
  for (const auto& w : p.what_ifs) {
    what.push_back({{"task", w.task},
                    {"label", w.task < p.labels.size() ? p.labels[w.task] : std::string()},
                    {"percent", w.percent},
                    {"on_critical_path", w.on_critical_path},
                    {"slack_seconds", w.slack_seconds},
                    {"span_before_seconds", w.span_before_seconds},
                    {"span_after_seconds", w.span_after_seconds},
                    {"workers", w.workers},
                    {"makespan_before_seconds", w.makespan_before_seconds},
                    {"makespan_after_seconds", w.makespan_after_seconds}});
  }
  doc["what_if"] = std::move(what);
  return doc.dump(indent, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace parlab
