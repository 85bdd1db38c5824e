// cpu_bound: CPU-bound work gains from threads and processes in C++, but not from threads under
// an interpreter lock.
//
// Claim: on a machine with two or more cores, CPU-bound tasks finish faster with threads or with
// processes than one after the other - C++ threads have no global lock - while threads serialised
// by an emulated GIL (CPython's rules) are no faster than sequential: only one of them computes
// at a time. Processes escape the GIL, which is why Python code reaches for multiprocessing.
//
//   threads / processes        gil-threads
//   core 0  |A A A|C C C|      core 0  |A|  |B|  |A|  |B|
//   core 1  |B B B|D D D|      core 1  |  |B|  |A|  |B|   (one holds the lock at a time)
//
// The real CPython GIL: 'parlab demo --python' runs the same work in CPython side by side.
//
// Run: cpu_bound [--quick] [--timeline] [--svg PATH]

#include "example.hpp"

#include <parlab/parlab.hpp>

#include <fmt/format.h>

namespace parlab::examples {

int cpu_bound(int argc, char** argv) {
  const options opts = parse_options(argc, argv);
  const std::size_t cores = usable_cores();
  state_claim("cpu_bound",
              "CPU-bound tasks gain from C++ threads and from processes, not from threads "
              "under an interpreter lock");
  if (cores < 2) return conclude(false, "this process may use only one core: nothing can gain");

  experiment_spec spec;
  spec.workload.name = "cpu";
  spec.workload.tasks = 2 * cores;
  // Tasks long enough (~50 / ~75 ms of CPU) that starting a process for each - a fraction of a
  // millisecond here, several under a sanitizer - stays small beside its work.
  spec.workload.size = opts.quick ? 8000 : 12000;
  spec.executors = {"threads", "processes", "gil-threads"};
  spec.workers = cores;
  spec.repeat = 3;
  spec.keep_records = !opts.svg.empty() || opts.timeline;
  const auto runs = run_experiment(spec);
  std::fputs(format_table(runs).c_str(), stdout);

  double threads = 0.0, processes = 0.0, gil = 0.0;
  for (const auto& r : runs) {
    if (r.executor == "threads") threads = r.speedup.value_or(0.0);
    if (r.executor == "processes") processes = r.speedup.value_or(0.0);
    if (r.executor == "gil-threads") gil = r.speedup.value_or(0.0);
  }
  evidence(
      fmt::format("speedup with W = {}: threads {:.2f}x, processes {:.2f}x, gil-threads "
                  "{:.2f}x",
                  cores, threads, processes, gil));
  show_pictures(opts, runs);

  // Generous bounds for a shared machine: "gains" = at least 1.3x, "nothing" = at most 1.15x.
  const bool threads_gain = threads > 1.3 && processes > 1.3;
  const bool gil_does_not = gil < 1.15;
  // Every figure is a ratio to the sequential run, measured at another moment: cores others
  // took during some of the runs skew any of them.
  return conclude_needing_cores(threads_gain && gil_does_not,
                                !threads_gain ? "threads or processes did not beat sequential"
                                              : "threads under the GIL ran faster than sequential",
                                runs, 2);
}

}  // namespace parlab::examples
