// parlab report: draws a saved result again (table, timelines, trace, SVG, HTML).

#include "cli/commands.hpp"
#include "cli/outputs.hpp"
#include "cli/session.hpp"

#include <parlab/pictures.hpp>
#include <parlab/report.hpp>

#include <fmt/format.h>

#include <array>

#include <cstdint>

namespace parlab::cli {

int command_report(const report_command& c) {
  output_options wanted = c.outputs;
  if (!wanted.trace && !wanted.svg && !wanted.report) wanted.timeline = true;
  const std::array inputs{named_input{"the saved result", c.saved}};
  const outputs out(wanted, inputs);  // checked before the result is read
  const std::string text =
      read_input_file(c.saved, kMaxResultBytes, "report",
                      "a JSON file written by 'parlab run --json PATH --records'");
  saved_result saved;
  try {
    saved = read_result_json(text);
  } catch (const std::invalid_argument& e) {
    throw usage_error(fmt::format("report: '{}': {}", c.saved, e.what()));
  }
  std::FILE* human = out.human();
  print_to(human, format_table(saved.runs));
  std::vector<const measured_run*> drawn;
  std::vector<measured_run> cpu, io;
  for (const auto& r : saved.runs) {
    if (r.workload == "cpu" && r.tasks == find_workload("cpu").default_tasks) cpu.push_back(r);
    if (r.workload == "io") io.push_back(r);
    drawn.push_back(&r);
  }
  const auto findings = !cpu.empty() && !io.empty() ? conclusions(cpu, io, saved.machine.cores)
                                                    : std::vector<std::string>{};
  if (wanted.timeline) print_timelines(human, drawn);
  bool any_timeline = false;
  for (const auto& r : saved.runs)
    any_timeline = any_timeline || !r.representative.recorded.events.empty();
  if (!any_timeline) {
    say(fmt::format("parlab: report: '{}' has no timelines (write it with --records)", c.saved));
  }
  out.write(saved.machine, saved.runs, findings, saved.interrupted);  // (no --json or --csv)
  return 0;
}

}  // namespace parlab::cli
