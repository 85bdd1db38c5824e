// The overhead table and its JSON document (schema parlab.overhead/1).

#include <parlab/overhead.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "report/machine_json.hpp"

namespace parlab {

std::string format_overhead_table(const std::vector<overhead_figures>& rows) {
  std::string out =
      fmt::format("{:<13} {:>16} {:>16} {:>16} {:>16}\n", "executor", "first task (us)",
                  "per task (us)", "finish (us)", "1-task run (us)");
  out += std::string(81, '-') + "\n";
  for (const auto& r : rows) {
    out += fmt::format("{:<13} {:>16.1f} {:>16.2f} {:>16.1f} {:>16.1f}\n", r.executor,
                       r.start_ns / 1e3, r.per_task_ns / 1e3, r.finish_ns / 1e3,
                       r.single_task_run_ns / 1e3);
  }
  return out;
}

std::string format_message_costs(const std::vector<message_cost>& messages,
                                 const message_route* between) {
  const std::string where = between != nullptr ? fmt::format("on {} and {}, over TCP",
                                                             between->from_host, between->to_host)
                                               : std::string("on this host");
  std::string out = fmt::format(
      "Messages between two MPI ranks {} (ping-pong, median round trip):\n{:>10} "
      "{:>14} {:>12} {:>14} {:>7}\n",
      where, "bytes", "round trip us", "one way us", "bandwidth MB/s", "timed");
  for (const auto& m : messages) {
    out += fmt::format("{:>10} {:>14.2f} {:>12.2f} {:>14.1f} {:>7}\n", m.bytes,
                       m.round_trip_seconds * 1e6, m.round_trip_seconds * 0.5e6,
                       m.bandwidth() / 1e6, m.exchanges);
  }
  return out;
}

std::string overhead_to_json(const machine_info& machine, const std::vector<overhead_figures>& rows,
                             int indent, bool interrupted,
                             const std::vector<message_cost>& messages,
                             const message_route* between) {
  using json = nlohmann::ordered_json;
  json models = json::array();
  for (const auto& r : rows) {
    models.push_back({{"executor", r.executor},
                      {"workers", r.workers},
                      {"tasks", r.tasks},
                      {"repeat", r.repeat},
                      {"first_task_seconds", r.start_ns * 1e-9},
                      {"per_task_seconds", r.per_task_ns * 1e-9},
                      {"finish_seconds", r.finish_ns * 1e-9},
                      {"single_task_run_seconds", r.single_task_run_ns * 1e-9}});
  }
  json doc = {{"schema", "parlab.overhead/1"},    {"parlab_version", PARLAB_VERSION},
              {"build", detail::build_to_json()}, {"machine", detail::machine_to_json(machine)},
              {"interrupted", interrupted},       {"models", std::move(models)}};
  const auto costs_of = [](const std::vector<message_cost>& list) {
    json costs = json::array();
    for (const auto& m : list) {
      costs.push_back({{"bytes", m.bytes},
                       {"round_trip_seconds", m.round_trip_seconds},
                       {"bandwidth_bytes_per_second", m.bandwidth()},
                       {"exchanges", m.exchanges}});
    }
    return costs;
  };
  if (!messages.empty()) doc["mpi_messages"] = costs_of(messages);
  if (between != nullptr) {
    doc["mpi_messages_between_hosts"] = {{"from_host", between->from_host},
                                         {"to_host", between->to_host},
                                         {"sizes", costs_of(between->costs)}};
  }
  return doc.dump(indent) + "\n";
}

}  // namespace parlab
