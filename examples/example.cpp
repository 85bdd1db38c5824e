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
          "exit codes: 0 the claim holds, 1 it does not, 2 bad input, 3 error\n",
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

int conclude_needing_cores(bool holds, std::string_view why_not,
                           const std::vector<measured_run>& runs, double cores_needed) {
  double others = 0.0;
  for (const auto& r : runs) others = std::max(others, r.others_cores.value_or(0.0));
  const double usable = static_cast<double>(usable_cores());
  const double free = usable - others;
  // A quarter of a core of slack: /proc/stat counts in 10 ms ticks.
  if (holds || free >= cores_needed - 0.25) return conclude(holds, why_not);
  std::printf(
      "verdict: inconclusive (%.*s; but others kept %.2f of the %.0f cores busy during the runs: "
      "%.2f free, the claim needs %.0f)\n",
      static_cast<int>(why_not.size()), why_not.data(), others, usable, free, cores_needed);
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
    return main(argc, argv);
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
