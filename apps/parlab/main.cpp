// parlab: a thin main over the testable CLI library (src/cli). It is where the example catalog
// (examples/) joins: the catalog registers itself, the CLI knows only the registry.
#include "cli/cli.hpp"
#include "example.hpp"

int main(int argc, char** argv) {
  parlab::examples::register_catalog();
  return parlab::cli::main(argc, argv);
}
