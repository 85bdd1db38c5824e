#pragma once
// Internal: the objects parlab's JSON documents share: the machine, and one measured run.

#include <parlab/experiment.hpp>
#include <parlab/machine.hpp>
#include <parlab/sweep.hpp>

#include <nlohmann/json.hpp>

namespace parlab::detail {

/// {"cores", "online_cpus", "affinity", "cpu_model", "kernel", "hostname"}.
[[nodiscard]] nlohmann::ordered_json machine_to_json(const machine_info& machine);

/// {"version", "commit", "build_type", "compiler", "sanitizers", "models",
/// "models_not_built"}: this build (parlab/build_info.hpp), in every document parlab writes.
[[nodiscard]] nlohmann::ordered_json build_to_json();

/// One measured run as parlab.result/1 writes it (docs/json-schema.md), records and events
/// included when the run kept them.
[[nodiscard]] nlohmann::ordered_json run_to_json(const measured_run& run);

/// The switch records of a run (`--exact`): counts, each thread's, every stretch; times against
/// `origin`, each thread's counts within [origin, end).
[[nodiscard]] nlohmann::ordered_json exact_to_json(const switch_schedule& x, std::int64_t origin,
                                                   std::int64_t end);

/// A sweep as parlab.sweep/1 writes it (the advice document carries one too).
[[nodiscard]] nlohmann::ordered_json sweep_to_json(const machine_info& machine,
                                                   const sweep_result& result);

}  // namespace parlab::detail
