// concurrency: two tasks make progress over the same period by taking turns on one core.
//
// Claim: two CPU-bound tasks given two threads but only one core are concurrent, not parallel:
// both are in flight from start to end, and both advance - the kernel switches between them
// every few milliseconds - but they never run at the same instant, so together they take as long
// as one after the other.
//
//   core 0   |A A|B B|A A|B B|A A|B B|      in flight: A and B     running at once: 1
//
// Run: concurrency [--quick] [--timeline] [--svg PATH]

#include "example.hpp"

#include <parlab/parlab.hpp>

#include <fmt/format.h>

namespace parlab::examples {

int concurrency(int argc, char** argv) {
  const options opts = parse_options(argc, argv);
  state_claim("concurrency",
              "two tasks on two threads but one core interleave: both in flight, one running "
              "at a time, no faster than one after the other");

  experiment_spec spec;
  spec.workload.name = "cpu";
  spec.workload.tasks = 2;
  spec.workload.size = opts.quick ? 4000 : 8000;  // ~25 / ~50 ms of CPU each
  spec.executors = {"threads"};
  spec.workers = 2;
  spec.repeat = 3;
  spec.keep_records = true;

  const int cpu = first_allowed_cpu();
  const auto runs = [&] {
    const scoped_cpu_pin pin({cpu});  // this thread, and so both worker threads, on one CPU
    return run_experiment(spec);
  }();

  const measured_run& seq = runs.front();
  const measured_run& threads = runs.back();
  const concurrency_summary& c = threads.concurrency;
  evidence(fmt::format(
      "pinned to CPU {}: one after the other {:.1f} ms, two threads {:.1f} ms "
      "({:.2f}x)",
      cpu, seq.wall_median * 1e3, threads.wall_median * 1e3, threads.speedup.value_or(0.0)));
  evidence(
      fmt::format("in flight at once: {}; running at once: {}; switches between them: {} "
                  "({:.1f} ms runnable but waiting for the core)",
                  c.peak_in_flight, c.peak_running, c.preemptions, c.preempted_seconds * 1e3));
  evidence(fmt::format("verdict of the run: {}", to_string(c.result)));
  show_pictures(opts, {threads});

  const bool interleaved = c.peak_in_flight == 2 && c.peak_running == 1 && c.preemptions >= 2;
  const bool no_gain = threads.speedup.value_or(0.0) < 1.2;
  return conclude(interleaved && no_gain && c.result == verdict::concurrent,
                  !interleaved ? "the two tasks did not take turns on the core"
                               : "two tasks on one core ran faster than one after the other");
}

}  // namespace parlab::examples
