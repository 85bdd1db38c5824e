// parlab: a thin main over the testable CLI library (src/cli).
#include "cli/cli.hpp"

int main(int argc, char** argv) { return parlab::cli::main(argc, argv); }
