#pragma once
/// @file The `mpi` execution model's rank program. `parlab run -e mpi` starts `mpirun` itself,
/// with parlab's own binary as the ranks (`parlab mpi-rank --connect PATH`): rank 0 takes each
/// batch of tasks from the parent over a local socket, broadcasts it, the ranks run it under the
/// schedule, and rank 0 sends back every record and timeline event. The same program runs by
/// hand too, under a batch system or a plain `mpirun -np 3 parlab mpi-rank -w cpu -t 8`: then
/// every rank builds the workload itself and rank 0 prints what happened.

#include <parlab/executor.hpp>
#include <parlab/workload.hpp>

#include <optional>
#include <string>

namespace parlab {

/// True when this build has the mpi model (Open MPI was found).
[[nodiscard]] bool mpi_built() noexcept;

/// What a rank is asked to do.
struct mpi_rank_options {
  /// The parent's socket (a path): batches come from there. nullopt: run `workload` once and
  /// print a summary (the hand-started form).
  std::optional<std::string> connect;
  workload_spec workload;  ///< the hand-started form's tasks, built on every rank
  mpi_schedule schedule = mpi_schedule::dynamic;
};

/// The rank program: MPI_Init, the batches, MPI_Finalize. Returns the exit code (0, 1 when a
/// task failed in the hand-started form, 2 for bad input, 3 for an MPI or socket error), the
/// reason printed on standard error in one line. Without MPI in this build: 2, saying so.
int mpi_rank_main(const mpi_rank_options& options);

/// The program `mpirun` starts as the ranks: parlab's own binary, which must answer to
/// `mpi-rank`. The parlab program sets it from /proc/self/exe; otherwise the environment's
/// PARLAB_BINARY, then the parlab this library was built with, then `parlab` on PATH.
void set_rank_program(std::string path);
[[nodiscard]] std::string rank_program();

}  // namespace parlab
