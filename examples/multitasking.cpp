// multitasking: the kernel time-slices one core between processes.
//
// Claim: with more CPU-bound processes than cores - here four processes confined to one core -
// the kernel's scheduler divides that core's time between them in slices of a few milliseconds.
// All four are in flight for the whole run; only one runs at any instant.
//
//   CPU 0   |A |B |C |D |A |B |C |D |A |B |...   four processes, one core, taking turns
//
// The lesson is the scheduler, so the example pins itself with sched_setaffinity (the children it
// forks inherit the mask) and lets parlab's `processes` model run one child per task: parlab's
// recorder notices each time the kernel takes the core away (the task's CPU clock stops while the
// wall clock runs on) and so measures the slices.
//
// Run: multitasking [--quick] [--timeline] [--svg PATH]

#include "example.hpp"

#include <parlab/parlab.hpp>

#include <fmt/format.h>
#include <sched.h>

#include <algorithm>
#include <map>
#include <stdexcept>
#include <vector>

namespace parlab::examples {

int multitasking(int argc, char** argv) {
  const options opts = parse_options(argc, argv);
  state_claim("multitasking",
              "four CPU-bound processes on one core take turns in time slices: all in flight, "
              "one running at a time");

  // Confine this process (and every child it will fork) to one CPU.
  const int cpu = first_allowed_cpu();
  cpu_set_t previous;
  if (sched_getaffinity(0, sizeof previous, &previous) != 0) throw std::runtime_error("affinity");
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(static_cast<std::size_t>(cpu), &one);
  if (sched_setaffinity(0, sizeof one, &one) != 0) throw std::runtime_error("sched_setaffinity");

  experiment_spec spec;
  spec.workload.name = "cpu";
  spec.workload.tasks = 4;
  spec.workload.size = opts.quick ? 3000 : 6000;  // ~20 / ~40 ms of CPU per process
  spec.executors = {"processes"};
  spec.workers = 4;  // a process per task, all started at once
  spec.repeat = 1;
  spec.baseline = false;
  spec.keep_records = true;
  const auto runs = run_experiment(spec);
  sched_setaffinity(0, sizeof previous, &previous);

  const measured_run& r = runs.front();
  const concurrency_summary& c = r.concurrency;
  // Each slice is a stretch a process ran without being interrupted.
  std::vector<double> slice_ms;
  std::map<std::uint32_t, int> slices_per_task;
  for (const event& e : r.representative.recorded.events) {
    if (e.kind != event_kind::slice) continue;
    slice_ms.push_back(static_cast<double>(e.end_ns - e.start_ns) / 1e6);
    ++slices_per_task[e.task];
  }
  std::sort(slice_ms.begin(), slice_ms.end());
  const double median_slice = slice_ms.empty() ? 0.0 : slice_ms[slice_ms.size() / 2];
  int fewest = slices_per_task.empty() ? 0 : slices_per_task.begin()->second;
  for (const auto& [task, n] : slices_per_task) fewest = std::min(fewest, n);

  evidence(fmt::format("4 processes pinned to CPU {}, {:.1f} ms of wall time", cpu,
                       r.wall_median * 1e3));
  evidence(
      fmt::format("in flight at once: {}; running at once: {}", c.peak_in_flight, c.peak_running));
  evidence(
      fmt::format("{} slices (median {:.2f} ms, longest {:.2f} ms); the kernel took the core "
                  "away {} times ({:.1f} ms runnable but not running)",
                  slice_ms.size(), median_slice, slice_ms.empty() ? 0.0 : slice_ms.back(),
                  c.preemptions, c.preempted_seconds * 1e3));
  evidence(fmt::format("fewest slices any process got: {}; CPU used / wall: {:.2f} (one core)",
                       fewest, c.avg_parallelism));
  show_pictures(opts, runs);

  const bool all_in_flight = c.peak_in_flight == 4;
  const bool one_at_a_time = c.peak_running == 1 && c.avg_parallelism < 1.1;
  const bool sliced = slices_per_task.size() == 4 && fewest >= 2;
  return conclude(all_in_flight && one_at_a_time && sliced,
                  !all_in_flight   ? "the four processes were not all in flight together"
                  : !one_at_a_time ? "two ran at the same instant on one core?"
                                   : "some process ran to the end in one slice");
}

}  // namespace parlab::examples
