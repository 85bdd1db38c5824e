// Work, span and the critical path of a task graph's run (pure functions of its records).

#include <parlab/clock.hpp>
#include <parlab/graph_analysis.hpp>

#include <algorithm>

namespace parlab {

longest_path find_longest_path(const task_dependencies& after,
                               const std::vector<double>& durations) {
  const std::size_t n = after.size();
  longest_path out;
  if (n == 0) return out;
  const auto order = topological_order(after);
  // Earliest finish of each task when every task starts as soon as its predecessors end.
  std::vector<double> finish(n, 0.0);
  std::vector<std::size_t> via(n, SIZE_MAX);  // the predecessor that decides its start
  for (const std::size_t i : order) {
    double start = 0.0;
    for (const std::size_t p : after[i]) {
      if (via[i] == SIZE_MAX || finish[p] > start) {
        start = finish[p];
        via[i] = p;
      }
    }
    finish[i] = start + durations[i];
  }
  std::size_t last = 0;
  for (std::size_t i = 1; i < n; ++i) {
    if (finish[i] > finish[last]) last = i;
  }
  out.length = finish[last];
  for (std::size_t at = last; at != SIZE_MAX; at = via[at]) out.path.push_back(at);
  std::reverse(out.path.begin(), out.path.end());
  // Latest finish that keeps the span, backwards; slack is its distance from the earliest.
  const auto next = successors_of(after);
  std::vector<double> latest(n, out.length);
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    for (const std::size_t s : next[*it]) {
      latest[*it] = std::min(latest[*it], latest[s] - durations[s]);
    }
  }
  out.slack.resize(n);
  for (std::size_t i = 0; i < n; ++i) out.slack[i] = std::max(0.0, latest[i] - finish[i]);
  for (const std::size_t i : out.path) out.slack[i] = 0.0;
  return out;
}

std::vector<double> task_durations(const run_result& run) {
  // A task's time is its wall span less what it spent waiting for an interpreter lock (the
  // model's contention: under the emulated GIL a task's span holds the other tasks' compute).
  const std::size_t n = run.records.size();
  std::vector<std::int64_t> gil_wait(n, 0);
  for (const auto& e : run.recorded.events) {
    if (e.kind == event_kind::gil_wait && e.task < n) gil_wait[e.task] += e.end_ns - e.start_ns;
  }
  std::vector<double> out(n, 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    const task_record& r = run.records[i];
    if (r.failure == failure_kind::never_ran) continue;
    out[i] = to_seconds(std::max<std::int64_t>(0, r.end_ns - r.start_ns - gil_wait[i]));
  }
  return out;
}

std::optional<graph_figures> analyse_graph(const run_result& run, std::size_t cores) {
  const std::size_t n = run.after.size();
  if (n == 0 || run.records.size() != n) return std::nullopt;
  graph_figures g;
  g.tasks = n;
  g.edge_bytes = run.edge_bytes;
  g.runner = run.graph_runner;
  const std::vector<double> durations = task_durations(run);
  for (std::size_t i = 0; i < n; ++i) {
    g.edges += run.after[i].size();
    g.work_seconds += durations[i];
  }
  const longest_path lp = find_longest_path(run.after, durations);
  g.span_seconds = lp.length;
  g.critical_path = lp.path;
  g.slack_seconds = lp.slack;
  g.parallelism = g.span_seconds > 0 ? g.work_seconds / g.span_seconds : 0.0;
  g.processors = std::max<std::size_t>(1, std::min(run.workers, std::max<std::size_t>(1, cores)));
  const double p = static_cast<double>(g.processors);
  g.lower_bound_seconds = std::max(g.work_seconds / p, g.span_seconds);
  g.upper_bound_seconds = g.work_seconds / p + g.span_seconds;
  g.wall_seconds = run.wall_seconds();

  // The chain that decided the end, as it ran.
  std::size_t at = 0;
  for (std::size_t i = 1; i < n; ++i) {
    if (run.records[i].end_ns > run.records[at].end_ns) at = i;
  }
  while (true) {
    g.last_chain.push_back(at);
    const task_record& r = run.records[at];
    std::int64_t ready = run.start_ns;
    std::size_t decided_by = SIZE_MAX;
    for (const std::size_t q : run.after[at]) {
      if (decided_by == SIZE_MAX || run.records[q].end_ns > ready) {
        ready = std::max(ready, run.records[q].end_ns);
        decided_by = q;
      }
    }
    g.last_chain_running_seconds += to_seconds(std::max<std::int64_t>(0, r.end_ns - r.start_ns));
    if (decided_by == SIZE_MAX) {
      g.start_seconds = to_seconds(std::max<std::int64_t>(0, r.start_ns - run.start_ns));
      break;
    }
    g.last_chain_waiting_seconds += to_seconds(std::max<std::int64_t>(0, r.start_ns - ready));
    at = decided_by;
  }
  std::reverse(g.last_chain.begin(), g.last_chain.end());
  return g;
}

std::string pipeline_figures::binding() const {
  const double lowest = std::min({serial_limit, token_limit, core_limit});
  if (lowest == token_limit) return "tokens";
  return lowest == serial_limit ? "serial stage" : "cores";
}

std::optional<pipeline_figures> analyse_pipeline(const run_result& run, std::size_t stages,
                                                 std::size_t tokens, std::size_t cores) {
  const std::size_t n = run.records.size();
  if (stages == 0 || n == 0 || n % stages != 0 || run.after.size() != n) return std::nullopt;
  pipeline_figures f;
  f.items = n / stages;
  f.stages = stages;
  f.tokens = tokens;
  const double wall = run.wall_seconds();
  f.throughput = wall > 0 ? static_cast<double>(f.items) / wall : 0.0;
  std::vector<double> stage_mean(stages, 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    stage_mean[i % stages] += to_seconds(run.records[i].end_ns - run.records[i].start_ns);
  }
  double latency = 0.0;
  for (auto& m : stage_mean) {
    m /= static_cast<double>(f.items);
    latency += m;
  }
  const double slowest_serial =
      stages == 1 ? stage_mean[0] : std::max(stage_mean.front(), stage_mean.back());
  f.serial_limit = slowest_serial > 0 ? 1.0 / slowest_serial : 0.0;
  f.token_limit = latency > 0 ? static_cast<double>(tokens) / latency : 0.0;
  const auto p = static_cast<double>(std::max<std::size_t>(1, std::min(run.workers, cores)));
  f.core_limit = latency > 0 ? p / latency : 0.0;
  double area = 0.0;
  std::size_t now = 0;
  std::int64_t last = run.start_ns;
  for (const step_point& s : items_in_flight(run, stages)) {
    area += static_cast<double>(now) * to_seconds(s.t_ns - last);
    last = s.t_ns;
    now = s.count;
    f.peak_in_flight = std::max(f.peak_in_flight, now);
  }
  f.mean_in_flight = wall > 0 ? area / wall : 0.0;
  return f;
}

std::vector<step_point> items_in_flight(const run_result& run, std::size_t stages) {
  const std::size_t n = run.records.size();
  if (stages == 0 || n == 0 || n % stages != 0) return {};
  std::vector<std::pair<std::int64_t, int>> changes;
  for (std::size_t first = 0; first < n; first += stages) {
    std::int64_t enter = INT64_MAX;
    std::int64_t leave = INT64_MIN;
    for (std::size_t k = first; k < first + stages; ++k) {
      const task_record& r = run.records[k];
      if (r.failure == failure_kind::never_ran) continue;
      enter = std::min(enter, r.start_ns);
      leave = std::max(leave, r.end_ns);
    }
    if (enter > leave) continue;  // none of its tasks ran
    changes.emplace_back(enter, +1);
    changes.emplace_back(leave, -1);
  }
  std::sort(changes.begin(), changes.end());  // a leave sorts before an enter at the same instant
  std::vector<step_point> out;
  std::size_t now = 0;
  for (const auto& [t, delta] : changes) {
    now = delta > 0 ? now + 1 : now - 1;
    if (!out.empty() && out.back().t_ns == t) {
      out.back().count = now;
    } else {
      out.push_back({t, now});
    }
  }
  return out;
}

}  // namespace parlab
