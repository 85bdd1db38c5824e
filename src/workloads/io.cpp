// io: I/O-bound tasks. Each waits `size` milliseconds (the latency of a request), then does one
// unit of work on the "response" — the shape of a download followed by a little parsing.

#include "workloads/generators.hpp"

namespace parlab::detail {

std::vector<task> make_io_tasks(std::size_t tasks, std::uint64_t size, std::uint64_t seed) {
  return make_batch("io", tasks, seed,
                    {{step_kind::wait, size * 1'000'000}, {step_kind::compute, 1}});
}

}  // namespace parlab::detail
