// parlab advise: which model and how many workers, measured here within a budget. Ctrl-C keeps
// (prints, writes) the advice the points measured so far support.

#include "cli/commands.hpp"
#include "cli/outputs.hpp"
#include "cli/session.hpp"

#include <parlab/advise.hpp>
#include <parlab/executor.hpp>
#include <parlab/interrupt.hpp>
#include <parlab/workload.hpp>

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>

namespace parlab::cli {
namespace {

constexpr double kMaxBudget = 24.0 * 3600.0;

/// Every model built here but the baseline (for a task graph, those that run graphs).
std::string every_model_but_sequential(bool graph) {
  std::string names;
  for (const auto& e : executors()) {
    if (!e.available || e.name == "sequential" || (graph && !e.runs_graphs)) continue;
    names += (names.empty() ? "" : ",") + e.name;
  }
  return names;
}

}  // namespace

int command_advise(const advise_command& c) {
  if (c.run.no_baseline) {
    throw usage_error("--no-baseline: advise measures every model against the sequential run");
  }
  run_command r = c.run;
  r.workers.reset();
  const bool every_model = !r.executors.has_value();
  if (every_model) {
    r.executors =
        every_model_but_sequential(r.graph.has_value() || find_workload(r.workload).graph);
  }
  const experiment_spec spec = run_spec(r);
  advise_options options;
  if (!every_model) options.executors = spec.executors;
  for (const auto& e : spec.executors) {
    if (e == "sequential") {
      throw usage_error("-e: 'sequential' is the baseline of every advice (leave it out)");
    }
  }
  options.repeat = spec.repeat;
  options.gil_switch_interval = spec.gil_switch_interval;
  options.label = spec.workload.name;
  if (c.budget) {
    options.budget = std::chrono::duration<double>(
        parse_number(*c.budget, "--budget (seconds)", 0.0, kMaxBudget, true));
  }
  const outputs checked(c.run.outputs, inputs_of(c.run));
  const output_target json{c.run.outputs.json};
  std::FILE* human = checked.human();
  apply_pinning(c.run.pin_cores);
  const machine_info machine = describe_machine();
  const std::vector<task> tasks = make_workload(spec.workload);
  const workload_info& info = find_workload(spec.workload.name);
  print_to(human,
           fmt::format("{} workload, {} tasks of size {} ({}); budget {:.0f} s; {} repeats "
                       "per point after a warm-up\n",
                       spec.workload.name, spec.workload.tasks, effective_size(spec.workload),
                       info.size_meaning, options.budget.count(), spec.repeat));
  const bool tty = ::isatty(::fileno(human)) != 0;
  const auto started = std::chrono::steady_clock::now();
  std::vector<measured_run> rows;
  options.progress = [&](const measured_run& m) {
    rows.push_back(m);
    if (tty) {
      std::fprintf(
          human, "  [%5.1f s of %.0f] %-12s W=%-4zu median %.1f ms\n",
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(),
          options.budget.count(), m.is_baseline ? "sequential" : m.executor.c_str(), m.workers,
          m.wall_median * 1e3);
      std::fflush(human);
    }
  };
  const auto write = [&](const advice& a) {
    print_to(human, fmt::format("\n{}", format_advice(a)));
    if (json.requested()) json.write(to_advice_json(machine, a));
  };
  advice result;
  try {
    result = advise(tasks, options);
  } catch (const std::invalid_argument&) {
    throw;  // bad input is found before anything runs
  } catch (const interrupted& e) {
    advise_options named = options;
    if (every_model) named.executors = spec.executors;
    advice partial = advise_from_rows(rows, named, usable_cores());
    partial.sweep.interrupted = true;
    partial.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    partial.notes.insert(partial.notes.begin(),
                         fmt::format("interrupted: only the {} points measured before the signal "
                                     "are used",
                                     rows.size()));
    stop_keeping(
        e, [&] { write(partial); },
        fmt::format("the advice from the {} point{} measured so far kept", rows.size(),
                    rows.size() == 1 ? "" : "s"));
  }
  write(result);
  return report_failures(rows);
}

}  // namespace parlab::cli
