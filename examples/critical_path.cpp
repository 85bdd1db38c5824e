// critical_path: only the longest chain decides when a graph ends.
//
// Claim: in a task graph run on enough workers, making a task off the critical path faster does
// not make the run end sooner (it has slack to spare), while making a task on the path faster
// does, by about what it saved. parlab predicts both from the graph, without running it; then
// it runs all three graphs and the measurements agree.
//
//   a1 -> a2 -> a3 -\                      (the critical path: a1 a2 a3 join)
//                    join
//   b  -------------/                      (b has slack: a1 + a2 + a3 - b)
//
// Run: critical_path [--quick] [--timeline] [--svg PATH]

#include "example.hpp"

#include <parlab/parlab.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace parlab::examples {
namespace {

/// The graph, with task `faster` (or none) doing `share` of its compute.
std::vector<task> make_graph(std::uint64_t unit, std::optional<std::size_t> faster, double share) {
  // a1, a2, a3: 3 units each; b: 4 units; join: 1 unit.
  const std::vector<std::pair<const char*, std::uint64_t>> shape{
      {"a1", 3}, {"a2", 3}, {"a3", 3}, {"b", 4}, {"join", 1}};
  std::vector<task> tasks;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    auto units = shape[i].second * unit;
    if (faster == i)
      units = static_cast<std::uint64_t>(std::llround(static_cast<double>(units) * share));
    tasks.push_back(make_step_task(i, shape[i].first, 7, {{step_kind::compute, units}}));
  }
  tasks[1].after = {0};
  tasks[2].after = {1};
  tasks[4].after = {2, 3};
  return tasks;
}

}  // namespace

int critical_path(int argc, char** argv) {
  const options opts = parse_options(argc, argv);
  const std::size_t cores = usable_cores();
  state_claim("critical_path",
              "speeding up a task off the critical path changes nothing; on the path it shortens "
              "the run: predicted from the graph, then measured");
  if (cores < 2)
    return conclude(false, "this process may use only one core: b cannot run beside a");

  const std::uint64_t unit = opts.quick ? 600 : 1500;  // compute units per graph unit
  constexpr double kShare = 0.5;                       // the faster task does half its work
  constexpr std::size_t kOff = 3;                      // b
  constexpr std::size_t kOn = 1;                       // a2

  // Predict from the graph: task times from one sequential run, no model costs.
  const auto base_tasks = make_graph(unit, std::nullopt, 1.0);
  const auto sequential = make_executor("sequential")->run(base_tasks, {});
  const std::vector<double> durations = task_durations(sequential);
  const auto after = dependencies_of(base_tasks);
  const model_costs none{"thread-pool", 0, 0, 0};
  const what_if off = predict_faster(after, durations, kOff, 100 * (1 - kShare), 2, none);
  const what_if on = predict_faster(after, durations, kOn, 100 * (1 - kShare), 2, none);
  evidence(fmt::format(
      "predicted on 2 workers: b 50% faster (slack {:.1f} ms) {:.1f} -> {:.1f} "
      "ms; a2 50% faster {:.1f} -> {:.1f} ms",
      off.slack_seconds * 1e3, off.makespan_before_seconds * 1e3, off.makespan_after_seconds * 1e3,
      on.makespan_before_seconds * 1e3, on.makespan_after_seconds * 1e3));

  // Measure: the three graphs under the thread pool with 2 workers, interleaved repeats.
  experiment_spec spec;
  spec.executors = {"thread-pool"};
  spec.workers = 2;
  spec.repeat = 5;
  spec.baseline = false;
  spec.keep_records = !opts.svg.empty() || opts.timeline;
  std::vector<measured_run> all;
  const auto measure = [&](const char* label, std::optional<std::size_t> faster) {
    spec.workload.name = label;
    auto rows = measure_tasks(make_graph(unit, faster, kShare), spec);
    all.insert(all.end(), rows.begin(), rows.end());
    return rows.front().wall_median;
  };
  const double base = measure("as is", std::nullopt);
  const double b_faster = measure("b faster", kOff);
  const double a2_faster = measure("a2 faster", kOn);
  std::fputs(format_table(all).c_str(), stdout);
  evidence(
      fmt::format("measured on 2 workers: as is {:.1f} ms, b 50% faster {:.1f} ms ({:+.1f}%), "
                  "a2 50% faster {:.1f} ms ({:+.1f}%)",
                  base * 1e3, b_faster * 1e3, (b_faster / base - 1) * 100, a2_faster * 1e3,
                  (a2_faster / base - 1) * 100));
  show_pictures(opts, all);

  // The prediction: off the path no change; on it the saving (a2's half). Generous bounds: b's
  // change within 5% of the run, a2's saving at least half of the predicted one.
  const double predicted_saving = on.makespan_before_seconds - on.makespan_after_seconds;
  const bool off_path_predicted =
      std::abs(off.makespan_after_seconds - off.makespan_before_seconds) < 1e-9;
  const bool off_path_measured = std::abs(b_faster / base - 1) < 0.05;
  const bool on_path_measured = base - a2_faster > 0.5 * predicted_saving;
  return conclude_needing_cores(
      off_path_predicted && off_path_measured && on_path_measured,
      !off_path_predicted  ? "the prediction moved with a task off the critical path"
      : !off_path_measured ? "speeding up b (off the path) changed the measured run by 5% or more"
                           : "speeding up a2 (on the path) did not shorten the measured run",
      all, 2);
}

}  // namespace parlab::examples
