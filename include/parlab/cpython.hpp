#pragma once
/// @file CPython side by side: the same cpu and io work under CPython's own execution models.
///
/// parlab carries python/parlab_reference.py inside it and runs it with the python3 on PATH. The
/// script does parlab's work number for number (the same primes for the same seeds) with
/// threading, multiprocessing, concurrent.futures and asyncio, records what ran when, and prints
/// a parlab.result/1 document; its rows are labelled cpython-sequential, cpython-threads,
/// cpython-thread-pool, cpython-processes, cpython-process-pool and cpython-asyncio.

#include <parlab/experiment.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parlab {

/// What to run in CPython.
struct cpython_spec {
  std::string workload = "cpu";  ///< cpu or io
  std::size_t tasks = 8;
  std::uint64_t size = 200;  ///< cpu: units per task; io: milliseconds of waiting
  std::size_t workers = 2;
  std::size_t repeat = 3;  ///< measured runs per model, after one warm-up
  std::uint64_t seed = 42;
  /// cpython-* names; empty: cpython-sequential, -threads, -processes and -asyncio.
  std::vector<std::string> models;
};

/// The four models the demo runs by default.
[[nodiscard]] const std::vector<std::string>& default_cpython_models();

/// Every model the reference script knows.
[[nodiscard]] const std::vector<std::string>& cpython_models();

/// How many times fewer compute units a CPython cpu task gets than parlab's (CPython computes
/// some 25x slower, so the two take comparable time).
inline constexpr std::uint64_t cpython_cpu_scale = 25;

/// The CPython side of one of parlab's experiments: the same tasks, workers, repeats and seed;
/// cpu tasks get 1/cpython_cpu_scale of the units (at least 1). Throws std::invalid_argument for
/// a workload without a CPython reference (other than cpu and io). Pure.
[[nodiscard]] cpython_spec cpython_spec_for(const experiment_spec& spec);

/// The python3 executable on PATH, or nullopt when there is none.
[[nodiscard]] std::optional<std::string> find_python3();

/// python/parlab_reference.py as built into parlab.
[[nodiscard]] std::string_view cpython_reference_script() noexcept;

/// Runs the reference script with `python` and returns its rows, their verdicts recomputed from
/// their recorded events for this machine's usable cores. Throws std::invalid_argument for a bad
/// spec (a workload other than cpu or io, an unknown model, zero tasks/workers/repeat) and
/// std::runtime_error when python fails (its own messages go to standard error). Blocks.
[[nodiscard]] std::vector<measured_run> run_cpython(const cpython_spec& spec,
                                                    const std::string& python);

}  // namespace parlab
