#pragma once
// Internal: the "machine" object every parlab JSON document carries.

#include <parlab/machine.hpp>

#include <nlohmann/json.hpp>

namespace parlab::detail {

/// {"cores", "online_cpus", "affinity", "cpu_model", "kernel", "hostname"}.
[[nodiscard]] nlohmann::ordered_json machine_to_json(const machine_info& machine);

}  // namespace parlab::detail
