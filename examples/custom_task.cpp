// custom_task: measure your own task under every execution model with the parlab library.
//
// Claim: a task that mostly waits (here: a simulated 50 ms request) followed by a little
// computation gains from every model that overlaps waits - threads, a thread pool, processes,
// and even threads under an interpreter lock - because waiting does not use the CPU.
//
// Build it inside parlab (examples/) or, as a user would, against the installed package:
//   find_package(parlab REQUIRED)  target_link_libraries(app PRIVATE parlab::parlab)
// Run:  custom_task [--quick]

#include <parlab/parlab.hpp>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::string(argv[1]) == "--quick";
  const std::size_t task_count = quick ? 8 : 24;

  // A user-defined task: "download" (a blocking wait the model may overlap), then "parse".
  std::vector<parlab::task> tasks;
  for (std::size_t i = 0; i < task_count; ++i) {
    tasks.push_back(parlab::make_task(
        i, "request#" + std::to_string(i),
        [](parlab::task_context& ctx) -> std::uint64_t {
          ctx.wait(std::chrono::milliseconds(50));  // the response is on its way
          return ctx.compute(50);                   // parse it
        },
        /*seed=*/i));
  }

  parlab::experiment_spec spec;
  spec.workload.name = "custom";
  spec.executors = {"threads", "thread-pool", "processes", "gil-threads"};
  spec.workers = 8;
  spec.repeat = quick ? 1 : 3;

  const auto runs = parlab::measure_tasks(tasks, spec);
  std::fputs(parlab::format_table(runs).c_str(), stdout);

  // Conclude from the numbers rather than leave it to the reader.
  bool holds = true;
  for (const auto& r : runs) {
    if (r.is_baseline) continue;
    const double speedup = r.speedup.value_or(0.0);
    std::printf("%-12s %.2fx faster than sequential\n", r.executor.c_str(), speedup);
    if (speedup < 1.5 || r.failed_tasks != 0) holds = false;
  }
  std::printf("claim: every model that overlaps waits beats sequential on a waiting task: %s\n",
              holds ? "holds" : "does not hold");
  return holds ? 0 : 1;
}
