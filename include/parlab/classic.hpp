#pragma once
/// @file The classic experiment (what `parlab demo` runs), as specs any front end can run.

#include <parlab/experiment.hpp>
#include <parlab/machine.hpp>

#include <cstddef>
#include <string>
#include <vector>

namespace parlab {

/// The four parts of the classic experiment on one machine.
struct classic_experiment {
  /// CPU-bound: the cpu workload's default tasks under six models, W = cores.
  experiment_spec cpu;
  /// I/O-bound: the io workload's default tasks under the same models, W = 16.
  experiment_spec io;
  /// Multitasking: 2 computing threads confined to `one_core_cpu` (concurrency without
  /// parallelism); run it under scoped_cpu_pin({one_core_cpu}).
  experiment_spec one_core;
  int one_core_cpu = 0;
  /// Both: 2 x cores computing threads on every core (concurrent and parallel at once).
  experiment_spec both;
};

/// The classic experiment for `machine`, each configuration measured `repeat` times after one
/// warm-up; every spec keeps its records (the pictures need them). Pure.
[[nodiscard]] classic_experiment classic_experiment_for(const machine_info& machine,
                                                        std::size_t repeat);

}  // namespace parlab
