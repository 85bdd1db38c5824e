// What every example shares (see example.hpp).

#include "example.hpp"

#include <parlab/interrupt.hpp>
#include <parlab/machine.hpp>
#include <parlab/pictures.hpp>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <fstream>

namespace parlab::examples {

options parse_options(int argc, char** argv, pictures draws) {
  const bool drawn = draws == pictures::drawn;
  const std::string allowed = drawn ? "--quick, --timeline, --svg PATH, --help" : "--quick, --help";
  options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (!drawn && (arg == "--timeline" || arg == "--svg")) {
      throw usage_error(std::string(arg) +
                        ": this example draws no timeline (it times plain system calls; "
                        "allowed: " +
                        allowed + ")");
    }
    if (arg == "--quick") {
      o.quick = true;
    } else if (arg == "--timeline") {
      o.timeline = true;
    } else if (arg == "--svg") {
      if (i + 1 >= argc) throw usage_error("--svg needs a file path");
      o.svg = argv[++i];
    } else if (arg == "--help" || arg == "-h") {
      std::printf(
          "options: --quick (smaller sizes)%s\n"
          "exit codes: 0 the claim holds, 1 it does not, 2 bad input, 3 error, 4 inconclusive "
          "(the cores the claim needs were busy or slowed)\n",
          drawn ? ", --timeline (draw the runs in the terminal), --svg PATH (as SVG)" : "");
      throw help_requested{};
    } else {
      throw usage_error("unknown option '" + std::string(arg) + "' (allowed: " + allowed + ")");
    }
  }
  if (!o.svg.empty()) {  // fail before measuring, not after
    std::ofstream probe(o.svg, std::ios::app);
    if (!probe) throw usage_error("--svg: cannot write '" + o.svg + "'");
  }
  return o;
}

void state_claim(std::string_view name, std::string_view claim) {
  std::printf("%.*s\nclaim: %.*s\n", static_cast<int>(name.size()), name.data(),
              static_cast<int>(claim.size()), claim.data());
  std::fflush(stdout);
}

void evidence(const std::string& line) {
  std::printf("  %s\n", line.c_str());
  std::fflush(stdout);
}

int conclude(bool holds, std::string_view why_not) {
  if (holds) {
    std::puts("verdict: holds");
  } else {
    std::printf("verdict: does not hold (%.*s)\n", static_cast<int>(why_not.size()),
                why_not.data());
  }
  std::fflush(stdout);
  return holds ? holds_code : does_not_hold_code;
}

double cpu_inflation(const std::vector<measured_run>& runs) {
  const auto same_work = [](const measured_run& a, const measured_run& b) {
    return a.workload == b.workload && a.tasks == b.tasks && a.size == b.size && a.seed == b.seed &&
           a.parameters == b.parameters;
  };
  double worst = 1.0;
  for (const auto& base : runs) {
    if (base.executor != "sequential" || base.kernel.cpu_seconds() <= 0) continue;
    for (const auto& r : runs) {
      if (&r != &base && same_work(r, base)) {
        worst = std::max(worst, r.kernel.cpu_seconds() / base.kernel.cpu_seconds());
      }
    }
  }
  return worst;
}

int conclude_needing_cores(bool holds, std::string_view why_not,
                           const std::vector<measured_run>& runs, double cores_needed) {
  double others = 0.0;
  for (const auto& r : runs) others = std::max(others, r.others_cores.value_or(0.0));
  const double usable = static_cast<double>(usable_cores());
  const double free = usable - others;
  const double inflation = cpu_inflation(runs);
  // A quarter of a core of slack: /proc/stat counts in 10 ms ticks.
  const bool cores_taken = free < cores_needed - 0.25;
  const bool cores_slowed = inflation >= slowed_cores_inflation;
  if (holds || (!cores_taken && !cores_slowed)) return conclude(holds, why_not);
  if (cores_taken) {
    std::printf(
        "verdict: inconclusive (%.*s; but others kept %.2f of the %.0f cores busy during the "
        "runs: %.2f free, the claim needs %.0f)\n",
        static_cast<int>(why_not.size()), why_not.data(), others, usable, free, cores_needed);
  } else {
    std::printf(
        "verdict: inconclusive (%.*s; but the same work cost %.2fx its sequential CPU time when "
        "run at once: these cores did not compute at full speed together - siblings of one "
        "physical core, or a hypervisor running others on them without counting it as steal)\n",
        static_cast<int>(why_not.size()), why_not.data(), inflation);
  }
  std::fflush(stdout);
  return inconclusive_code;
}

void show_pictures(const options& opts, const std::vector<measured_run>& runs) {
  if (opts.timeline) {
    const bool colour = ::isatty(STDOUT_FILENO) != 0;
    for (const auto& r : runs) std::printf("\n%s", format_timeline(r, {96, colour}).c_str());
    std::fflush(stdout);
  }
  if (!opts.svg.empty()) {
    std::ofstream out(opts.svg, std::ios::trunc);
    out << to_svg(runs);
    if (!out) throw std::runtime_error("could not write '" + opts.svg + "'");
    std::printf("  (timeline drawn in %s)\n", opts.svg.c_str());
  }
}

int first_allowed_cpu() {
  const std::vector<int> cpus = affinity();
  return cpus.empty() ? 0 : cpus.front();
}

int run(std::string_view name, example_main main, int argc, char** argv) noexcept {
  const auto fail = [&](int code, const char* what) {
    std::fflush(stdout);
    std::fprintf(stderr, "%.*s: %s\n", static_cast<int>(name.size()), name.data(), what);
    return code;
  };
  try {
    const int code = main(argc, argv);
    // A signal that arrived while the example ran (under parlab example, it only set a flag)
    // ends it as an interrupt, whatever the example concluded meanwhile.
    throw_if_interrupted();
    return code;
  } catch (const help_requested&) {
    return holds_code;
  } catch (const usage_error& e) {
    return fail(usage_code, e.what());
  } catch (const interrupted& e) {  // every child is reaped by now
    return fail(e.exit_code(), e.what());
  } catch (const std::exception& e) {
    return fail(error_code, (std::string("error: ") + e.what()).c_str());
  } catch (...) {
    return fail(error_code, "error: unknown exception");
  }
}

}  // namespace parlab::examples
