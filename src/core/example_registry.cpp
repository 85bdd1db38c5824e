// The table of examples 'parlab example' runs: empty until someone registers (the catalog in
// examples/ does, from the parlab program's main).

#include <parlab/example_registry.hpp>

#include "core/named_registry.hpp"

#include <stdexcept>
#include <utility>

namespace parlab {
namespace {

detail::named_registry<example_info>& the_example_registry() {
  static detail::named_registry<example_info> registry("example", {});
  return registry;
}

}  // namespace

std::vector<example_info> registered_examples() { return the_example_registry().all(); }

example_info find_example(std::string_view name) { return the_example_registry().find(name); }

void register_example(example_info info) {
  if (!info.main) {
    throw std::invalid_argument("register_example: '" + info.name + "' has no main");
  }
  the_example_registry().add(std::move(info));
}

}  // namespace parlab
