// parlab mpi-rank: one rank of an MPI job. The mpi model starts it (with --connect); started by
// hand under mpirun it builds the workload on every rank and rank 0 prints what ran where.

#include "cli/commands.hpp"

#include <parlab/mpi.hpp>
#include <parlab/workload.hpp>

#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace parlab::cli {

int command_mpi_rank(const mpi_rank_command& c) {
  mpi_rank_options options;
  options.connect = c.connect;
  options.pingpong = c.pingpong;
  options.visibility = c.visibility;
  try {
    options.schedule = mpi_schedule_from_string(c.schedule);
  } catch (const std::invalid_argument& e) {
    throw usage_error(std::string("--schedule: ") + e.what());
  }
  options.workload.name = c.workload;
  parse_workload_counts(c.tasks, c.size, c.seed, options.workload);
  if (!c.connect && options.schedule != mpi_schedule::dynamic && find_workload(c.workload).graph) {
    throw usage_error(fmt::format(
        "--schedule static: workload '{}' is a task graph, which runs under the dynamic "
        "schedule only (rank 0 hands each task out once its predecessors ended)",
        c.workload));
  }
  return mpi_rank_main(options);
}

}  // namespace parlab::cli
