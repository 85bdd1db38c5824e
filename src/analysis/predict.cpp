// Predictions for a task graph: greedy list scheduling on P virtual workers under a model's
// measured costs (pure).

#include <parlab/predict.hpp>

#include <algorithm>
#include <functional>
#include <queue>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>

namespace parlab {

model_costs costs_of(const overhead_figures& measured) {
  model_costs c;
  c.executor = measured.executor;
  c.per_task_seconds = std::max(0.0, measured.per_task_ns) / 1e9;
  // The first task's start includes one dispatch, which the simulation charges to the task.
  c.start_seconds = std::max(0.0, measured.start_ns / 1e9 - c.per_task_seconds);
  c.finish_seconds = std::max(0.0, measured.finish_ns) / 1e9;
  return c;
}

double simulate_makespan(const task_dependencies& after, const std::vector<double>& durations,
                         std::size_t workers, const model_costs& costs) {
  const std::size_t n = after.size();
  if (workers == 0) throw std::invalid_argument("simulate_makespan: workers must be at least 1");
  if (durations.size() != n) {
    throw std::invalid_argument("simulate_makespan: one duration per task");
  }
  if (n == 0) return 0.0;
  const auto next = successors_of(after);
  std::vector<std::size_t> waiting(n);
  // Ready tasks by (when they became ready, id); completions by time.
  using ready_entry = std::pair<double, std::size_t>;
  std::priority_queue<ready_entry, std::vector<ready_entry>, std::greater<>> ready;
  std::priority_queue<ready_entry, std::vector<ready_entry>, std::greater<>> running;
  for (std::size_t i = 0; i < n; ++i) {
    waiting[i] = after[i].size();
    if (waiting[i] == 0) ready.emplace(0.0, i);
  }
  double now = 0.0;
  double end = 0.0;
  std::size_t free = std::min(workers, n);
  std::size_t done = 0;
  while (done < n) {
    while (free > 0 && !ready.empty()) {
      const std::size_t i = ready.top().second;
      ready.pop();
      --free;
      running.emplace(now + costs.per_task_seconds + std::max(0.0, durations[i]), i);
    }
    if (running.empty()) break;  // a cycle (never for a checked graph)
    now = running.top().first;
    while (!running.empty() && running.top().first <= now) {
      const std::size_t i = running.top().second;
      running.pop();
      ++free;
      ++done;
      end = std::max(end, now);
      for (const std::size_t s : next[i]) {
        if (--waiting[s] == 0) ready.emplace(now, s);
      }
    }
  }
  return costs.start_seconds + end + costs.finish_seconds;
}

std::vector<predicted_point> predict_curve(const task_dependencies& after,
                                           const std::vector<double>& durations,
                                           const std::vector<std::size_t>& workers,
                                           const model_costs& costs) {
  double work = 0.0;
  for (const double d : durations) work += d;
  const double span = find_longest_path(after, durations).length;
  std::vector<predicted_point> out;
  for (const std::size_t p : workers) {
    predicted_point pt;
    pt.workers = p;
    pt.makespan_seconds = simulate_makespan(after, durations, p, costs);
    pt.speedup = pt.makespan_seconds > 0 ? work / pt.makespan_seconds : 0.0;
    pt.brent_lower_seconds = std::max(work / static_cast<double>(p), span);
    pt.brent_upper_seconds = work / static_cast<double>(p) + span;
    out.push_back(pt);
  }
  return out;
}

std::vector<std::size_t> prediction_workers(std::size_t cores, std::size_t most) {
  std::vector<std::size_t> out;
  for (std::size_t p = 1; p <= most; p *= 2) out.push_back(p);
  if (cores >= 1 && cores <= most && std::find(out.begin(), out.end(), cores) == out.end()) {
    out.insert(std::upper_bound(out.begin(), out.end(), cores), cores);
  }
  return out;
}

what_if predict_faster(const task_dependencies& after, const std::vector<double>& durations,
                       std::size_t task, double percent, std::size_t workers,
                       const model_costs& costs) {
  if (task >= durations.size()) {
    throw std::invalid_argument("--faster: task " + std::to_string(task) +
                                " is not in the graph (ids 0-" +
                                std::to_string(durations.empty() ? 0 : durations.size() - 1) + ")");
  }
  if (!(percent > 0.0 && percent <= 100.0)) {
    throw std::invalid_argument("--faster: the share must be in (0, 100] percent");
  }
  what_if w;
  w.task = task;
  w.percent = percent;
  w.workers = workers;
  const longest_path before = find_longest_path(after, durations);
  w.on_critical_path = std::find(before.path.begin(), before.path.end(), task) != before.path.end();
  w.slack_seconds = before.slack[task];
  w.span_before_seconds = before.length;
  std::vector<double> faster = durations;
  faster[task] *= 1.0 - percent / 100.0;
  w.span_after_seconds = find_longest_path(after, faster).length;
  w.makespan_before_seconds = simulate_makespan(after, durations, workers, costs);
  w.makespan_after_seconds = simulate_makespan(after, faster, workers, costs);
  return w;
}

burdened_figures burden(const task_dependencies& after, const std::vector<double>& durations,
                        const model_costs& costs) {
  burdened_figures b;
  double work = 0.0;
  std::vector<double> burdened(durations.size());
  for (std::size_t i = 0; i < durations.size(); ++i) {
    work += durations[i];
    burdened[i] = durations[i] + costs.per_task_seconds;
  }
  const double added = static_cast<double>(durations.size()) * costs.per_task_seconds;
  b.work_seconds = work + added;
  b.span_seconds = find_longest_path(after, burdened).length;
  b.parallelism = b.span_seconds > 0 ? b.work_seconds / b.span_seconds : 0.0;
  b.overhead_share = work > 0 ? added / work : 0.0;
  return b;
}

graph_prediction describe_for_prediction(const task_dependencies& after,
                                         const std::vector<double>& durations) {
  graph_prediction g;
  g.tasks = after.size();
  for (const auto& a : after) g.edges += a.size();
  for (const double d : durations) g.work_seconds += d;
  const longest_path lp = find_longest_path(after, durations);
  g.span_seconds = lp.length;
  g.critical_path = lp.path;
  g.parallelism = g.span_seconds > 0 ? g.work_seconds / g.span_seconds : 0.0;
  return g;
}

}  // namespace parlab
