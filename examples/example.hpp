#pragma once
// What every example shares: its few options, the verdict line, pictures of its runs, and the
// catalog that 'parlab example' runs them from. Each example is one file, one idea, defining
// parlab::examples::NAME(argc, argv); CMake builds each as its own program (a main generated from
// standalone_main.cpp.in) and links all of them into the parlab binary.

#include <parlab/experiment.hpp>

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace parlab::examples {

/// What an example may be asked on its command line.
struct options {
  bool quick = false;     ///< smaller sizes (the CTest runs)
  bool timeline = false;  ///< print the terminal timeline of the runs that have one
  std::string svg;        ///< write those timelines as an SVG image here
};

/// Exit codes every example uses: 0 the claim holds, 1 it does not, 2 bad input, 3 error, 4
/// inconclusive (the claim needs free cores, and the runs measured that others held them or that
/// they were slowed).
inline constexpr int holds_code = 0;
inline constexpr int does_not_hold_code = 1;
inline constexpr int usage_code = 2;
inline constexpr int error_code = 3;
inline constexpr int inconclusive_code = 4;

/// Thrown for a bad command line; the runner prints it in one line and exits usage_code.
struct usage_error : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

/// Thrown by parse_options for --help after printing the usage; the runner exits 0.
struct help_requested {};

/// Whether an example draws timelines of parlab runs (then it takes --timeline and --svg).
enum class pictures : bool { none, drawn };

/// Parses --quick, --help and, when the example draws, --timeline and --svg PATH. Throws
/// usage_error for anything else.
[[nodiscard]] options parse_options(int argc, char** argv, pictures draws = pictures::drawn);

/// Prints the example's title and claim (first lines of its output).
void state_claim(std::string_view name, std::string_view claim);

/// Prints one line of evidence, indented.
void evidence(const std::string& line);

/// Prints "verdict: holds" or "verdict: does not hold" (and why, when it does not) and returns
/// the exit code for it.
[[nodiscard]] int conclude(bool holds, std::string_view why_not = {});

/// The most CPU time any of `runs` took for the same work (workload, tasks, size, seed and
/// parameters) as a sequential run among them, as a multiple of that run's; 1 without such a
/// pair. Two cores that are siblings of one physical core, or that a hypervisor shares with
/// others without counting steal, make every instruction dearer while both compute: the work
/// costs more CPU time, and /proc/stat shows nothing.
[[nodiscard]] double cpu_inflation(const std::vector<measured_run>& runs);

/// From this cpu_inflation on, the cores are said to have been slowed.
inline constexpr double slowed_cores_inflation = 1.5;

/// For a claim that needs `cores_needed` cores free: when it did not hold and, measured in the
/// same runs, others kept so much of this process's cores busy that fewer were free
/// (measured_run::others_cores), or the cores were slowed (cpu_inflation), prints
/// "verdict: inconclusive (...)" and returns inconclusive_code; otherwise conclude(holds,
/// why_not).
[[nodiscard]] int conclude_needing_cores(bool holds, std::string_view why_not,
                                         const std::vector<measured_run>& runs,
                                         double cores_needed);

/// Prints the terminal timelines and writes the SVG the options ask for, for runs recorded with
/// experiment_spec::keep_records.
void show_pictures(const options& opts, const std::vector<measured_run>& runs);

/// The first CPU this process may run on.
[[nodiscard]] int first_allowed_cpu();

/// An example's entry point.
using example_main = int (*)(int argc, char** argv);

/// Runs an example's entry point, turning a usage error into exit 2 and any other exception into
/// exit 3, each with a one-line message naming the example.
[[nodiscard]] int run(std::string_view name, example_main main, int argc, char** argv) noexcept;

/// One entry of the catalog (examples/catalog.cpp; registered into the parlab binary's table).
struct example {
  std::string_view name;
  std::string_view idea;  ///< one line for 'parlab example --list'
  example_main main;
  pictures draws = pictures::none;  ///< takes --timeline and --svg
};

/// Every example, in the order of the classic material.
[[nodiscard]] const std::vector<example>& catalog();

/// The catalog entry called `name`, or nullptr.
[[nodiscard]] const example* find(std::string_view name);

/// Adds every catalog entry to the library's table of examples (parlab::register_example), once;
/// the parlab program calls it before its command line runs.
void register_catalog();

}  // namespace parlab::examples
