#pragma once
// Internal: parlab's command line as plain data, read from the CLI11 app itself (make_app). The
// man pages and the shell completions are written from it, so neither can miss a command or an
// option, and the values an option takes come from the same tables the commands check against.

#include <string>
#include <string_view>
#include <vector>

namespace CLI {
class App;
}  // namespace CLI

namespace parlab::cli {

/// One option or positional argument.
struct outlined_option {
  std::vector<std::string> names;  ///< "-w", "--workload" (short ones first); empty: positional
  std::string positional;          ///< a positional argument's name
  /// What its value is (CLI11's type name: PATH, WORKLOAD, MODELS, FAULT, SCHEDULE, EXAMPLE,
  /// SHELL, TEXT...); empty for a flag, which takes none.
  std::string value;
  std::string description;
  bool required = false;
};

/// One command (or parlab itself).
struct outlined_command {
  std::string name;  ///< "run"; "" for parlab itself
  std::string description;
  std::string footer;                    ///< its examples and notes, as --help prints them
  std::vector<outlined_option> options;  ///< options first, then positionals, in order
  /// What follows the command is another program's words (watch's COMMAND, example's options).
  bool takes_rest = false;
};

/// parlab and its commands, hidden ones left out.
struct app_outline {
  outlined_command top;
  std::vector<outlined_command> commands;
};

/// The outline of `app` (make_app's).
[[nodiscard]] app_outline outline_of(const CLI::App& app);

/// The values an option of this kind takes, to complete: the workloads, the models (a
/// comma-separated list), the fault modes, the examples, the shells; empty for anything else
/// (PATH completes file names; the rest is free text).
[[nodiscard]] std::vector<std::string> values_of(std::string_view kind);

/// The kinds whose value is a comma-separated list of values_of(kind).
[[nodiscard]] bool is_list(std::string_view kind) noexcept;

}  // namespace parlab::cli
