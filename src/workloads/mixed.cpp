// mixed: tasks that alternate computing and waiting. Each lasts about `size` ms, of which the
// fraction cpu_fraction computes, in four rounds of compute-then-wait. cpu_fraction 1 is the cpu
// workload's shape, 0 the io workload's; in between, the models' ranking changes. The compute
// units per millisecond are measured on this machine (compute_units_per_ms()).

#include "workloads/generators.hpp"

#include <cmath>

namespace parlab::detail {

std::vector<task> make_mixed_tasks(std::size_t tasks, std::uint64_t size, std::uint64_t seed,
                                   double cpu_fraction) {
  constexpr int kRounds = 4;
  const double round_ms = static_cast<double>(size) / kRounds;
  const auto units =
      static_cast<std::uint64_t>(std::llround(round_ms * cpu_fraction * compute_units_per_ms()));
  const auto wait_ns =
      static_cast<std::uint64_t>(std::llround(round_ms * (1.0 - cpu_fraction) * 1e6));
  std::vector<step> steps;
  for (int r = 0; r < kRounds; ++r) {
    if (units != 0) steps.push_back({step_kind::compute, units});
    if (wait_ns != 0) steps.push_back({step_kind::wait, wait_ns});
  }
  return make_batch("mixed", tasks, seed, steps);
}

}  // namespace parlab::detail
