// parlab sweep: a workload under several models at a range of W, with the fitted scaling laws,
// the W to use and why. Ctrl-C keeps (prints, fits, writes) the points measured so far.

#include "cli/commands.hpp"
#include "cli/outputs.hpp"
#include "cli/session.hpp"

#include <parlab/interrupt.hpp>
#include <parlab/limits.hpp>
#include <parlab/sweep.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

namespace parlab::cli {
namespace {

struct sweep_outputs {
  output_target json, csv, svg, report;

  void write(const machine_info& machine, const sweep_result& result) const {
    std::string failed;
    const auto one = [&](const output_target& t, const auto& make) {
      if (!t.requested()) return;
      try {
        t.write(make());
      } catch (const std::runtime_error& e) {
        failed += (failed.empty() ? "" : "; ") + std::string(e.what());
      }
    };
    one(json, [&] { return to_sweep_json(machine, result); });
    one(csv, [&] { return to_sweep_csv(result); });
    one(svg, [&] { return to_sweep_svg(result); });
    one(report, [&] { return to_sweep_html(machine, result); });
    if (!failed.empty()) throw std::runtime_error(failed);
  }
};

}  // namespace

sweep_spec sweep_spec_from(const sweep_command& c, std::FILE* notes) {
  run_command r = c.run;
  r.workers.reset();
  if (!r.executors) r.executors = "threads,thread-pool,processes,gil-threads";
  const experiment_spec base = run_spec(r);  // the workload, models and ranges, checked
  sweep_spec spec;
  spec.workload = base.workload;
  spec.executors = base.executors;
  spec.repeat = base.repeat;
  spec.baseline = base.baseline;
  spec.weak = c.weak;
  if (spec.weak && spec.workload.name == "graph") {
    throw usage_error(
        "--weak grows the tasks with W, and a graph file has as many as it has: drop --weak");
  }
  spec.gil_switch_interval = base.gil_switch_interval;
  const auto allowed = [&](std::size_t w) {
    for (const auto& e : spec.executors) {
      check_machine_allows(e, w, sweep_tasks(spec, w), spec.workload.name);
    }
  };
  if (c.workers) {
    require_value(c.workers, "--workers", "a list such as 1,2,4,8 or a range such as 1..6");
    try {
      spec.workers = parse_worker_list(*c.workers);
    } catch (const std::invalid_argument& e) {
      throw usage_error(std::string("--workers: ") + e.what());
    }
    for (const auto w : spec.workers) allowed(w);
  } else {
    for (const auto w : default_sweep_workers(usable_cores(), limits::max_workers)) {
      try {
        allowed(w);
        spec.workers.push_back(w);
      } catch (const std::invalid_argument& e) {
        print_to(notes, fmt::format("W = {} and above left out: {}\n", w, e.what()));
        break;
      }
    }
    if (spec.workers.size() < 6) {
      print_to(notes, fmt::format("only {} worker counts fit this machine (6 wanted)\n",
                                  spec.workers.size()));
    }
  }
  try {
    check_sweep_spec(spec);
  } catch (const std::invalid_argument& e) {
    throw usage_error(e.what());
  }
  return spec;
}

int command_sweep(const sweep_command& c) {
  const outputs checked(c.run.outputs,
                        inputs_of(c.run));  // paths checked, at most one on standard output
  std::FILE* human = checked.human();
  const sweep_spec spec = sweep_spec_from(c, human);
  const sweep_outputs out{
      {c.run.outputs.json}, {c.run.outputs.csv}, {c.run.outputs.svg}, {c.run.outputs.report}};
  apply_pinning(c.run.pin_cores);
  const machine_info machine = describe_machine();
  const workload_info& info = find_workload(spec.workload.name);
  const std::size_t points = spec.workers.size() * spec.executors.size() + (spec.baseline ? 1 : 0);
  print_to(human,
           fmt::format("{} workload, {} tasks{} of size {} ({}); W = {}; {} models; {} repeats "
                       "per point after a warm-up\n",
                       spec.workload.name, spec.workload.tasks, spec.weak ? " per worker" : "",
                       effective_size(spec.workload), info.size_meaning,
                       fmt::join(spec.workers, ","), spec.executors.size(), spec.repeat));
  const bool tty = ::isatty(::fileno(human)) != 0;
  std::vector<measured_run> rows;
  const auto progress = [&](const measured_run& m) {
    rows.push_back(m);
    if (tty) {
      std::fprintf(human, "  [%zu/%zu] %-12s W=%-4zu median %.1f ms\n", rows.size(), points,
                   m.is_baseline ? "sequential" : m.executor.c_str(), m.workers,
                   m.wall_median * 1e3);
      std::fflush(human);
    }
  };
  const auto keep = [&](bool interrupted) {
    const sweep_result partial = analyse_sweep(spec, rows, usable_cores(), interrupted);
    print_to(human, fmt::format("\n{}", format_sweep(partial)));
    out.write(machine, partial);
    return partial;
  };
  sweep_result result;
  try {
    result = run_sweep(spec, progress);
  } catch (const std::invalid_argument&) {
    throw;  // bad input is found before anything runs
  } catch (const interrupted& e) {
    stop_keeping(
        e, [&] { (void)keep(true); },
        fmt::format("the {} point{} measured so far kept", rows.size(),
                    rows.size() == 1 ? "" : "s"));
  } catch (...) {
    if (!rows.empty()) {
      try {
        (void)keep(false);
        say(fmt::format("parlab: the {} points measured before the error were written",
                        rows.size()));
      } catch (const std::runtime_error& e) {
        say(fmt::format("parlab: error: {}", e.what()));
      }
    }
    throw;
  }
  print_to(human, fmt::format("\n{}", format_sweep(result)));
  out.write(machine, result);
  return report_failures(rows);
}

}  // namespace parlab::cli
