#pragma once
// Internal: one generator per built-in workload, each in its own file.

#include <parlab/workload.hpp>

#include <vector>

namespace parlab::detail {

/// Seed of task `id` in a batch seeded with `seed` (reproducible, well spread).
[[nodiscard]] std::uint64_t task_seed(std::uint64_t seed, std::size_t id) noexcept;

[[nodiscard]] std::vector<task> make_cpu_tasks(std::size_t tasks, std::uint64_t size,
                                               std::uint64_t seed);
[[nodiscard]] std::vector<task> make_io_tasks(std::size_t tasks, std::uint64_t size,
                                              std::uint64_t seed);

}  // namespace parlab::detail
