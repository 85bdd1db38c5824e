// Predictions for a task graph: greedy list scheduling (one queue, or work stealing) on P virtual
// workers under a model's measured costs and the machine's co-running slowdown (pure).

#include <parlab/predict.hpp>

#include <parlab/executor.hpp>

#include <algorithm>
#include <deque>
#include <functional>
#include <queue>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>

namespace parlab {

std::string_view to_string(scheduling s) noexcept {
  return s == scheduling::work_stealing ? "work stealing" : "one queue";
}

model_costs costs_of(const overhead_figures& measured) {
  model_costs c;
  c.executor = measured.executor;
  c.per_task_seconds = std::max(0.0, measured.per_task_ns) / 1e9;
  // The first task's start includes one dispatch, which the simulation charges to the task.
  c.start_seconds = std::max(0.0, measured.start_ns / 1e9 - c.per_task_seconds);
  c.finish_seconds = std::max(0.0, measured.finish_ns) / 1e9;
  c.schedule = find_executor(measured.executor).steals_work ? scheduling::work_stealing
                                                            : scheduling::one_queue;
  return c;
}

double co_running::at(std::size_t k) const noexcept {
  if (k <= 1 || slowdown <= 1.0 || cores <= 1) return 1.0;
  if (k >= cores) return slowdown;
  return 1.0 + (slowdown - 1.0) * static_cast<double>(k - 1) / static_cast<double>(cores - 1);
}

namespace {

/// The ready tasks of a simulation, taken under one of the two schedulings.
class ready_tasks {
 public:
  ready_tasks(scheduling s, std::size_t workers) : schedule_(s) {
    if (s == scheduling::work_stealing) deques_.resize(workers);
  }
  /// Task `i` became ready at `now`, released by `worker` (the sources: worker 0).
  void add(std::size_t i, double now, std::size_t worker) {
    ++count_;
    if (schedule_ == scheduling::one_queue) {
      queue_.emplace(now, i);
    } else {
      deques_[worker].push_back(i);
    }
  }
  [[nodiscard]] bool empty() const noexcept { return count_ == 0; }
  /// The task free worker `w` takes; the caller checked !empty().
  std::size_t take(std::size_t w) {
    --count_;
    if (schedule_ == scheduling::one_queue) {
      const std::size_t i = queue_.top().second;
      queue_.pop();
      return i;
    }
    if (!deques_[w].empty()) {  // its own newest
      const std::size_t i = deques_[w].back();
      deques_[w].pop_back();
      return i;
    }
    // Another's oldest: victims from a pseudo-random start, the first that has any.
    const std::size_t n = deques_.size();
    victim_seed_ = victim_seed_ * 6364136223846793005ULL + 1442695040888963407ULL;
    const std::size_t first = static_cast<std::size_t>(victim_seed_ >> 33U) % n;
    for (std::size_t k = 0; k < n; ++k) {
      auto& d = deques_[(first + k) % n];
      if (d.empty()) continue;
      const std::size_t i = d.front();
      d.pop_front();
      return i;
    }
    throw std::logic_error("ready_tasks: nothing to take");
  }

 private:
  using ready_entry = std::pair<double, std::size_t>;
  scheduling schedule_;
  std::size_t count_ = 0;
  std::priority_queue<ready_entry, std::vector<ready_entry>, std::greater<>> queue_;
  std::vector<std::deque<std::size_t>> deques_;
  std::uint64_t victim_seed_ = 0x9E3779B97F4A7C15ULL;
};

}  // namespace

double simulate_makespan(const task_dependencies& after, const std::vector<double>& durations,
                         std::size_t workers, const model_costs& costs, const co_running& corun) {
  const std::size_t n = after.size();
  if (workers == 0) throw std::invalid_argument("simulate_makespan: workers must be at least 1");
  if (durations.size() != n) {
    throw std::invalid_argument("simulate_makespan: one duration per task");
  }
  if (n == 0) return 0.0;
  workers = std::min(workers, n);
  const auto next = successors_of(after);
  std::vector<std::size_t> waiting(n);
  ready_tasks ready(costs.schedule, workers);
  for (std::size_t i = 0; i < n; ++i) {
    waiting[i] = after[i].size();
    if (waiting[i] == 0) ready.add(i, 0.0, 0);
  }
  // Every running task advances at the same rate, 1 / corun.at(k) with k running: in "work
  // done" (progress) a task ends after its cost and duration, and the clock runs faster than
  // progress by that factor. Running tasks by the progress they end at, then task id.
  struct running_task {
    double ends_at;
    std::size_t task;
    std::size_t worker;
    bool operator>(const running_task& o) const noexcept {
      return std::tie(ends_at, task) > std::tie(o.ends_at, o.task);
    }
  };
  std::priority_queue<running_task, std::vector<running_task>, std::greater<>> running;
  std::vector<std::size_t> free_workers(workers);  // ascending: the lowest takes first
  for (std::size_t w = 0; w < workers; ++w) free_workers[w] = workers - 1 - w;
  double now = 0.0;       // the clock
  double progress = 0.0;  // work done by each running task since the start
  std::size_t done = 0;
  while (done < n) {
    while (!free_workers.empty() && !ready.empty()) {
      const std::size_t w = free_workers.back();
      free_workers.pop_back();
      const std::size_t i = ready.take(w);
      running.push({progress + costs.per_task_seconds + std::max(0.0, durations[i]), i, w});
    }
    if (running.empty()) break;  // a cycle (never for a checked graph)
    const double stretch = corun.at(running.size());
    const double ends_at = running.top().ends_at;
    now += (ends_at - progress) * stretch;
    progress = ends_at;
    std::vector<std::size_t> freed;
    while (!running.empty() && running.top().ends_at <= progress) {
      const running_task r = running.top();
      running.pop();
      ++done;
      freed.push_back(r.worker);
      for (const std::size_t s : next[r.task]) {
        if (--waiting[s] == 0) ready.add(s, now, r.worker);
      }
    }
    free_workers.insert(free_workers.end(), freed.begin(), freed.end());
    std::sort(free_workers.begin(), free_workers.end(), std::greater<>());
  }
  return costs.start_seconds + now + costs.finish_seconds;
}

std::vector<predicted_point> predict_curve(const task_dependencies& after,
                                           const std::vector<double>& durations,
                                           const std::vector<std::size_t>& workers,
                                           const model_costs& costs, const co_running& corun) {
  double work = 0.0;
  for (const double d : durations) work += d;
  const double span = find_longest_path(after, durations).length;
  std::vector<predicted_point> out;
  for (const std::size_t p : workers) {
    predicted_point pt;
    pt.workers = p;
    pt.makespan_seconds = simulate_makespan(after, durations, p, costs, corun);
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
                       const model_costs& costs, const co_running& corun) {
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
  w.makespan_before_seconds = simulate_makespan(after, durations, workers, costs, corun);
  w.makespan_after_seconds = simulate_makespan(after, faster, workers, costs, corun);
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
