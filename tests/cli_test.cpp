// The parlab binary as a user runs it: exit codes and one-line errors for bad input, help,
// list, files refused or not written, saved files refused. Each command has its own file too:
// cli_run_test (run), cli_measure_test (overhead, fit, compare, sweep, advise), cli_example_test
// (example), cli_interrupt_test (signals and killed workers, for every command).

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "cli_harness.hpp"
#include "timing.hpp"

namespace {

namespace fs = std::filesystem;

using cli_harness::kQuick;
using cli_harness::lines;
using cli_harness::outcome;
using cli_harness::slurp;

TEST_F(Cli, BadInputsExitTwoWithOneLineNamingTheValue) {
  const struct {
    std::string args;
    std::string must_mention;
  } cases[] = {
      {"run -w gpu", "'gpu'"},
      {"run -e threads,fibers", "'fibers'"},
      {"run -j 0", "--workers"},
      {"run -j -3", "--workers"},
      {"run -t 0", "--tasks"},
      {"run -s -1", "--size"},
      {"run -r 0", "--repeat"},
      {"run -j lots", "--workers"},
      {"run --switch-interval 0", "--switch-interval"},
      {"run --fault explode", "'explode'"},
      {"run -t 4 --fault throw --fault-task 9", "--fault-task"},
      {"run --json /nonexistent-dir/x.json", "/nonexistent-dir/x.json"},
      {"run --csv /nonexistent-dir/x.csv", "/nonexistent-dir/x.csv"},
      {"run --json - --csv -", "standard output"},
      {"--no-such-flag", "--no-such-flag"},
      {"run --pin-cores 4096", "4096"},
      {"run --pin-cores zero", "'zero'"},
      {"run -w http --http-latency -1", "--http-latency"},
      {"run -w http --http-bandwidth -2", "--http-bandwidth"},
  };
  for (const auto& c : cases) {
    const auto o = parlab(c.args);
    EXPECT_EQ(o.code, 2) << c.args << "\n" << o.err;
    EXPECT_EQ(lines(o.err), 1U) << c.args << "\n" << o.err;
    EXPECT_NE(o.err.find(c.must_mention), std::string::npos) << c.args << "\n" << o.err;
    EXPECT_EQ(o.err.rfind("parlab: ", 0), 0U) << o.err;
    EXPECT_TRUE(o.out.empty()) << c.args << " printed to stdout:\n" << o.out;
  }
}

// ---- Solid ground: bounds, outputs written whole or not at all, interrupts ------------------

TEST_F(Cli, NumbersAndNamesOutOfRangeExitTwoWithTheAllowedRange) {
  const struct {
    std::string args;
    std::string must_mention;
  } cases[] = {
      {"run -j ''", "--workers must be a whole number in [1, 10000] (got '')"},
      {"run -j 1000000", "--workers must be a whole number in [1, 10000]"},
      {"run -j 99999999999999999999", "--workers"},
      {"run -j 18446744073709551616", "--workers"},
      {"run --tasks 10000000000", "--tasks must be a whole number in [1, 1000000]"},
      {"run --size 1180591620717411303424", "--size for workload 'cpu'"},
      {"run --size 1e30", "--size for workload 'cpu'"},
      {"run -w io --size 99999999",
       "--size for workload 'io' must be a whole number in [0, 3600000]"},
      {"run --seed -1", "--seed"},
      {"run -r 1001", "--repeat"},
      {"run --switch-interval 1e-9", "--switch-interval"},
      {"run --switch-interval nan", "--switch-interval"},
      {"run -w http --http-bandwidth inf", "--http-bandwidth"},
      {"run -w http --http-bandwidth 0.0001", "--http-bandwidth"},
      {"run -e threads,,processes", "an empty name"},
      {"run -e ''", "an empty name"},
      {"run --pin-cores ''", "--pin-cores: the value is empty"},
      {"run --fault ''", "--fault: the value is empty"},
      {"run --json ''", "--json: the value is empty"},
      {"run --fault-task 3", "--fault-task needs --fault"},
      {"run -w locks --locks 0", "--locks must be a whole number in [1, 256] (got '0')"},
      {"run -w locks --locks 257", "--locks must be a whole number in [1, 256]"},
      {"run -w locks --critical-fraction 1.5", "--critical-fraction"},
      {"run --csv /proc/version", "/proc/version"},
      {"run --json " + (dir_ / "a-directory").string(), "a-directory"},
      {"overhead -t 1000000", "--tasks"},
      {"overhead -e ,", "an empty name"},
      {"demo --repeat 0", "--repeat"},
      {"report " + dir_.string(), "is a directory"},
  };
  fs::create_directory(dir_ / "a-directory");
  for (const auto& c : cases) {
    const auto o = parlab(c.args);
    EXPECT_EQ(o.code, 2) << c.args << "\n" << o.err;
    EXPECT_EQ(lines(o.err), 1U) << c.args << "\n" << o.err;
    EXPECT_NE(o.err.find(c.must_mention), std::string::npos) << c.args << "\n" << o.err;
  }
}

// A FIFO, a device or a socket given as an input is refused before a byte is read (a FIFO's
// open would wait for a writer forever, /dev/zero never ends); "-" reads standard input. Each
// run goes through timeout(1): a command that waited would be killed (137), not exit 2.
TEST_F(Cli, InputsThatAreNotRegularFilesAreRefusedAtOnceAndDashReadsStandardInput) {
  const fs::path fifo = dir_ / "fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0) << std::strerror(errno);
  std::ofstream(dir_ / "load.csv") << "1,65\n18,996\n36,1652\n72,1853\n108,1829\n";
  const std::string csv = (dir_ / "load.csv").string();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"report " + fifo.string(), "it is a FIFO, not a regular file"},
      {"fit " + fifo.string(), "it is a FIFO, not a regular file"},
      {"compare " + fifo.string() + " " + csv, "it is a FIFO, not a regular file"},
      {"report /dev/zero", "it is a character device, not a regular file"},
      {"compare - - < " + csv, "A and B are both -"},
      {"fit /dev/null", "it is a character device, not a regular file"},
  };
  for (const auto& [args, mention] : cases) {
    const auto o = parlab_within(10, args);
    EXPECT_EQ(o.code, 2) << args << " (137: it waited)\n" << o.err;
    EXPECT_EQ(lines(o.err), 1U) << args << "\n" << o.err;
    EXPECT_NE(o.err.find(mention), std::string::npos) << args << "\n" << o.err;
    if (mention.find("regular file") != std::string::npos) {
      EXPECT_NE(o.err.find("or - for standard input"), std::string::npos) << o.err;
    }
  }
  const auto piped = parlab_within(30, "fit - < " + csv);
  EXPECT_EQ(piped.code, 0) << piped.err;
  EXPECT_NE(piped.out.find("sigma"), std::string::npos) << piped.out;
  EXPECT_NE(piped.out.find("points from standard input:"), std::string::npos) << piped.out;
  const auto named = parlab_within(30, "fit " + csv);
  const auto fitted = [](const std::string& out) { return out.substr(out.find('\n')); };
  EXPECT_EQ(fitted(named.out), fitted(piped.out)) << "the same points from a file and from stdin";
}

// No output may overwrite an input or another output: the same file by device and inode (a
// symbolic link too) or, before it exists, by its absolute path. Refused before anything runs.
TEST_F(Cli, AnOutputNamingAnInputOrAnotherOutputIsRefusedBeforeAnythingRuns) {
  const auto saved = dir_ / "a.json";
  ASSERT_EQ(
      parlab("run -w cpu -e threads -j 1" + kQuick + "--no-baseline --json " + saved.string()).code,
      0);
  const std::string before = slurp(saved);
  fs::create_symlink(saved, dir_ / "link.json");
  const std::string d = dir_.string();
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"report " + d + "/a.json --svg " + d + "/a.json", "--svg would overwrite the saved result"},
      {"report " + d + "/link.json --report " + d + "/a.json", "--report would overwrite"},
      {"compare " + d + "/a.json " + d + "/a.json --json " + d + "/./a.json",
       "--json would overwrite result A"},
      {"run -w cpu -e threads" + kQuick + "--json " + d + "/X --csv " + d + "/sub/../X",
       "--json and --csv name the same file"},
      {"run -w cpu -e threads" + kQuick + "--svg " + d + "/Y --report " + d + "/Y",
       "--svg and --report name the same file"},
      {"sweep -w cpu -e threads -j 1,2" + kQuick + "--json " + d + "/Z --svg " + d + "/Z",
       "--json and --svg name the same file"},
  };
  fs::create_directory(dir_ / "sub");
  for (const auto& [args, mention] : bad) {
    const auto r = parlab(args);
    EXPECT_EQ(r.code, 2) << args << "\n" << r.err;
    EXPECT_EQ(lines(r.err), 1U) << r.err;
    EXPECT_NE(r.err.find(mention), std::string::npos) << args << "\n" << r.err;
    EXPECT_TRUE(r.out.empty()) << "nothing ran: " << r.out;
  }
  EXPECT_EQ(slurp(saved), before) << "the saved result was overwritten";
  for (const char* name : {"X", "Y", "Z"}) EXPECT_FALSE(fs::exists(dir_ / name)) << name;
  // Devices take any number of writes.
  EXPECT_EQ(parlab("run -w cpu -e threads -j 1" + kQuick + "--json /dev/null --csv /dev/null").code,
            0);
}

TEST_F(Cli, HelpShowsExamplesAndExitsZero) {
  const auto o = parlab("--help");
  EXPECT_EQ(o.code, 0);
  EXPECT_NE(o.out.find("Examples:"), std::string::npos);
  const auto r = parlab("run --help");
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("--switch-interval"), std::string::npos);
}

TEST_F(Cli, ListShowsWorkloadsAndExecutorsWithTheirAvailability) {
  const auto o = parlab("list");
  ASSERT_EQ(o.code, 0);
  for (const char* name : {"cpu", "io", "http"}) {
    EXPECT_NE(o.out.find("  " + std::string(name) + " "), std::string::npos) << name;
  }
  std::size_t models = 0;
  for (const char* name : {"sequential", "threads", "thread-pool", "processes", "process-pool",
                           "gil-threads", "async", "openmp", "tbb"}) {
    const auto at = o.out.find("\n  " + std::string(name) + " ");
    ASSERT_NE(at, std::string::npos) << name;
    const std::string line = o.out.substr(at + 1, o.out.find('\n', at + 1) - at - 1);
    EXPECT_TRUE(line.find(" available ") != std::string::npos ||
                line.find(" not built ") != std::string::npos)
        << line;
    ++models;
  }
  EXPECT_EQ(models, 9U);
}

TEST_F(Cli, ARefusedCommandLeavesNoFileBehind) {
  const auto ok = dir_ / "ok.json";
  const auto o =
      parlab("run -e threads" + kQuick + "--json " + ok.string() + " --csv /nonexistent-dir/x.csv");
  EXPECT_EQ(o.code, 2) << o.err;
  EXPECT_FALSE(fs::exists(ok)) << "the up-front check created the file";
  const std::string demo =
      "cd " + dir_.string() + " && " + PARLAB_BINARY + " demo --repeat 0 >/dev/null 2>&1";
  EXPECT_EQ(WEXITSTATUS(std::system(demo.c_str())), 2);
  EXPECT_FALSE(fs::exists(dir_ / "parlab-report.html"));
  std::size_t left = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir_)) ++left;
  EXPECT_EQ(left, 2U) << "only the test's own out and err files";
}

TEST_F(Cli, AnOutputThatCannotBeWrittenIsOneLineAndTheOthersAreStillWritten) {
  const auto json = dir_ / "r.json";
  std::ofstream(json) << "previous";
  const auto o = parlab("run -e threads" + kQuick + "--csv /dev/full --json " + json.string());
  EXPECT_EQ(o.code, 3) << o.err;
  EXPECT_EQ(lines(o.err), 1U) << o.err;
  EXPECT_NE(o.err.find("cannot write '/dev/full': No space left on device"), std::string::npos)
      << o.err;
  EXPECT_TRUE(nlohmann::json::accept(slurp(json))) << "the JSON was still written, whole";
}

TEST_F(Cli, ASavedFileWithNumbersOutOfRangeIsRefusedBeforeAnythingIsAllocated) {
  const auto good = parlab("run -w cpu -e threads -j 2" + kQuick + "--json - --records");
  ASSERT_EQ(good.code, 0) << good.err;
  const auto doc = nlohmann::json::parse(good.out);
  const auto write_variant = [&](const std::string& name, auto&& change) {
    auto copy = doc;
    change(copy);
    std::ofstream(dir_ / name) << copy.dump();
    return (dir_ / name).string();
  };
  const std::vector<std::pair<std::string, std::string>> cases = {
      {write_variant("worker.json",
                     [](auto& d) { d["runs"][1]["events"][0]["worker"] = 4000000000LL; }),
       "worker must be a whole number in [0, 10000]"},
      {write_variant("workers.json", [](auto& d) { d["runs"][0]["workers"] = 50000000; }),
       "workers"},
      {write_variant("negative.json", [](auto& d) { d["runs"][0]["workers"] = -1; }), "workers"},
      {write_variant("float.json", [](auto& d) { d["runs"][0]["workers"] = 1e30; }), "workers"},
      {write_variant("time.json",
                     [](auto& d) { d["runs"][1]["events"][0]["end_seconds"] = 9.2e9; }),
       "end_seconds"},
  };
  for (const auto& [path, mention] : cases) {
    const auto o = parlab("report " + path);
    EXPECT_EQ(o.code, 2) << path << "\n" << o.err;
    EXPECT_EQ(lines(o.err), 1U) << o.err;
    EXPECT_NE(o.err.find(mention), std::string::npos) << o.err;
  }
  // A value nested 100,000 deep: refused while parsing, never printed.
  std::ofstream(dir_ / "deep.json")
      << "{\"schema\": " << std::string(100000, '[') << std::string(100000, ']') << "}";
  const auto deep = parlab("report " + (dir_ / "deep.json").string());
  EXPECT_EQ(deep.code, 2) << deep.err;
  EXPECT_EQ(lines(deep.err), 1U) << deep.err.substr(0, 300);
}

TEST_F(Cli, ReportRejectsWhatIsNotAParlabResultInOneLine) {
  std::ofstream(dir_ / "bad.json") << "{\"schema\": \"something/9\"}";
  std::ofstream(dir_ / "text.json") << "hello";
  for (const std::string& args : std::vector<std::string>{
           "report " + (dir_ / "missing.json").string(), "report " + (dir_ / "bad.json").string(),
           "report " + (dir_ / "text.json").string(), "report"}) {
    const auto o = parlab(args);
    EXPECT_EQ(o.code, 2) << args;
    EXPECT_EQ(lines(o.err), 1U) << args << ": " << o.err;
  }
  const auto two = parlab("run -w cpu -e threads" + kQuick + "--json - --svg -");
  EXPECT_EQ(two.code, 2);
  EXPECT_NE(two.err.find("--json and --svg"), std::string::npos) << two.err;
  // A real result, bent: a key twice, runs not an array or empty, a run of 0 workers or tasks.
  const auto saved = dir_ / "r.json";
  ASSERT_EQ(
      parlab("run -w cpu -e threads -j 1" + kQuick + "--no-baseline --json " + saved.string()).code,
      0);
  const auto doc = nlohmann::json::parse(slurp(saved));
  const std::string text = doc.dump();
  std::vector<std::pair<std::string, std::string>> bent = {
      {text.substr(0, text.size() - 1) + ", \"runs\": []}",
       "key \"runs\" appears twice in one object"},
  };
  for (const auto& [key, value, mention] :
       std::vector<std::tuple<std::string, nlohmann::json, std::string>>{
           {"runs", nlohmann::json::object(), "\"runs\" must be an array of runs (got an object)"},
           {"runs", nlohmann::json::array(), "\"runs\" is empty"},
           {"workers", 0, "workers must be at least 1"},
           {"tasks", 0, "tasks must be at least 1"}}) {
    auto changed = doc;
    if (key == "runs") {
      changed["runs"] = value;
    } else {
      changed["runs"][0][key] = value;
    }
    bent.emplace_back(changed.dump(), mention);
  }
  for (const auto& [json, mention] : bent) {
    std::ofstream(dir_ / "bent.json") << json;
    const auto o = parlab("report " + (dir_ / "bent.json").string());
    EXPECT_EQ(o.code, 2) << mention << "\n" << o.err;
    EXPECT_EQ(lines(o.err), 1U) << o.err;
    EXPECT_NE(o.err.find(mention), std::string::npos) << o.err;
  }
}

// Found before anything runs: a file name longer than the file system takes (with the temporary
// file's 8 more bytes) and a path of 5,000 characters are exit 2 up front, not exit 3 after.
TEST_F(Cli, AnOutputPathTooLongIsRefusedBeforeTheRun) {
  for (const std::string& name :
       {std::string(250, 'a'), std::string(5000, 'b'), std::string(300, 'c') + "/x.json"}) {
    const auto o = parlab("run -w cpu -e threads -j 1 -t 2 -s 1000 -r 1 --no-baseline --json " +
                          (dir_ / name).string());
    EXPECT_EQ(o.code, 2) << o.err.substr(0, 200);
    EXPECT_EQ(lines(o.err), 1U);
    EXPECT_TRUE(o.out.empty()) << "the workload ran: " << o.out.substr(0, 200);
  }
  const auto near = parlab("run -w cpu -e threads -j 1" + kQuick + "--json " +
                           (dir_ / std::string(250, 'a')).string());
  EXPECT_NE(near.err.find("its file name has 250 bytes (allowed: at most 247"), std::string::npos)
      << near.err;
}

// A directory given as the command is 126, as a shell says ("is a directory"), not 127.
TEST_F(Cli, WatchOfADirectoryIsNotExecutable) {
  const auto o = parlab("watch -- " + dir_.string());
  EXPECT_EQ(o.code, 126) << o.err;
  EXPECT_NE(o.err.find("is a directory (not an executable file)"), std::string::npos) << o.err;
  EXPECT_EQ(parlab("watch -- no-such-command-here").code, 127);
}

}  // namespace
