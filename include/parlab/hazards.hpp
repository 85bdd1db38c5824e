#pragma once
/// @file Hazard warnings: what about a run, or the machine it ran on, can make its figures
/// mislead - measured, one line each.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace parlab {

struct measured_run;

/// One warning: a short kind ("oversubscribed", "noisy", ...) and a line saying what was measured
/// and what it means.
struct hazard {
  std::string kind;
  std::string message;
  /// The user asked for exactly this (the demo's threads pinned to one core, or more threads
  /// than cores): the line explains the case instead of warning about it.
  bool intended = false;
};

/// What about the machine can skew any run, measured now (before an experiment's first run):
/// other programs using this process's CPUs (their busy time over 100 ms: blocks that long), SMT
/// siblings among the usable CPUs (two "cores" sharing one core's execution units), a CPU
/// frequency governor other than "performance" (clocks that change under load). Reads /proc and
/// /sys; empty where the machine exposes nothing. A measurement is reused for
/// machine_hazards_reuse_ns (a sweep runs an experiment per point). Thread-safe.
[[nodiscard]] std::vector<hazard> machine_hazards();

/// How long one machine_hazards() measurement serves later calls: 10 s.
inline constexpr std::int64_t machine_hazards_reuse_ns = 10'000'000'000;

/// What a measured row says about itself, for `cores` usable cores: more workers than cores on
/// CPU-bound work (oversubscribed: they took turns, measured as preempted and ready time), others
/// or the hypervisor (steal) holding the cores during its runs, worker threads that kept burning
/// CPU after the run (OpenMP, TBB), a run too short to time or noisier than 10%. Pure. (A fork
/// while other threads are alive is refused outright by the process models: child_process.)
[[nodiscard]] std::vector<hazard> run_hazards(const measured_run& run, std::size_t cores);

/// The run's median wall time below which a run is too short to judge (1 ms: thread and process
/// start-up, timer slack and one scheduler tick are that order).
inline constexpr double too_short_seconds = 1e-3;

/// measured_run::spread() ((max - min) / median of the wall samples) above which a row, or a
/// sweep's point, is noisy.
inline constexpr double noisy_spread = 0.10;

/// Cores others kept busy (measured_run::others_cores) from which a row, or a sweep, is said to
/// have measured a shared machine.
inline constexpr double others_busy_cores = 0.5;

}  // namespace parlab
