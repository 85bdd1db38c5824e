#pragma once
// Internal: one generator per built-in workload, each in its own file.

#include <parlab/workload.hpp>

#include <algorithm>
#include <cstdint>
#include <string_view>
#include <vector>

namespace parlab::detail {

/// Install the handlers of the touch step (mem.cpp) and the download step (http.cpp) in the
/// interpreter's table. Idempotent.
void install_touch_step();
void install_download_step();
/// The serial and parallel steps of the amdahl workload (amdahl.cpp); creates its lock, shared
/// with the processes forked after. Idempotent.
void install_amdahl_steps();

/// Makes task `id` fail the way `mode` says (throws, aborts, segfaults or exits the process).
void inject_fault(fault_mode mode, std::size_t id);

/// Rounds a task of `size` units is cut into: `most`, or fewer when there are fewer units (at
/// least 1).
[[nodiscard]] constexpr std::uint64_t rounds_for(std::uint64_t size, std::uint64_t most) noexcept {
  return std::max<std::uint64_t>(1, std::min(most, size));
}

/// Round r's share of `total` units spread evenly over `rounds` (the first rounds take the
/// remainder).
[[nodiscard]] constexpr std::uint64_t round_share(std::uint64_t total, std::uint64_t rounds,
                                                  std::uint64_t r) noexcept {
  return total / rounds + (r < total % rounds ? 1 : 0);
}

/// Seed of task `id` in a batch seeded with `seed` (reproducible, well spread).
[[nodiscard]] std::uint64_t task_seed(std::uint64_t seed, std::size_t id) noexcept;

/// `tasks` step tasks labelled "<prefix>#<id>", each running `steps`, seeded from `seed`.
[[nodiscard]] std::vector<task> make_batch(std::string_view prefix, std::size_t tasks,
                                           std::uint64_t seed, const std::vector<step>& steps);

[[nodiscard]] std::vector<task> make_cpu_tasks(std::size_t tasks, std::uint64_t size,
                                               std::uint64_t seed);
[[nodiscard]] std::vector<task> make_io_tasks(std::size_t tasks, std::uint64_t size,
                                              std::uint64_t seed);
[[nodiscard]] std::vector<task> make_mem_tasks(std::size_t tasks, std::uint64_t size,
                                               std::uint64_t seed);
[[nodiscard]] std::vector<task> make_mixed_tasks(std::size_t tasks, std::uint64_t size,
                                                 std::uint64_t seed, double cpu_fraction);
[[nodiscard]] std::vector<task> make_amdahl_tasks(std::size_t tasks, std::uint64_t size,
                                                  std::uint64_t seed, double serial_fraction);
[[nodiscard]] std::vector<task> make_lock_tasks(std::size_t tasks, std::uint64_t size,
                                                std::uint64_t seed, double critical_fraction,
                                                std::size_t locks);
[[nodiscard]] std::vector<task> make_file_tasks(std::size_t tasks, std::uint64_t size,
                                                std::uint64_t seed);
[[nodiscard]] std::vector<task> make_http_tasks(std::size_t tasks, std::uint64_t size,
                                                std::uint64_t seed,
                                                const http_server_options& server);

// The graph shapes (graphs.cpp): exactly `tasks` tasks each, numbered in dependency order.
[[nodiscard]] std::vector<task> make_chain_tasks(std::size_t tasks, std::uint64_t size,
                                                 std::uint64_t seed);
[[nodiscard]] std::vector<task> make_fork_join_tasks(std::size_t tasks, std::uint64_t size,
                                                     std::uint64_t seed);
[[nodiscard]] std::vector<task> make_map_reduce_tasks(std::size_t tasks, std::uint64_t size,
                                                      std::uint64_t seed);
[[nodiscard]] std::vector<task> make_wavefront_tasks(std::size_t tasks, std::uint64_t size,
                                                     std::uint64_t seed);
[[nodiscard]] std::vector<task> make_pipeline_tasks(std::size_t tasks, std::uint64_t size,
                                                    std::uint64_t seed, std::size_t stages,
                                                    std::size_t tokens);
[[nodiscard]] std::vector<task> make_layered_tasks(std::size_t tasks, std::uint64_t size,
                                                   std::uint64_t seed, std::size_t width,
                                                   double edge_probability);

}  // namespace parlab::detail
