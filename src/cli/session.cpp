#include "cli/session.hpp"
#include "cli/outputs.hpp"

#include <parlab/pictures.hpp>
#include <parlab/report.hpp>

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>

namespace parlab::cli {

session::session(const outputs& out)
    : human_(out.human()), out_(out), tty_(::isatty(::fileno(human_)) != 0) {}

namespace {

void mark_intended(std::vector<hazard>& hazards, const std::vector<std::string>& intended) {
  for (auto& h : hazards) {
    h.intended = std::find(intended.begin(), intended.end(), h.kind) != intended.end();
  }
}

}  // namespace

std::vector<measured_run> session::run(const experiment_spec& spec,
                                       const std::vector<std::string>& intended) {
  const std::size_t first = done_.size();  // this experiment's rows start here
  try {
    std::vector<measured_run> rows = run_experiment(spec, [&](const measured_run& m) {
      if (tty_) {
        std::fprintf(human_, "  measured %-12s W=%-3zu median %.1f ms\n", m.executor.c_str(),
                     m.workers, m.wall_median * 1e3);
        std::fflush(human_);
      }
      done_.push_back(m);
      mark_intended(done_.back().hazards, intended);
    });
    for (auto& r : rows) mark_intended(r.hazards, intended);
    return rows;
  } catch (const std::invalid_argument&) {
    throw;  // bad input is found before anything runs
  } catch (const interrupted& e) {
    stop(e);
  } catch (...) {
    if (!done_.empty()) {
      print_to(human_,
               format_table({done_.begin() + static_cast<std::ptrdiff_t>(first), done_.end()}));
      try {
        write();
        say(fmt::format("parlab: the {} rows measured before the error were written",
                        done_.size()));
      } catch (const std::runtime_error& e) {
        say(fmt::format("parlab: error: {}", e.what()));
      }
    }
    throw;
  }
}

void session::stop(const interrupted& e) {
  if (!done_.empty()) {
    print_to(human_, "\n");
    print_to(human_, format_table(done_));
  }
  stop_keeping(
      e,
      [&] {
        out_.write(machine_, done_,
                   {fmt::format("This command was interrupted ({}): only the {} rows measured "
                                "before it are shown.",
                                signal_name(e.signal()), done_.size())},
                   true);
      },
      fmt::format("{} row{} measured so far kept", done_.size(), done_.size() == 1 ? "" : "s"));
}

void stop_keeping(const interrupted& e, const std::function<void()>& write,
                  const std::string& kept) {
  std::string said = kept;
  try {
    write();
  } catch (const std::runtime_error& failed) {
    said = failed.what();
  }
  say_after_blank(fmt::format("parlab: interrupted by {}: every child process ended; {}",
                              signal_name(e.signal()), said));
  throw interrupted_and_kept(e.signal());
}

std::vector<measured_run> session::run_cpython(const experiment_spec& spec) {
  if (!looked_for_python_) {
    looked_for_python_ = true;
    python_ = find_python3();
    if (!python_) {  // said once per command, not once per experiment
      print_to(human_,
               "python3 not found on PATH: no CPython rows (install python3 to see them)\n");
    }
  }
  if (!python_) return {};
  try {
    auto rows = parlab::run_cpython(cpython_spec_for(spec), *python_);
    done_.insert(done_.end(), rows.begin(), rows.end());
    return rows;
  } catch (const interrupted& e) {
    stop(e);
  } catch (const std::runtime_error& e) {
    say(fmt::format("parlab: no CPython rows: {}", e.what()));
    return {};
  }
}

void session::write(const std::vector<std::string>& findings) const {
  out_.write(machine_, done_, findings, false);
}

int report_failures(const std::vector<measured_run>& runs) {
  int code = 0;
  for (const auto& r : runs) {
    std::size_t lost = 0;
    for (const auto& f : r.failures) {
      code = 1;
      if (f.kind == failure_kind::lost_with_run) {
        ++lost;
        continue;
      }
      say(fmt::format("parlab: {}: {}", r.executor, f.describe()));
    }
    if (lost != 0) {
      say(fmt::format("parlab: {}: {} other task{} lost with the whole run", r.executor, lost,
                      lost == 1 ? "" : "s"));
    }
    // Failures of the warm-up run, unless the measured run repeats them (a faulty task fails
    // in every run; it is said once above).
    for (const auto& f : r.warm_up_failures) {
      const bool said = std::any_of(r.failures.begin(), r.failures.end(),
                                    [&](const task_failure& m) { return m.task_id == f.task_id; });
      if (said || (f.kind == failure_kind::lost_with_run && !r.failures.empty())) continue;
      code = 1;
      say(fmt::format("parlab: {}: in the warm-up run, {}", r.executor, f.describe()));
    }
  }
  return code;
}

void print_timelines(std::FILE* f, const std::vector<const measured_run*>& runs) {
  const bool colour = ::isatty(::fileno(f)) != 0;
  for (const auto* r : runs) {
    std::string text = format_timeline(*r, {96, colour});
    text.insert(text.begin(), '\n');  // (not "\n" + ...: GCC 12 -Wrestrict false positive)
    print_to(f, text);
  }
}

std::string cpython_note(const std::vector<measured_run>& rows) {
  if (rows.empty()) return {};
  const auto& r = rows.front();
  return fmt::format(
      "cpython-* rows: the same {} tasks run by CPython (python/parlab_reference.py), {} {} "
      "each{}; their speedups are against cpython-sequential\n",
      r.tasks, r.size, r.workload == "cpu" ? "units" : "ms",
      r.workload == "cpu"
          ? fmt::format(" (1/{} of the units: CPython computes far slower)", cpython_cpu_scale)
          : "");
}

std::vector<measured_run> joined(std::vector<measured_run> a, const std::vector<measured_run>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace parlab::cli
