// parlab overhead: what creating, dispatching and joining cost per model here.

#include "cli/commands.hpp"
#include "cli/outputs.hpp"

#include <parlab/interrupt.hpp>
#include <parlab/limits.hpp>
#include <parlab/overhead.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <optional>

namespace parlab::cli {

int command_overhead(const overhead_command& o) {
  std::vector<std::string> models;
  if (o.executors) {
    models = split_names(*o.executors, "--executor");
  } else {
    for (const auto& e : executors()) {
      if (e.available) models.push_back(e.name);
    }
  }
  for (const auto& m : models) (void)make_executor(m);  // unknown or unbuilt: exit 2
  const std::size_t tasks =
      o.tasks ? parse_count(*o.tasks, "--tasks", 2, limits::max_overhead_tasks) : 200;
  const std::size_t repeat =
      o.repeat ? parse_count(*o.repeat, "--repeat", 1, limits::max_repeat) : 7;
  const bool has_mpi = std::find(models.begin(), models.end(), "mpi") != models.end();
  check_placement_options(o.hosts, o.hostfile, has_mpi);
  const output_target json{o.json};
  json.check("--json");
  std::FILE* human = json.is_stdout() ? stderr : stdout;
  const machine_info machine = describe_machine();
  print_to(human, fmt::format("Fixed costs per model with W = 1 and empty tasks ({} per batch, "
                              "median of {}), on {} cores:\n",
                              tasks, repeat, machine.cores));
  std::vector<overhead_figures> rows;
  try {
    for (const auto& m : models) rows.push_back(measure_overhead(m, tasks, repeat));
  } catch (const interrupted& e) {
    json.write(overhead_to_json(machine, rows, 2, true, {}));  // the models measured so far
    if (!rows.empty()) print_to(human, format_overhead_table(rows));
    throw;
  }
  // The mpi model's messages: what a byte costs to send between two ranks here, and with hosts
  // given, between two hosts.
  std::vector<message_cost> messages;
  std::optional<message_route> between;
  if (has_mpi) {
    messages = measure_mpi_messages();
    if (o.hosts || o.hostfile) {
      between = measure_mpi_messages_between(o.hosts.value_or(""), o.hostfile.value_or(""));
    }
  }
  json.write(overhead_to_json(machine, rows, 2, false, messages, between ? &*between : nullptr));
  print_to(human, format_overhead_table(rows));
  print_to(human,
           "\nfirst task: run start until the first task starts (creating the worker);\n"
           "per task: each further task (dispatch + result back; a thread or process per task "
           "also pays its creation and join);\nfinish: last task's end until the run returns "
           "(join, reap).\n");
  if (!messages.empty()) print_to(human, fmt::format("\n{}", format_message_costs(messages)));
  if (between)
    print_to(human, fmt::format("\n{}", format_message_costs(between->costs, &*between)));
  return 0;
}

}  // namespace parlab::cli
