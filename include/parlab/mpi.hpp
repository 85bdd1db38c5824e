#pragma once
/// @file The `mpi` execution model's rank program. `parlab run -e mpi` starts `mpirun` itself,
/// with parlab's own binary as the ranks (`parlab mpi-rank --connect PATH`): rank 0 takes each
/// batch of tasks from the parent over a local socket, broadcasts it, the ranks run it under the
/// schedule, and rank 0 sends back every record and timeline event. The same program runs by
/// hand too, under a batch system or a plain `mpirun -np 3 parlab mpi-rank -w cpu -t 8`: then
/// every rank builds the workload itself and rank 0 prints what happened.

#include <parlab/executor.hpp>
#include <parlab/workload.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

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
  /// Instead of tasks: ranks 0 and 1 ping-pong messages of 8 B to 4 MiB and rank 0 prints one
  /// "pingpong BYTES ROUND_TRIP_NS" line per size (the median round trip).
  bool pingpong = false;
  /// Instead of tasks: rank 0 writes 42 into its own `value`, rank 1 reads its own (still 0),
  /// then rank 0 sends it and rank 1 reads again; rank 1 prints "visibility BEFORE AFTER".
  bool visibility = false;
};

/// What a message costs between two ranks of one job on this host.
struct message_cost {
  std::size_t bytes = 0;
  double round_trip_seconds = 0.0;  ///< median of the timed exchanges, there and back
  std::size_t exchanges = 0;        ///< how many were timed (after 10 untimed)
  /// bytes / one way (half the round trip), per second.
  [[nodiscard]] double bandwidth() const noexcept {
    return round_trip_seconds > 0 ? static_cast<double>(bytes) / (round_trip_seconds / 2) : 0.0;
  }
};

/// Starts a 2-rank job (`mpi-rank --pingpong`) and returns the costs of 8 B, 64 B, ..., 2 MiB
/// (powers of 8) and 4 MiB messages. Throws std::runtime_error (naming mpirun's last line) when the
/// job fails, std::invalid_argument when this build has no MPI, parlab::interrupted on a signal.
[[nodiscard]] std::vector<message_cost> measure_mpi_messages();

/// The ping-pong between two ranks on two hosts: where each ran, and what each size cost.
struct message_route {
  std::string from_host, to_host;  ///< rank 0's host (this one), rank 1's
  std::vector<message_cost> costs;
};

/// measure_mpi_messages with the two ranks on the first two hosts of `hosts` (mpirun's --host,
/// "HOST[:SLOTS],...") or `hostfile`, one rank a host (--map-by node): their messages cross the
/// network (Open MPI's TCP transport). Throws std::invalid_argument when both ranks ran on one
/// host (a single host given, or two names for it), else as measure_mpi_messages.
[[nodiscard]] message_route measure_mpi_messages_between(const std::string& hosts,
                                                         const std::string& hostfile);

/// Checks where an MPI job is asked to run (mpi_options::hosts, hostfile): hosts as
/// "HOST[:SLOTS],..." or a readable hostfile, not both. Throws std::invalid_argument naming what
/// was wrong and what is allowed.
void check_mpi_placement(const std::string& hosts, const std::string& hostfile);

/// What distributed memory looks like from rank 1 of a 2-rank job (`mpi-rank --visibility`).
struct memory_visibility {
  int before_message = -1;  ///< rank 1's own copy, read after rank 0 wrote 42 into its copy
  int after_message = -1;   ///< rank 1's copy after rank 0 sent the value
};

/// Starts the 2-rank job and returns what rank 1 saw. Throws as measure_mpi_messages does.
[[nodiscard]] memory_visibility measure_mpi_visibility();

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
