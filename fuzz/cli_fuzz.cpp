// Fuzz target: the command line as far as it goes before measuring - CLI11 parsing into the
// command structs and every range check of `parlab run` and `parlab sweep`
// (parlab::cli::run_spec, parlab::cli::sweep_spec_from: worker lists and ranges). The input is
// the arguments, one per line. Every input must parse or be refused with usage_error /
// std::invalid_argument (exit 2), never crash or throw anything else.

#include "cli/commands.hpp"
#include "fuzz_target.hpp"

#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // "--graph -" reads standard input: give it an empty one, never a wait.
  static const bool no_input = std::freopen("/dev/null", "r", stdin) != nullptr;
  (void)no_input;
  std::vector<std::string> args = {"parlab"};
  std::string current;
  for (std::size_t i = 0; i < size && args.size() < 64; ++i) {
    const char c = static_cast<char>(data[i]);
    if (c == '\n') {
      args.push_back(current);
      current.clear();
    } else if (c != '\0') {
      current += c;
    }
  }
  if (!current.empty()) args.push_back(current);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  parlab::cli::command_line parsed;
  try {
    if (parlab::cli::parse_command_line(static_cast<int>(args.size()), argv.data(), parsed)) {
      return 0;  // --help, --version or a parse error: answered already
    }
    if (parsed.which == parlab::cli::command_line::command::run) {
      (void)parlab::cli::run_spec(parsed.run);
    }
    if (parsed.which == parlab::cli::command_line::command::sweep) {
      (void)parlab::cli::sweep_spec_from(parsed.sweep, stdout);
    }
  } catch (const std::invalid_argument&) {
    // refused in one line
  }
  std::fflush(stdout);
  return 0;
}
