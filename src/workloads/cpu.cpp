// cpu: CPU-bound tasks. Each counts primes by trial division for `size` units and never waits.

#include "workloads/generators.hpp"

#include <string>

namespace parlab::detail {

std::vector<task> make_cpu_tasks(std::size_t tasks, std::uint64_t size, std::uint64_t seed) {
  std::vector<task> out;
  out.reserve(tasks);
  for (std::size_t i = 0; i < tasks; ++i) {
    out.push_back(make_step_task(i, "cpu#" + std::to_string(i), task_seed(seed, i),
                                 {{step_kind::compute, size}}));
  }
  return out;
}

}  // namespace parlab::detail
