// parlab example: the registered examples (the catalog in examples/ registers its own), or one of
// them run with its own arguments.

#include <parlab/example_registry.hpp>

#include "cli/commands.hpp"
#include "cli/outputs.hpp"

#include <fmt/format.h>

#include <stdexcept>

namespace parlab::cli {

int command_example(const example_command& c) {
  const auto all = registered_examples();
  if (c.list || c.name.empty()) {
    std::string out =
        "Examples (parlab example NAME [--quick] [--help]; * also draws: --timeline, --svg "
        "PATH):\n";
    for (const auto& e : all) {
      out += fmt::format("  {:<28} {} {}\n", e.name, e.draws ? '*' : ' ', e.idea);
    }
    if (all.empty()) out += "  (none registered in this program)\n";
    out +=
        "\nEach states its claim, measures it here and ends with 'verdict: holds' (exit 0) or "
        "'verdict: does not hold' (exit 1).\nSources of the catalog: examples/NAME.cpp\n";
    print_to(stdout, out);
    return 0;
  }
  example_info e;
  try {
    e = find_example(c.name);
  } catch (const std::invalid_argument& bad) {
    throw usage_error(std::string("example: ") + bad.what());
  }
  std::vector<std::string> storage{"parlab example " + c.name};
  storage.insert(storage.end(), c.args.begin(), c.args.end());
  std::vector<char*> argv;
  for (auto& a : storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  return e.main(static_cast<int>(storage.size()), argv.data());
}

}  // namespace parlab::cli
