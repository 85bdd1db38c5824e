#pragma once
/// @file What machine a run happened on.

#include <cstddef>
#include <string>

namespace parlab {

struct machine_info {
  std::size_t cores = 1;        ///< CPUs this process may run on (its affinity mask)
  std::size_t online_cpus = 1;  ///< CPUs online in the machine
  std::string cpu_model;
  std::string kernel;           ///< uname: sysname release
  std::string hostname;
};

/// Reads /proc/cpuinfo, uname and the affinity mask. Thread-safe.
[[nodiscard]] machine_info describe_machine();

/// CPUs the calling process may run on (sched_getaffinity), at least 1.
[[nodiscard]] std::size_t usable_cores() noexcept;

}  // namespace parlab
