// mem: memory-bound tasks. Each streams eight passes of a STREAM-style triad over three arrays of
// `size` MiB in all - more than the caches hold - so the memory bus, not the cores, sets the pace:
// adding workers helps only until the bus is full.

#include "workloads/generators.hpp"

namespace parlab::detail {

std::vector<task> make_mem_tasks(std::size_t tasks, std::uint64_t size, std::uint64_t seed) {
  return make_batch("mem", tasks, seed, {{step_kind::touch, size << 20U}});
}

}  // namespace parlab::detail
