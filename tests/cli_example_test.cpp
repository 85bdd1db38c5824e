// `parlab example`: the catalog, its runs with their own options and verdicts, bad input,
// pictures.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cli_harness.hpp"
#include "timing.hpp"

namespace {

namespace fs = std::filesystem;

using cli_harness::kQuick;
using cli_harness::lines;
using cli_harness::outcome;
using cli_harness::slurp;

TEST_F(Cli, ExampleListNamesTheCatalog) {
  const auto o = parlab("example --list");
  EXPECT_EQ(o.code, 0) << o.err;
  for (const char* name :
       {"multitasking", "multithreading", "multiprocessing", "concurrency", "parallelism",
        "concurrency_and_parallelism", "cpu_bound", "io_bound", "race_condition",
        "shared_memory_vs_pipe", "producer_consumer", "creation_cost", "fault_isolation",
        "distributed_memory", "custom_task"}) {
    EXPECT_NE(o.out.find(std::string("  ") + name + " "), std::string::npos) << name;
  }
}

TEST_F(Cli, ExampleRunsWithItsOwnOptionsAndEndsWithItsVerdict) {
  const auto o = parlab("example fault_isolation --quick");  // no timing: holds under sanitizers
  EXPECT_EQ(o.code, 0) << o.out << o.err;
  EXPECT_NE(o.out.find("claim: "), std::string::npos);
  EXPECT_NE(o.out.find("\nverdict: holds\n"), std::string::npos) << o.out;
}

TEST_F(Cli, ExampleBadInputExitsTwoWithOneLine) {
  const auto unknown = parlab("example teleportation");
  EXPECT_EQ(unknown.code, 2);
  EXPECT_EQ(lines(unknown.err), 1U) << unknown.err;
  EXPECT_NE(unknown.err.find("'teleportation'"), std::string::npos) << unknown.err;
  EXPECT_NE(unknown.err.find("race_condition"), std::string::npos) << unknown.err;
  const auto option = parlab("example race_condition --fast");
  EXPECT_EQ(option.code, 2);
  EXPECT_EQ(lines(option.err), 1U) << option.err;
  EXPECT_NE(option.err.find("'--fast'"), std::string::npos) << option.err;
  const auto svg = parlab("example race_condition --svg " + (dir_ / "r.svg").string());
  EXPECT_EQ(svg.code, 2);
  EXPECT_NE(svg.err.find("draws no timeline"), std::string::npos) << svg.err;
}

TEST_F(Cli, ExampleDrawsItsRunsWhenAsked) {
  // Timing test: the example's verdict is a timing claim (two tasks on one core take turns and
  // finish no sooner than one after the other; another program on that core breaks it). The
  // drawing is asserted whatever the verdict.
  PARLAB_TIMING_TEST([&]() -> std::string {
    const auto o =
        parlab("example concurrency --quick --timeline --svg " + (dir_ / "c.svg").string());
    EXPECT_TRUE(o.code == 0 || o.code == 1) << o.out << o.err;  // 1: the verdict did not hold
    EXPECT_NE(o.out.find("worker 1  |"), std::string::npos) << o.out;  // the terminal timeline
    EXPECT_NE(slurp(dir_ / "c.svg").find("<svg"), std::string::npos);
    if (o.code == 0) return {};
    const auto at = o.out.find("verdict: ");
    return at == std::string::npos ? o.err : o.out.substr(at);
  });
}

}  // namespace
