// parlab example: the catalog of one-idea programs, or one of them run with its own arguments.

#include "cli/commands.hpp"
#include "cli/outputs.hpp"

#include "example.hpp"

#include <fmt/format.h>

namespace parlab::cli {

int command_example(const example_command& c) {
  const auto& all = examples::catalog();
  std::string names;
  for (const auto& e : all) names += (names.empty() ? "" : ", ") + std::string(e.name);
  if (c.list || c.name.empty()) {
    std::string out =
        "Examples (parlab example NAME [--quick] [--help]; * also draws: --timeline, --svg "
        "PATH):\n";
    for (const auto& e : all) {
      out += fmt::format("  {:<28} {} {}\n", e.name,
                         e.draws == examples::pictures::drawn ? '*' : ' ', e.idea);
    }
    out +=
        "\nEach states its claim, measures it here and ends with 'verdict: holds' (exit 0) or "
        "'verdict: does not hold' (exit 1).\nSources: examples/NAME.cpp\n";
    print_to(stdout, out);
    return 0;
  }
  const examples::example* e = examples::find(c.name);
  if (e == nullptr) {
    throw usage_error(fmt::format("example: unknown example '{}' (one of: {})", c.name, names));
  }
  std::vector<std::string> storage{"parlab example " + c.name};
  storage.insert(storage.end(), c.args.begin(), c.args.end());
  std::vector<char*> argv;
  for (auto& a : storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  return examples::run(e->name, e->main, static_cast<int>(storage.size()), argv.data());
}

}  // namespace parlab::cli
