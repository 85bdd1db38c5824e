// parlab demo (and plain parlab): the classic experiment with conclusions, timelines and an
// HTML report.

#include "cli/commands.hpp"
#include "cli/outputs.hpp"
#include "cli/session.hpp"

#include <parlab/classic.hpp>
#include <parlab/clock.hpp>
#include <parlab/report.hpp>

#include <fmt/format.h>

#include <filesystem>

namespace parlab::cli {
namespace {

const measured_run* find_run(const std::vector<measured_run>& runs, std::string_view executor) {
  for (const auto& r : runs) {
    if (r.executor == executor) return &r;
  }
  return nullptr;
}

}  // namespace

int command_demo(const demo_command& c) {
  const std::size_t repeat = repeat_option(c.repeat);
  // Unless told otherwise, the demo leaves its report in the current directory - if it can.
  output_options wanted = c.outputs;
  bool default_report = false;
  if (!wanted.report) {
    try {
      output_target{std::string("parlab-report.html")}.check("--report");
      wanted.report = "parlab-report.html";
      default_report = true;
    } catch (const usage_error& e) {
      say(fmt::format("parlab: no HTML report: {}", e.what()));
    }
  }
  const outputs out(wanted);
  apply_pinning(c.pin_cores);
  std::FILE* human = out.human();
  const std::int64_t started = monotonic_ns();
  session s(out);
  const machine_info& machine = s.machine();
  const classic_experiment plan = classic_experiment_for(machine, repeat);

  print_to(human,
           fmt::format("parlab demo: the classic experiment on {} ({} core{} usable, {})\n\n",
                       machine.hostname, machine.cores, machine.cores == 1 ? "" : "s",
                       machine.cpu_model));
  print_to(
      human,
      fmt::format("CPU-bound: {} tasks, each counting primes for {} units; W = {} (cores)\n",
                  plan.cpu.workload.tasks, effective_size(plan.cpu.workload), plan.cpu.workers));
  const auto cpu_runs = s.run(plan.cpu);
  const auto py_cpu = c.python ? s.run_cpython(plan.cpu) : std::vector<measured_run>{};
  print_to(human, format_table(joined(cpu_runs, py_cpu)) + cpython_note(py_cpu) + "\n");
  print_to(human,
           fmt::format("I/O-bound: {} tasks, each waiting {} ms then computing 1 unit; W = {}\n",
                       plan.io.workload.tasks, effective_size(plan.io.workload), plan.io.workers));
  const auto io_runs = s.run(plan.io);
  const auto py_io = c.python ? s.run_cpython(plan.io) : std::vector<measured_run>{};
  print_to(human, format_table(joined(io_runs, py_io)) + cpython_note(py_io) + "\n");

  print_to(human, fmt::format("Multitasking: {} threads computing, all pinned to CPU {}\n",
                              plan.one_core.workers, plan.one_core_cpu));
  const auto one_core_runs = [&] {
    const scoped_cpu_pin pin({plan.one_core_cpu});  // this thread, its workers and children
    return s.run(plan.one_core, {"oversubscribed"});
  }();
  print_to(human, format_table(one_core_runs) + "\n");
  print_to(human, fmt::format("Both: {} threads computing on {} core{}\n", plan.both.workers,
                              machine.cores, machine.cores == 1 ? "" : "s"));
  const auto both_runs = s.run(plan.both, {"oversubscribed"});
  print_to(human, format_table(both_runs) + "\n");

  std::vector<std::string> findings = conclusions(cpu_runs, io_runs, machine.cores);
  for (auto& line : cpython_conclusions(cpu_runs, py_cpu, py_io)) findings.push_back(line);
  std::string text = "Conclusions:\n";
  for (const auto& line : findings) text += "  * " + line + "\n";
  print_to(human, text);

  // One picture per verdict: serial, concurrent (one core), parallel, both.
  print_to(human,
           "\nWhat ran when (one lane per worker and per CPU; 'parlab run --timeline' "
           "draws any run):\n");
  std::vector<const measured_run*> pictures;
  for (const measured_run* r :
       {find_run(cpu_runs, "sequential"), find_run(one_core_runs, "threads"),
        find_run(cpu_runs, "threads"), find_run(both_runs, "threads")}) {
    if (r != nullptr) pictures.push_back(r);
  }
  print_timelines(human, pictures);

  s.write(findings);
  std::string report_note;
  if (default_report) {
    report_note = fmt::format("HTML report: {}/parlab-report.html (open it in a browser)\n",
                              std::filesystem::current_path().string());
  } else if (out.report().requested() && !out.report().is_stdout()) {
    report_note = fmt::format("HTML report: {}\n", *out.report().path);
  }
  print_to(human,
           fmt::format("\n{}(measured in {:.1f} s; each row: median of {} runs after one warm-up; "
                       "speedup against sequential in the same invocation)\n",
                       report_note, to_seconds(monotonic_ns() - started), repeat));
  return report_failures(s.rows());
}

}  // namespace parlab::cli
