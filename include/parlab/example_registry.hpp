#pragma once
/// @file Examples: programs that state one claim, measure it on this machine and end with a
/// verdict. `parlab example` runs whichever are registered here; the catalog in examples/
/// registers its own (examples::register_catalog, called by the parlab program), and a library
/// user may add theirs. The command line knows only this table.

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace parlab {

/// One example.
struct example_info {
  std::string name;
  std::string idea;    ///< one line for 'parlab example --list'
  bool draws = false;  ///< takes --timeline and --svg PATH (draws the timelines of its runs)
  /// The program: argv[0] is "parlab example NAME", the rest its own arguments. Returns the exit
  /// code (0 the claim holds, 1 it does not, 2 bad input, 3 error) and does not throw.
  std::function<int(int argc, char** argv)> main;
};

/// Every registered example, in the order of registration. Thread-safe (a snapshot).
[[nodiscard]] std::vector<example_info> registered_examples();

/// The example called `name`; throws std::invalid_argument naming it and the registered ones.
[[nodiscard]] example_info find_example(std::string_view name);

/// Adds an example. Throws std::invalid_argument for an empty or taken name or a missing main.
/// Thread-safe.
void register_example(example_info info);

}  // namespace parlab
