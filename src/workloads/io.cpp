// io: I/O-bound tasks. Each waits `size` milliseconds (the latency of a request), then does one
// unit of work on the "response" — the shape of a download followed by a little parsing.

#include "workloads/generators.hpp"

#include <string>

namespace parlab::detail {

std::vector<task> make_io_tasks(std::size_t tasks, std::uint64_t size, std::uint64_t seed) {
  std::vector<task> out;
  out.reserve(tasks);
  for (std::size_t i = 0; i < tasks; ++i) {
    out.push_back(make_step_task(i, "io#" + std::to_string(i), task_seed(seed, i),
                                 {{step_kind::wait, size * 1'000'000}, {step_kind::compute, 1}}));
  }
  return out;
}

}  // namespace parlab::detail
