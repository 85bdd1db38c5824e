// custom_task: measure your own task under every execution model with the parlab library.
//
// Claim: a task that mostly waits (here: a simulated 50 ms request) followed by a little
// computation gains from every model that overlaps waits - threads, a thread pool, processes,
// and even threads under an interpreter lock - because waiting does not use the CPU.
//
// This one uses nothing but the installed library, as your own program would:
//   find_package(parlab REQUIRED)  target_link_libraries(app PRIVATE parlab::parlab)
// (the consumer test builds it exactly so).
//
// Run: custom_task [--quick]

#include <parlab/parlab.hpp>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

namespace parlab::examples {

int custom_task(int argc, char** argv) {
  bool quick = false;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) != "--quick") {
      std::fprintf(stderr, "custom_task: unknown option '%s' (allowed: --quick)\n", argv[i]);
      return 2;
    }
    quick = true;
  }
  std::puts(
      "custom_task\nclaim: a task of your own that mostly waits gains from every model "
      "that overlaps waits");
  const std::size_t task_count = quick ? 8 : 24;

  // A user-defined task: "download" (a blocking wait the model may overlap), then "parse".
  std::vector<task> tasks;
  for (std::size_t i = 0; i < task_count; ++i) {
    tasks.push_back(make_task(
        i, "request#" + std::to_string(i),
        [](task_context& ctx) -> std::uint64_t {
          ctx.wait(std::chrono::milliseconds(50));  // the response is on its way
          return ctx.compute(50);                   // parse it
        },
        /*seed=*/i));
  }

  experiment_spec spec;
  spec.workload.name = "custom";
  spec.executors = {"threads", "thread-pool", "processes", "gil-threads"};
  spec.workers = 8;
  spec.repeat = quick ? 1 : 3;

  const auto runs = measure_tasks(tasks, spec);
  std::fputs(format_table(runs).c_str(), stdout);

  // Conclude from the numbers rather than leave it to the reader.
  bool holds = true;
  for (const auto& r : runs) {
    if (r.is_baseline) continue;
    const double speedup = r.speedup.value_or(0.0);
    std::printf("  %-12s %.2fx faster than sequential\n", r.executor.c_str(), speedup);
    if (speedup < 1.5 || r.failed_tasks != 0) holds = false;
  }
  std::puts(holds ? "verdict: holds"
                  : "verdict: does not hold (a model that overlaps waits was not 1.5x faster)");
  return holds ? 0 : 1;
}

}  // namespace parlab::examples

#ifndef PARLAB_EXAMPLE_IN_CATALOG  // built on its own (or by a consumer): a program
int main(int argc, char** argv) {
  try {
    return parlab::examples::custom_task(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "custom_task: error: %s\n", e.what());
    return 3;
  }
}
#endif
