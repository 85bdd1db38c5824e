// parlab mpi-rank: one rank of an MPI job. The mpi model starts it (with --connect); started by
// hand under mpirun it builds the workload on every rank and rank 0 prints what ran where.

#include "cli/commands.hpp"

#include <parlab/limits.hpp>
#include <parlab/mpi.hpp>

#include <fmt/format.h>

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
  const workload_info& info = find_workload(c.workload);
  options.workload.name = c.workload;
  options.workload.tasks =
      c.tasks ? parse_count(*c.tasks, "--tasks", 1, limits::max_tasks) : info.default_tasks;
  if (c.size) {
    options.workload.size =
        parse_count(*c.size, fmt::format("--size for workload '{}'", info.name), 0, info.max_size);
  }
  if (c.seed) options.workload.seed = parse_count(*c.seed, "--seed", 0, UINT64_MAX);
  return mpi_rank_main(options);
}

}  // namespace parlab::cli
