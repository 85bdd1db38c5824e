// cpu: CPU-bound tasks. Each counts primes by trial division for `size` units and never waits.

#include "workloads/generators.hpp"

namespace parlab::detail {

std::vector<task> make_cpu_tasks(std::size_t tasks, std::uint64_t size, std::uint64_t seed) {
  return make_batch("cpu", tasks, seed, {{step_kind::compute, size}});
}

}  // namespace parlab::detail
