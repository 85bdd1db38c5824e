#pragma once
/// @file Workloads: named, seeded generators of tasks with a size parameter.

#include <parlab/task.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parlab {

/// A fault injected into one task, to show what each model does when a task fails.
enum class fault_mode {
  none,
  throw_exception,  ///< the task throws std::runtime_error
};

/// What to generate.
struct workload_spec {
  std::string name = "cpu";
  std::size_t tasks = 8;
  /// Meaning depends on the workload (see workload_info::size_meaning); nullopt = its default.
  std::optional<std::uint64_t> size;
  std::uint64_t seed = 42;
  fault_mode fault = fault_mode::none;
  std::size_t fault_task = 0;  ///< which task gets the fault
};

/// A registry entry: what `parlab list` prints.
struct workload_info {
  std::string name;
  std::string description;
  std::string size_meaning;
  std::uint64_t default_size = 0;
  std::size_t default_tasks = 0;
};

/// Every built-in workload.
[[nodiscard]] const std::vector<workload_info>& workloads();

/// Looks a workload up; throws std::invalid_argument naming the bad value and the allowed ones.
[[nodiscard]] const workload_info& find_workload(std::string_view name);

/// Generates the tasks (same spec, same tasks); throws std::invalid_argument for unknown names.
[[nodiscard]] std::vector<task> make_workload(const workload_spec& spec);

/// The size actually used for `spec` (its own or the workload's default).
[[nodiscard]] std::uint64_t effective_size(const workload_spec& spec);

}  // namespace parlab
