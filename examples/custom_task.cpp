// custom_task: measure your own task under every execution model with the parlab library.
//
// Claim: a task that mostly waits (here: a simulated 50 ms request) followed by a little
// computation gains from every model that overlaps waits - threads, a thread pool, processes,
// threads under an interpreter lock, and an execution model of your own - because waiting does
// not use the CPU.
//
// This one uses nothing but the installed library, as your own program would:
//   find_package(parlab REQUIRED)  target_link_libraries(app PRIVATE parlab::parlab)
// (the consumer test builds it exactly so).
//
// Run: custom_task [--quick]

#include <parlab/parlab.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

namespace parlab::examples {

/// An execution model of your own: W std::threads take tasks from a shared counter, the last
/// task first. Registered once, it is measured beside the built-in models by name.
class last_first final : public executor {
 public:
  [[nodiscard]] std::string_view name() const noexcept override { return "last-first"; }

 protected:
  void execute(std::span<const task> tasks, const run_options& options,
               run_result& result) override {
    std::atomic<std::size_t> taken{0};
    std::vector<std::jthread> workers;
    for (std::size_t w = 0; w < options.workers; ++w) {
      workers.emplace_back([&, w] {
        for (std::size_t k; (k = taken.fetch_add(1)) < tasks.size();) {
          const std::size_t i = tasks.size() - 1 - k;
          run_in_worker(tasks[i], w, result.records[i]);  // times, result, timeline
        }
      });
    }
  }  // the jthreads join here
};

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

  static const bool registered = [] {
    register_executor({"last-first", "W threads, last task first (a model of your own)", true,
                       false, [] { return std::make_unique<last_first>(); }});
    return true;
  }();
  (void)registered;

  experiment_spec spec;
  spec.workload.name = "custom";
  spec.executors = {"threads", "thread-pool", "processes", "gil-threads", "last-first"};
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
