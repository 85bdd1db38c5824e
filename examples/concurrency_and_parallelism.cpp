// concurrency_and_parallelism: more tasks than cores, on every core - both at once.
//
// Claim: with more CPU-bound threads than cores (here 2 x cores + 2 tasks on 2 x cores threads),
// tasks run at the same instant on different cores (parallel) and, because there are more of
// them than cores, they also take turns on each core (concurrent). The speedup is capped by the
// number of cores, not by the number of threads.
//
//   core 0   |A A|C C|A A|C C|E E|...
//   core 1   |B B|D D|B B|D D|F F|...     in flight: 4+   running at once: 2 (= cores)
//
// Run: concurrency_and_parallelism [--quick] [--timeline] [--svg PATH]

#include "example.hpp"

#include <parlab/parlab.hpp>

#include <fmt/format.h>

namespace parlab::examples {

int concurrency_and_parallelism(int argc, char** argv) {
  const options opts = parse_options(argc, argv);
  const std::size_t cores = usable_cores();
  state_claim("concurrency_and_parallelism",
              "more threads than cores run in parallel across the cores and take turns on each: "
              "speedup capped by the cores");
  if (cores < 2)
    return conclude(false, "this process may use only one core: parallelism needs two");

  experiment_spec spec;
  spec.workload.name = "cpu";
  spec.workload.tasks = 2 * cores + 2;
  spec.workload.size = opts.quick ? 2000 : 4000;  // ~13 / ~25 ms of CPU each
  spec.executors = {"threads"};
  spec.workers = 2 * cores;
  spec.repeat = 3;
  spec.keep_records = true;
  const auto runs = run_experiment(spec);

  const measured_run& seq = runs.front();
  const measured_run& threads = runs.back();
  const concurrency_summary& c = threads.concurrency;
  evidence(
      fmt::format("{} tasks, {} threads, {} cores: one after the other {:.1f} ms, threads "
                  "{:.1f} ms ({:.2f}x; at most {}x with {} cores)",
                  spec.workload.tasks, spec.workers, cores, seq.wall_median * 1e3,
                  threads.wall_median * 1e3, threads.speedup.value_or(0.0), cores, cores));
  evidence(
      fmt::format("in flight at once: {} (more than the {} cores); running at once: {}; "
                  "CPU time / wall: {:.2f}; taken off a core {} times",
                  c.peak_in_flight, cores, c.peak_running, c.avg_parallelism, c.preemptions));
  evidence(fmt::format("verdict of the run: {}", to_string(c.result)));
  show_pictures(opts, {threads});

  const bool parallel = c.avg_parallelism > parallel_threshold;  // CPU time > wall: at once
  const bool concurrent = c.peak_in_flight > cores && c.preemptions > 0;
  const bool capped = threads.speedup.value_or(0.0) < static_cast<double>(cores) * 1.15;
  return conclude_needing_cores(
      parallel && concurrent && capped && c.result == verdict::concurrent_parallel,
      !parallel     ? "no two tasks ran at the same instant"
      : !concurrent ? "tasks did not take turns on a core"
                    : "more threads than cores beat the core count?",
      runs, 2);
}

}  // namespace parlab::examples
