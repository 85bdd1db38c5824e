// parlab: a thin main over the testable CLI library (src/cli). It is where the example catalog
// (examples/) joins: the catalog registers itself, the CLI knows only the registry.
#include "cli/cli.hpp"
#include "example.hpp"

#include <parlab/mpi.hpp>

#include <unistd.h>

#include <array>

int main(int argc, char** argv) {
  parlab::examples::register_catalog();
  // The mpi model's ranks are this very program.
  std::array<char, 4096> self{};
  const ssize_t n = ::readlink("/proc/self/exe", self.data(), self.size() - 1);
  if (n > 0) parlab::set_rank_program(std::string(self.data(), static_cast<std::size_t>(n)));
  return parlab::cli::main(argc, argv);
}
