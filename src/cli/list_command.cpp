// parlab list: the workloads and execution models, and which are built here.

#include "cli/commands.hpp"
#include "cli/outputs.hpp"

#include <parlab/executor.hpp>
#include <parlab/workload.hpp>

#include <fmt/format.h>

namespace parlab::cli {

int command_list() {
  const auto describe = [](const workload_info& w) {
    return fmt::format(
        "  {:<12} {}\n  {:<12} size: {} (default {}, at most {}), default tasks {}\n", w.name,
        w.description, "", w.size_meaning, w.default_size, w.max_size, w.default_tasks);
  };
  std::string out = "Workloads (--workload):\n";
  for (const auto& w : workloads()) {
    if (!w.graph) out += describe(w);
  }
  out +=
      "\nTask graphs (--workload; tasks wait for one another; every model runs them, and "
      "the table adds work, span, parallelism and the critical path):\n";
  for (const auto& w : workloads()) {
    if (w.graph) out += describe(w);
  }
  out += fmt::format(
      "\nOne compute unit costs {:.2f} us of CPU here (measured just now: the fastest of 5 "
      "trials).\n",
      1000.0 / compute_units_per_ms());
  out += fmt::format("\nExecutors (--executor):\n  {:<12} {:<13} {}\n", "name", "here", "model");
  for (const auto& e : executors()) {
    out += fmt::format("  {:<12} {:<13} {}\n", e.name, e.available ? "available" : "not built",
                       e.description);
  }
  print_to(stdout, out);
  return 0;
}

}  // namespace parlab::cli
