// fork_join: a divide-and-conquer recursion scales until its leaves are too fine for the model.
//
// Claim: a balanced fork-join (split in halves down to leaves, then join) with coarse leaves
// gains from W = cores; cut the same work into leaves so fine that each costs about what the
// model pays to start a task, and it gains nothing - although its parallelism (work / span) is
// far larger. The prediction under the model's measured per-task cost says so before it runs.
//
//   split -> split -> leaf, leaf -> join -> join      coarse: 8 leaves of L units: ~2x on
//         -> split -> leaf, leaf -> join              2 cores; fine: 1024 leaves of L/128:
//                                                     the per-task cost eats the gain
//
// Run: fork_join [--quick] [--timeline] [--svg PATH]

#include "example.hpp"

#include <parlab/parlab.hpp>

#include <fmt/format.h>

#include <algorithm>

namespace parlab::examples {
namespace {

/// The median time of the `leaves` longest tasks (the leaves: they have the most units).
double leaf_median(std::vector<double> durations, std::size_t leaves) {
  std::sort(durations.begin(), durations.end());
  return durations[durations.size() - (leaves + 1) / 2];
}

}  // namespace

int fork_join(int argc, char** argv) {
  const options opts = parse_options(argc, argv);
  const std::size_t cores = usable_cores();
  state_claim("fork_join",
              "a fork-join with coarse leaves gains from the cores; with leaves as fine as the "
              "model's per-task cost it gains nothing, whatever its parallelism");
  if (cores < 2) return conclude(false, "this process may use only one core: nothing can gain");

  const std::string model = "threads";  // a thread per task: its start is the cost to see
  const model_costs costs = costs_of(measure_overhead(model, 100, 5, probe_shape::chain));
  const std::uint64_t leaf_work = opts.quick ? 1600 : 3200;  // units in each coarse leaf
  struct level {
    const char* name;
    std::size_t leaves;
  };
  const std::vector<level> levels{{"coarse", 8}, {"fine", 1024}};
  std::vector<measured_run> all;
  std::vector<double> measured;
  std::vector<double> predicted;
  for (const auto& l : levels) {
    experiment_spec spec;
    spec.workload.name = "fork-join";
    spec.workload.tasks = 3 * l.leaves - 2;
    spec.workload.size = std::max<std::uint64_t>(1, leaf_work * 8 / l.leaves);
    spec.executors = {model};
    spec.workers = cores;
    spec.repeat = 3;
    spec.keep_records = true;
    auto rows = run_experiment(spec);
    const measured_run& base = rows.front();
    const measured_run& run = rows.back();
    // The prediction: the sequential run's task times, the model's measured costs.
    const std::vector<double> durations = task_durations(base.representative);
    const auto& after = base.representative.after;
    const double one = simulate_makespan(after, durations, 1, {model, 0, 0, 0});
    const double at_cores = simulate_makespan(after, durations, cores, costs);
    predicted.push_back(one / at_cores);
    measured.push_back(run.speedup.value_or(0.0));
    const burdened_figures burdened = burden(after, durations, costs);
    evidence(fmt::format(
        "{}: {} leaves of {} units ({:.0f} us each), parallelism {:.1f}; {} pays {:.0f} us per "
        "task, +{:.0f}% of the work (burdened parallelism {:.1f}): predicted {:.2f}x, measured "
        "{:.2f}x on {} cores",
        l.name, l.leaves, *spec.workload.size, leaf_median(durations, l.leaves) * 1e6,
        base.graph ? base.graph->parallelism : 0.0, model, costs.per_task_seconds * 1e6,
        burdened.overhead_share * 100.0, burdened.parallelism, predicted.back(), measured.back(),
        cores));
    for (auto& r : rows) {
      if (!opts.timeline && opts.svg.empty()) r.representative.recorded.events.clear();
      all.push_back(std::move(r));
    }
  }
  show_pictures(opts, all);

  // Coarse gains (at least 1.3x, predicted and measured); fine does not (under 1.15x measured,
  // and predicted below coarse's).
  const bool coarse_gains = measured[0] > 1.3 && predicted[0] > 1.3;
  const bool fine_does_not = measured[1] < 1.15 && predicted[1] < predicted[0];
  return conclude_needing_cores(coarse_gains && fine_does_not,
                                !coarse_gains ? "the coarse fork-join did not gain from the cores"
                                              : "the fine fork-join still gained",
                                all, 2);
}

}  // namespace parlab::examples
