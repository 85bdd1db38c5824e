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

std::string overhead_to_json(const machine_info& machine, const std::vector<overhead_figures>& rows,
                             int indent, bool interrupted) {
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
  const json doc = {{"schema", "parlab.overhead/1"},
                    {"parlab_version", PARLAB_VERSION},
                    {"machine", detail::machine_to_json(machine)},
                    {"interrupted", interrupted},
                    {"models", std::move(models)}};
  return doc.dump(indent) + "\n";
}

}  // namespace parlab
