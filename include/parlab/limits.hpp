#pragma once
/// @file The ranges parlab accepts, in one place: the library checks them (check_spec) and the
/// command line reports them with its option names.

#include <parlab/task.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace parlab {

struct experiment_spec;
struct workload_spec;

/// Upper (and some lower) bounds of every size a user can choose.
namespace limits {
inline constexpr std::size_t max_workers = 10'000;       ///< W
inline constexpr std::size_t max_tasks = 1'000'000;      ///< tasks per batch
inline constexpr std::size_t max_repeat = 1'000;         ///< measured runs per configuration
inline constexpr double min_switch_interval_ms = 0.001;  ///< 1 us: a nanosecond count, not 0
inline constexpr double max_switch_interval_ms = 10'000.0;
inline constexpr std::int64_t max_http_latency_ms = 60'000;
inline constexpr double max_http_bandwidth_mib = 1e6;  ///< MiB/s; 0 = unlimited
/// MiB/s (1 KiB/s): below it a 16 KiB chunk would take hours; 0 still means unlimited.
inline constexpr double min_http_bandwidth_mib = 1.0 / 1024.0;
inline constexpr std::size_t max_overhead_tasks = 100'000;
inline constexpr std::size_t max_stages = 64;  ///< a pipeline's stages
/// Bytes one task of a graph hands its successors (--edge-bytes, a graph file's `bytes`).
inline constexpr std::uint64_t max_edge_bytes = max_output_bytes;
/// --edge-bytes times the tasks: the most a graph's data may come to (every output kept).
inline constexpr std::uint64_t max_edge_bytes_total = 4ULL << 30U;
}  // namespace limits

/// Throws std::invalid_argument naming the first field of `spec` out of its range and the range
/// (workers, tasks, repeat, size for its workload, switch interval, http settings, cpu fraction,
/// fault task). Pure.
void check_spec(const experiment_spec& spec);

/// Throws std::invalid_argument for a graph shape's settings out of range (stages, tokens, width,
/// edge probability) or a pipeline whose tasks are not a multiple of its stages. Pure.
void check_graph_shape(const workload_spec& workload);

/// Throws std::invalid_argument when running `executor` with `workers` workers on `tasks` tasks
/// needs more threads, processes or open files at once than this process may have (RLIMIT_NPROC,
/// /proc/sys/kernel/threads-max, RLIMIT_NOFILE), naming the limit and how to raise it. `workload`
/// matters for descriptors (an http task holds a socket while in flight).
void check_machine_allows(std::string_view executor, std::size_t workers, std::size_t tasks,
                          std::string_view workload);

}  // namespace parlab
