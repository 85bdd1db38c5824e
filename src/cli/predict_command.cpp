// parlab predict: a task graph on 1 to 1024 virtual workers under each model's measured costs,
// checked against real runs of the same graph at W = 1 and W = cores in the same invocation.

#include "cli/commands.hpp"
#include "cli/outputs.hpp"
#include "cli/session.hpp"

#include <parlab/experiment.hpp>
#include <parlab/graph_analysis.hpp>
#include <parlab/interrupt.hpp>
#include <parlab/limits.hpp>
#include <parlab/machine.hpp>
#include <parlab/overhead.hpp>
#include <parlab/pictures.hpp>
#include <parlab/predict.hpp>
#include <parlab/report.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>

namespace parlab::cli {
namespace {

constexpr std::uintmax_t kMaxInputBytes = std::uintmax_t{1} << 30U;  // as report reads
const std::vector<std::string> kDefaultModels{"threads", "thread-pool", "process-pool"};

/// What the task times come from: the graph's edges, each task's time and label.
struct measured_graph {
  task_dependencies after;
  std::vector<double> durations;
  std::vector<std::string> labels;
  std::string name;
  std::string from;
};

/// A saved result's graph run (the sequential row's when there is one): its records' times.
std::optional<measured_graph> from_saved_result(const std::string& text, const std::string& path) {
  if (text.find("\"parlab.result/1\"") == std::string::npos) return std::nullopt;
  const saved_result saved = read_result_json(text);
  const measured_run* best = nullptr;
  for (const auto& r : saved.runs) {
    if (r.representative.after.empty() || r.representative.records.empty()) continue;
    if (best == nullptr || r.executor == "sequential") best = &r;
  }
  if (best == nullptr) {
    throw usage_error(fmt::format(
        "predict: '{}' has no task graph with records (save one with parlab run -w SHAPE --json "
        "PATH --records)",
        path));
  }
  measured_graph g;
  g.after = best->representative.after;
  g.durations = task_durations(best->representative);
  g.name = fmt::format("{} ({} tasks, saved)", best->workload, g.after.size());
  g.from = fmt::format("the {} W={} run saved in {}", best->executor, best->workers, path);
  return g;
}

/// A graph file whose every task gives duration_ms: predicted only.
std::optional<measured_graph> from_durations(const std::string& text, const std::string& path) {
  const auto tasks = parse_graph_file(text, path);
  if (std::any_of(tasks.begin(), tasks.end(),
                  [](const graph_file_task& t) { return !t.duration_ms; })) {
    return std::nullopt;  // tasks to run: measured like --graph
  }
  measured_graph g;
  std::map<std::string, std::size_t> index;
  for (std::size_t k = 0; k < tasks.size(); ++k) index.emplace(tasks[k].id, k);
  for (const auto& t : tasks) {
    auto& preds = g.after.emplace_back();
    for (const auto& p : t.after) preds.push_back(index.at(p));
    g.durations.push_back(*t.duration_ms / 1e3);
    g.labels.push_back(t.id);
  }
  g.name = fmt::format("{} ({} tasks)", path, tasks.size());
  g.from = fmt::format("duration_ms in {}", path);
  return g;
}

/// "TASK:PCT": TASK an id or a label.
std::pair<std::size_t, double> parse_faster(const std::string& text,
                                            const std::vector<std::string>& labels,
                                            std::size_t tasks) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    throw usage_error(
        fmt::format("--faster takes TASK:PCT, e.g. 3:50 or link:25 (got '{}')", text));
  }
  const std::string name = text.substr(0, colon);
  const double pct = parse_number(text.substr(colon + 1), "--faster (percent)", 0.0, 100.0, true);
  const auto label = std::find(labels.begin(), labels.end(), name);
  if (label != labels.end()) {
    return {static_cast<std::size_t>(label - labels.begin()), pct};
  }
  std::size_t id = 0;
  const auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), id);
  if (ec != std::errc{} || end != name.data() + name.size() || id >= tasks) {
    throw usage_error(fmt::format(
        "--faster: no task '{}' in the graph (give a label or an id in 0-{})", name, tasks - 1));
  }
  return {id, pct};
}

/// The task typical of the work, which co-running is measured with: where the tasks' times,
/// summed longest first, pass half of the work.
std::size_t typical_task(const std::vector<double>& durations) {
  std::vector<std::size_t> order(durations.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return durations[a] > durations[b]; });
  double work = 0.0;
  for (const double d : durations) work += d;
  double summed = 0.0;
  for (const std::size_t i : order) {
    summed += durations[i];
    if (summed >= work / 2) return i;
  }
  return order.empty() ? 0 : order.back();
}

}  // namespace

int command_predict(const predict_command& c) {
  const outputs checked(c.run.outputs, inputs_of(c.run));
  const output_target json{c.run.outputs.json};
  std::FILE* human = checked.human();
  const std::size_t most =
      c.max_workers ? parse_count(*c.max_workers, "--max-workers", 1, limits::max_workers) : 1024;
  const std::size_t cores = usable_cores();
  const std::vector<std::string> models =
      c.run.executors ? split_names(*c.run.executors, "--executor") : kDefaultModels;
  for (const auto& m : models) {
    if (m == "sequential") throw usage_error("-e: sequential is what the task times come from");
    if (!find_executor(m).runs_graphs) {
      throw usage_error(fmt::format("{} does not run task graphs (models that do: {})", m,
                                    models_running_graphs()));
    }
  }

  std::optional<measured_graph> graph;
  run_command r = c.run;
  if (c.file) {
    if (c.run.graph) throw usage_error("give a FILE or --graph FILE, not both");
    const std::string text =
        read_input_file(*c.file, kMaxInputBytes, "predict", "a graph file or a saved result");
    graph = from_saved_result(text, *c.file);
    if (!graph) graph = from_durations(text, *c.file);
    if (!graph) r.graph = c.file;  // its tasks compute and wait: run them to measure
  }
  std::optional<experiment_spec> spec;
  if (!graph) {
    r.executors.reset();
    std::string names;
    for (const auto& m : models) names += (names.empty() ? "" : ",") + m;
    r.executors = names;
    r.workers = "1";
    spec = run_spec(r);
    if (!find_workload(spec->workload.name).graph) {
      throw usage_error(fmt::format(
          "predict: workload '{}' is not a task graph (give -w chain, fork-join, map-reduce, "
          "wavefront, pipeline, layered, or --graph FILE)",
          spec->workload.name));
    }
    if (!c.no_check) {
      for (const auto& e : spec->executors) {
        check_machine_allows(e, cores, spec->workload.tasks, spec->workload.name);
      }
    }
  }

  // What is measured, in this order, so that an interrupt keeps the most: each model's costs;
  // the sequential run (the task times) and each model at W = 1; the co-running slowdown; each
  // model at W = cores.
  std::vector<model_costs> costs;
  // By model: the median wall of its real runs, and how many.
  std::map<std::string, std::pair<double, std::size_t>> measured_one;
  std::map<std::string, std::pair<double, std::size_t>> measured_cores;
  co_running corun;
  corun.cores = cores;
  const auto predict = [&](bool interrupted) {
    graph_prediction p = describe_for_prediction(graph->after, graph->durations);
    p.graph = graph->name;
    p.durations_from = graph->from;
    p.labels = graph->labels;
    p.corun = corun;
    p.interrupted = interrupted;
    const auto workers = prediction_workers(cores, most);
    for (const auto& mc : costs) {
      model_prediction mp;
      mp.costs = mc;
      mp.burdened = burden(graph->after, graph->durations, mp.costs);
      mp.points = predict_curve(graph->after, graph->durations, workers, mp.costs, corun);
      for (const auto& [w, seen] :
           {std::pair{std::size_t{1}, &measured_one}, std::pair{cores, &measured_cores}}) {
        const auto it = seen->find(mc.executor);
        if (it == seen->end()) continue;
        mp.checks.push_back({w,
                             simulate_makespan(graph->after, graph->durations, w, mp.costs, corun),
                             it->second.first, it->second.second});
      }
      p.models.push_back(std::move(mp));
    }
    return p;
  };
  try {
    // Each model's cost along an edge: a chain of empty tasks (handing on as much data per task
    // as the graph, when it hands any).
    const std::size_t data = spec ? data_per_task(make_workload(spec->workload)) : 0;
    for (const auto& m : models) {
      costs.push_back(costs_of(measure_overhead(m, 100, 5, probe_shape::chain, data)));
    }
    if (spec) {
      spec->keep_records = true;
      spec->baseline = true;
      if (c.no_check) spec->executors.clear();
      print_to(human, fmt::format("measuring {} ({} tasks): the sequential run{}\n",
                                  spec->workload.name, spec->workload.tasks,
                                  c.no_check ? "" : ", then each model at W = 1 and W = cores"));
      const auto tasks = make_workload(spec->workload);
      experiment_spec sequential = *spec;
      sequential.executors.clear();
      (void)run_experiment(sequential, [&](const measured_run& m) {
        measured_graph g;
        g.after = m.representative.after;
        g.durations = task_durations(m.representative);
        for (const auto& t : tasks) g.labels.push_back(t.label);
        g.name =
            spec->workload.name == "graph"
                ? fmt::format("{} ({} tasks)", spec->workload.graph_source, spec->workload.tasks)
                : fmt::format("{} ({} tasks)", spec->workload.name, spec->workload.tasks);
        g.from = fmt::format("the sequential run here, median of {}", spec->repeat);
        graph = std::move(g);
        // The checks: a short graph's real runs repeated until about 0.6 s of them (at most 15),
        // so that one slow run in a few cannot be the median; -r decides when given.
        if (!c.run.repeat && m.wall_median > 0) {
          spec->repeat = std::clamp<std::size_t>(
              static_cast<std::size_t>(std::ceil(0.6 / m.wall_median)), spec->repeat, 15);
        }
      });
      if (!c.no_check) {
        spec->baseline = false;
        spec->keep_records = false;
        (void)run_experiment(*spec, [&](const measured_run& m) {
          measured_one[m.executor] = {m.wall_median, m.wall_samples.size()};
        });
      }
      if (!tasks.empty()) {
        const std::size_t typical = typical_task(graph->durations);
        corun = measure_co_running(tasks[typical], graph->durations[typical], cores);
      }
      if (!c.no_check) {
        spec->workers = cores;
        (void)run_experiment(*spec, [&](const measured_run& m) {
          measured_cores[m.executor] = {m.wall_median, m.wall_samples.size()};
        });
      }
    }
  } catch (const interrupted& e) {
    if (!graph || costs.size() < models.size()) {
      stop_keeping(
          e, [] {}, "nothing to predict from yet (the sequential run had not ended)");
    }
    stop_keeping(
        e,
        [&] {
          graph_prediction p = predict(true);
          print_to(human, format_prediction(p));
          if (json.requested()) json.write(prediction_to_json(describe_machine(), p));
        },
        "the prediction from what was measured before it kept");
  }
  graph_prediction p = predict(false);
  // What if: the tasks asked for, else the longest on the critical path and the longest off it.
  std::vector<std::pair<std::size_t, double>> asked;
  for (const auto& f : c.faster) asked.push_back(parse_faster(f, p.labels, p.tasks));
  if (asked.empty()) {
    const auto on_path = [&](std::size_t i) {
      return std::find(p.critical_path.begin(), p.critical_path.end(), i) != p.critical_path.end();
    };
    std::optional<std::size_t> longest_on;
    std::optional<std::size_t> longest_off;
    for (std::size_t i = 0; i < p.tasks; ++i) {
      auto& slot = on_path(i) ? longest_on : longest_off;
      if (!slot || graph->durations[i] > graph->durations[*slot]) slot = i;
    }
    if (longest_on) asked.emplace_back(*longest_on, 50.0);
    if (longest_off) asked.emplace_back(*longest_off, 50.0);
  }
  const model_costs& first = p.models.front().costs;
  for (const auto& [task, pct] : asked) {
    p.what_ifs.push_back(predict_faster(graph->after, graph->durations, task, pct,
                                        std::min(cores, most), first, corun));
  }
  print_to(human, format_prediction(p));
  if (json.requested()) json.write(prediction_to_json(describe_machine(), p));
  return 0;
}

}  // namespace parlab::cli
