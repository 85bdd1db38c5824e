// Advice: which model and how many workers, measured within a budget (advise.hpp).

#include <parlab/advise.hpp>
#include <parlab/executor.hpp>
#include <parlab/limits.hpp>
#include <parlab/machine.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <stdexcept>

namespace parlab {
namespace {

constexpr double kStillRising = 1.05;  // a doubling of W must gain 5% to go on
constexpr double kWaits = 0.8;         // CPU share below which the work waits

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t) {
  return std::chrono::duration<double>(clock_type::now() - t).count();
}

/// The worker counts to try: 2, 4, 8, ... with the core count included; up to twice the cores
/// for work that computes, up to the tasks for work that waits.
std::vector<std::size_t> levels(std::size_t tasks, std::size_t cores, bool waits) {
  if (tasks < 2) return {1};
  const std::size_t top =
      std::min({tasks, waits ? limits::max_workers : 2 * std::max<std::size_t>(cores, 1),
                limits::max_workers});
  std::set<std::size_t> ws;
  for (std::size_t w = 2; w <= top; w *= 2) ws.insert(w);
  if (cores >= 2 && cores <= top) ws.insert(cores);
  if (waits) ws.insert(top);  // the last doubling may stop short of the tasks
  if (ws.empty()) ws.insert(top);
  return {ws.begin(), ws.end()};
}

/// The models asked for, else every model built here (for a task graph, those that run one).
std::vector<std::string> models_of(const advise_options& o, bool graph) {
  if (!o.executors.empty()) return o.executors;
  std::vector<std::string> out;
  for (const auto& e : executors()) {
    if (e.available && e.name != "sequential" && (!graph || e.runs_graphs)) {
      out.push_back(e.name);
    }
  }
  return out;
}

std::string percent(double share) { return fmt::format("{:.0f}%", share * 100.0); }

}  // namespace

advice advise(const std::vector<task>& tasks, const advise_options& o) {
  if (tasks.empty()) throw std::invalid_argument("advise: no tasks (give at least one)");
  if (o.repeat == 0 || o.repeat > limits::max_repeat) {
    throw std::invalid_argument(fmt::format("repeat must be a whole number in [1, {}] (got {})",
                                            limits::max_repeat, o.repeat));
  }
  if (!(o.budget.count() > 0.0)) {
    throw std::invalid_argument(
        fmt::format("the budget must be a positive number of seconds (got {})", o.budget.count()));
  }
  const std::vector<std::string> models = models_of(o, has_dependencies(tasks));
  for (const auto& m : models) {
    if (m == "sequential") {
      throw std::invalid_argument("'sequential' is the baseline of every advice (leave it out)");
    }
    if (!find_executor(m).available) {
      throw std::invalid_argument(fmt::format("execution model '{}' is not built here", m));
    }
  }
  const auto started = clock_type::now();
  const std::size_t cores = usable_cores();
  std::vector<measured_run> rows;
  const auto keep = [&](const measured_run& m) {
    rows.push_back(m);
    if (o.progress) o.progress(rows.back());
  };
  experiment_spec spec;
  spec.workload.name = o.label;
  spec.repeat = o.repeat;
  spec.gil_switch_interval = o.gil_switch_interval;
  spec.baseline = true;
  (void)measure_tasks(tasks, spec, keep);
  const measured_run base = rows.front();
  const bool waits = base.cpu_utilisation < kWaits;

  struct progress_of {
    std::string name;
    bool active = true;
    double throughput = 0.0;
    double wall = 0.0;
  };
  std::vector<progress_of> state;
  for (const auto& m : models) state.push_back({m});
  std::vector<std::string> skipped;
  const double budget = o.budget.count();
  for (const std::size_t w : levels(tasks.size(), cores, waits)) {
    for (auto& m : state) {
      if (!m.active) continue;
      try {
        check_machine_allows(m.name, w, tasks.size(), o.label);
      } catch (const std::invalid_argument& e) {
        skipped.push_back(fmt::format("{} at W = {} and above: {}", m.name, w, e.what()));
        m.active = false;
        continue;
      }
      const double wall =
          m.wall > 0 ? m.wall : base.wall_median / static_cast<double>(std::min(w, tasks.size()));
      const double estimate = static_cast<double>(o.repeat + 1) * wall;
      if (seconds_since(started) + estimate > budget) {
        skipped.push_back(fmt::format(
            "{} at W = {} and above: about {:.1f} s more than the budget ({:.0f} s) had left",
            m.name, w, seconds_since(started) + estimate - budget, budget));
        m.active = false;
        continue;
      }
      spec.executors = {m.name};
      spec.workers = w;
      spec.baseline = false;
      const auto measured = measure_tasks(tasks, spec, keep);
      const measured_run& r = measured.front();
      const double x = r.throughput();
      if (r.any_failed()) m.active = false;  // a model that fails tasks is not advised further
      // Past the cores, a doubling that gains less than 5% ends the model's climb.
      if (m.throughput > 0 && w >= cores && x < kStillRising * m.throughput) m.active = false;
      m.throughput = std::max(m.throughput, x);
      m.wall = r.wall_median;
    }
  }
  advise_options named = o;
  named.executors = models;
  advice out = advise_from_rows(rows, named, cores);
  out.skipped = std::move(skipped);
  out.seconds = seconds_since(started);
  return out;
}

advice advise_from_rows(const std::vector<measured_run>& rows, const advise_options& o,
                        std::size_t cores) {
  advice out;
  sweep_spec spec;
  spec.workload.name = o.label;
  spec.repeat = o.repeat;
  spec.gil_switch_interval = o.gil_switch_interval;
  spec.executors = o.executors;
  std::set<std::size_t> ws;
  const measured_run* base = nullptr;
  for (const auto& r : rows) {
    if (r.is_baseline) {
      base = &r;
      spec.workload.tasks = r.tasks;
      continue;
    }
    ws.insert(r.workers);
    if (o.executors.empty() && std::find(spec.executors.begin(), spec.executors.end(),
                                         r.executor) == spec.executors.end()) {
      spec.executors.push_back(r.executor);
    }
  }
  spec.workers.assign(ws.begin(), ws.end());
  out.sweep = analyse_sweep(spec, rows, cores);
  if (base == nullptr) {
    out.answer = "nothing measured yet: no advice";
    return out;
  }
  out.cpu_share = base->cpu_utilisation;
  out.waits = out.cpu_share < kWaits;
  const double base_x = base->throughput();

  // Each model at the W the sweep recommends (the smallest within 5% of its best).
  for (const auto& m : out.sweep.models) {
    if (!m.recommended) continue;
    const auto at = std::find_if(m.points.begin(), m.points.end(),
                                 [&](const sweep_point& p) { return p.workers == *m.recommended; });
    if (at == m.points.end()) continue;
    const sweep_point* pick = &*at;
    model_advice a;
    a.executor = m.executor;
    a.workers = pick->workers;
    a.throughput = pick->throughput;
    a.speedup = base_x > 0 ? pick->throughput / base_x : 0.0;
    a.efficiency = a.speedup / static_cast<double>(a.workers);
    a.spread = pick->spread;
    out.ranked.push_back(a);
  }
  std::sort(out.ranked.begin(), out.ranked.end(), [](const model_advice& a, const model_advice& b) {
    return a.throughput > b.throughput;
  });
  if (out.ranked.empty()) {
    out.answer = "no model finished a point without failed tasks: no advice";
    return out;
  }
  const model_advice& top = out.ranked.front();
  const auto noise = [&](const model_advice& a) { return std::max({top.spread, a.spread, 0.02}); };
  const auto behind = [&](const model_advice& a) { return 1.0 - a.throughput / top.throughput; };

  std::vector<const model_advice*> ties;
  for (std::size_t i = 1; i < out.ranked.size(); ++i) {
    if (behind(out.ranked[i]) <= noise(out.ranked[i])) ties.push_back(&out.ranked[i]);
  }
  if (top.speedup < nothing_gained_speedup) {
    out.answer = fmt::format(
        "run the tasks one after another: no model ran them 5% faster than the sequential run "
        "(best: {} with W = {}, {:.2f}x)",
        top.executor, top.workers, top.speedup);
  } else if (ties.empty()) {
    out.answer = fmt::format("use {} with W = {}: {:.2f}x the sequential run (efficiency {})",
                             top.executor, top.workers, top.speedup, percent(top.efficiency));
  } else {
    ties.insert(ties.begin(), &top);
    double widest = 0.0;
    bool same_w = true;
    for (const auto* t : ties) {
      widest = std::max(widest, noise(*t));
      same_w = same_w && t->workers == top.workers;
    }
    std::string names;
    for (std::size_t i = 0; i < ties.size(); ++i) {
      if (i > 0) names += i + 1 == ties.size() ? " or " : ", ";
      names += ties[i]->executor;
      if (!same_w) names += fmt::format(" (W = {})", ties[i]->workers);
    }
    out.answer = fmt::format(
        "use {}{}: {:.2f}x to {:.2f}x the sequential run, within noise of each other (their "
        "runs differ by up to {}), so this machine cannot rank them",
        names, same_w ? fmt::format(" with W = {}", top.workers) : std::string(),
        ties.back()->speedup, top.speedup, percent(widest));
  }

  const model_advice* processes = nullptr;
  const model_advice* gil = nullptr;
  for (auto& a : out.ranked) {
    const executor_info model = find_executor(a.executor);
    const bool isolates = model.isolates_tasks;
    if (isolates && processes == nullptr) processes = &a;
    if (model.has_interpreter_lock && gil == nullptr) gil = &a;
    a.evidence = a.speedup < nothing_gained_speedup
                     ? fmt::format("no gain over the sequential run: {:.2f}x at best (W = {})",
                                   a.speedup, a.workers)
                     : fmt::format("{:.2f}x at W = {} (efficiency {})", a.speedup, a.workers,
                                   percent(a.efficiency));
    if (&a != &top) {
      const double b = behind(a);
      a.evidence += b <= noise(a) ? fmt::format(", within noise of {}", top.executor)
                                  : fmt::format(", {} behind {}", percent(b), top.executor);
      // What the gap costs per task: the extra wall time over each worker's share of tasks.
      const double per_task =
          (1.0 / a.throughput - 1.0 / top.throughput) * static_cast<double>(a.workers) * 1e3;
      if (isolates && b > noise(a) && per_task > 0) {
        a.evidence += fmt::format(
            ": {:.2f} ms more per task (a process to start, or the task and its result to "
            "send across)",
            per_task);
      }
    }
    if (a.speedup < 1.1 && !out.waits && !model.computes_one_at_a_time.empty()) {
      a.evidence += " - " + model.computes_one_at_a_time;
      if (!model.has_interpreter_lock) {  // nothing to overlap: the work never waits
        a.evidence += fmt::format(", and this work never waits (it computes {} of its time)",
                                  percent(std::min(out.cpu_share, 1.0)));
      }
    }
  }
  if (gil != nullptr) {
    if (!out.waits && gil->speedup < 1.2) {
      out.notes.push_back(fmt::format(
          "in CPython, threads would give about {:.2f}x here (gil-threads emulates its lock): "
          "there, use processes{}",
          gil->speedup,
          processes != nullptr
              ? fmt::format(" ({} reached {:.2f}x)", processes->executor, processes->speedup)
              : std::string()));
    } else if (out.waits && gil->speedup >= nothing_gained_speedup) {
      out.notes.push_back(fmt::format(
          "in CPython, threads would still give about {:.2f}x here (gil-threads emulates its "
          "lock): a thread that waits lets go of it",
          gil->speedup));
    }
  }
  out.notes.push_back(
      out.waits
          ? fmt::format("the work waits: it computed {} of the sequential run's time, so W "
                        "doubled past the {} cores while throughput still rose, up to the {} "
                        "tasks",
                        percent(out.cpu_share), cores, base->tasks)
          : fmt::format("the work computes ({} of the sequential run's time), so W went up to "
                        "twice the {} cores: more workers than cores only take turns",
                        percent(std::min(out.cpu_share, 1.0)), cores));
  return out;
}

}  // namespace parlab
