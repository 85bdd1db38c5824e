// `parlab run` as a user runs it: its JSON, failing and dying tasks, the table, pinned runs and
// their timelines, the trace / SVG / HTML files, HTTP on real sockets, CPython rows, locks.

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

TEST_F(Cli, JsonToStdoutParsesAndCarriesTheDocumentedFields) {
  const auto o = parlab("run -w io -e threads,gil-threads -j 4" + kQuick + "--json - --records");
  ASSERT_EQ(o.code, 0) << o.err;
  const auto doc = nlohmann::json::parse(o.out);  // stdout holds only the document
  EXPECT_EQ(doc["schema"], "parlab.result/1");
  EXPECT_GE(doc["machine"]["cores"].get<int>(), 1);
  ASSERT_EQ(doc["runs"].size(), 3U);
  EXPECT_EQ(doc["runs"][0]["executor"], "sequential");
  EXPECT_TRUE(doc["runs"][0]["speedup"].is_null());
  for (const auto& run : doc["runs"]) {
    EXPECT_EQ(run["workload"], "io");
    EXPECT_EQ(run["tasks"], 4);
    EXPECT_EQ(run["repeat"], 1);
    EXPECT_EQ(run["failed_tasks"], 0);
    EXPECT_EQ(run["task_records"].size(), 4U);
    EXPECT_TRUE(run["verdict"].is_string());
    EXPECT_TRUE(run["context_switches"]["voluntary"].is_number_integer());
  }
  EXPECT_NE(o.err.find("executor"), std::string::npos) << "the table goes to stderr";
}

TEST_F(Cli, AThrowingTaskExitsOneAndStillWritesTheResults) {
  const auto json_path = dir_ / "r.json";
  const auto csv_path = dir_ / "r.csv";
  const auto o = parlab("run -w cpu -e threads,processes -j 2" + kQuick +
                        "--fault throw --fault-task 1 --json " + json_path.string() + " --csv " +
                        csv_path.string());
  EXPECT_EQ(o.code, 1) << o.err;
  EXPECT_NE(o.err.find("task 1 failed"), std::string::npos) << o.err;
  const auto doc = nlohmann::json::parse(slurp(json_path));
  ASSERT_EQ(doc["runs"].size(), 3U);
  for (const auto& run : doc["runs"]) {
    EXPECT_EQ(run["failed_tasks"], 1) << run["executor"];
    EXPECT_EQ(run["failures"][0], "task 1 failed: injected fault (throw) in task 1");
    EXPECT_EQ(run["failure_kinds"][0], "threw");
  }
  EXPECT_EQ(lines(slurp(csv_path)), 4U);
  EXPECT_NE(o.out.find("1 failed"), std::string::npos) << o.out;
}

// Fault isolation as a user sees it: an abort in task 1 kills the whole threads run (reported,
// parlab survives: the run was supervised) but only task 1 of the process pool.
TEST_F(Cli, AnAbortingTaskKillsTheThreadsRunButOnlyItsProcess) {
  const auto o = parlab("run -w cpu -e threads,process-pool -j 2" + kQuick +
                        "--no-baseline --fault abort --fault-task 1");
  EXPECT_EQ(o.code, 1) << o.err;
  EXPECT_NE(o.err.find("threads: task 1 failed: the whole run died: killed by SIGABRT in task 1"),
            std::string::npos)
      << o.err;
  EXPECT_NE(o.err.find("threads: 3 other tasks lost with the whole run"), std::string::npos)
      << o.err;
  EXPECT_NE(o.err.find("process-pool: task 1 failed: worker process"), std::string::npos) << o.err;
  EXPECT_NE(o.out.find("4 failed"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("1 failed"), std::string::npos) << o.out;
}

// libgomp ends the whole process when the kernel refuses one of its threads ("Thread creation
// failed", exit 1, nothing written). A stack no machine here can map (OMP_STACKSIZE=64G) makes
// the kernel refuse, every time: the openmp run does not start, exit 3, the rows before it kept.
TEST_F(Cli, AnOpenMpTeamTheKernelRefusesEndsTheRunWithTheRowsBeforeItWritten) {
  const auto json = dir_ / "r.json";
  const auto o = parlab_env("OMP_STACKSIZE=64G",
                            "run -w cpu -e threads,openmp -j 2 -t 4 -s 10 -r 1 "
                            "--no-baseline --json " +
                                json.string());
  if (o.err.find("not available in this build") != std::string::npos) GTEST_SKIP() << o.err;
  EXPECT_EQ(o.code, 3) << o.err;
  EXPECT_NE(o.err.find("openmp: the kernel refused thread 2 of a team of 2"), std::string::npos)
      << o.err;
  EXPECT_NE(o.err.find("the 1 rows measured before the error were written"), std::string::npos)
      << o.err;
  const auto doc = nlohmann::json::parse(slurp(json));
  ASSERT_EQ(doc["runs"].size(), 1U);
  EXPECT_EQ(doc["runs"][0]["executor"], "threads");
}

TEST_F(Cli, RunPrintsATableWithEveryModel) {
  const auto o =
      parlab("run -w cpu -e sequential,threads,thread-pool,processes,gil-threads -j 2" + kQuick);
  ASSERT_EQ(o.code, 0) << o.err;
  for (const char* model : {"sequential", "threads", "thread-pool", "processes", "gil-threads"}) {
    EXPECT_NE(o.out.find(model), std::string::npos) << model;
  }
  EXPECT_NE(o.out.find("verdict"), std::string::npos);
}

TEST_F(Cli, PinnedToOneCoreTwoComputingThreadsTakeTurns) {
  // Multitasking: two CPU-bound threads on one core can only be concurrent, never parallel.
  const auto o = parlab("run -w cpu -e threads -j 2 -t 2 -s 3000 -r 1 --pin-cores 0 --json -");
  ASSERT_EQ(o.code, 0) << o.err;
  const auto doc = nlohmann::json::parse(o.out);
  EXPECT_EQ(doc["machine"]["cores"], 1);
  EXPECT_EQ(doc["machine"]["affinity"], nlohmann::json::array({0}));
  const auto& threads = doc["runs"][1];
  EXPECT_EQ(threads["executor"], "threads");
  EXPECT_EQ(threads["peak_in_flight"], 2);
  EXPECT_EQ(threads["verdict"], "concurrent");
  EXPECT_LT(threads["avg_parallelism"].get<double>(), 1.2);
}

TEST_F(Cli, PinnedToOneCoreWaitingThreadsStillOverlap) {
  // Timing test: ideal 8x (waiting does not need the core); TSan makes each thread start cost
  // milliseconds, so 2.5x.
  PARLAB_TIMING_TEST([&]() -> std::string {
    const auto o = parlab("run -w io -e threads -j 8 -t 8 -s 100 -r 1 --pin-cores 0 --json -");
    if (o.code != 0) return "exit " + std::to_string(o.code) + ": " + o.err;
    const auto doc = nlohmann::json::parse(o.out);
    const auto& threads = doc["runs"][1];
    const double speedup = threads["speedup"].get<double>();
    if (threads["verdict"] == "concurrent" && threads["peak_in_flight"].get<int>() >= 4 &&
        speedup > 2.5) {
      return {};
    }
    return fmt::format("verdict {}, peak in flight {}, speedup {:.2f}x",
                       threads["verdict"].get<std::string>(), threads["peak_in_flight"].get<int>(),
                       speedup);
  });
}

/// Lines of `text` that start with `prefix`, from the first '|' on (the lane's cells).
std::vector<std::string> lanes(const std::string& text, const std::string& prefix) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(prefix, 0) == 0 && line.find('|') != std::string::npos) {
      out.push_back(line.substr(line.find('|') + 1));
    }
  }
  return out;
}

TEST_F(Cli, PinnedTimelineShowsTwoThreadsTakingTurnsOnOneCore) {
  const auto o =
      parlab("run -w cpu -e threads -j 2 -t 2 -s 6000 -r 1 --pin-cores 0 --no-baseline --timeline");
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find("threads · cpu · W=2 — concurrent"), std::string::npos) << o.out;
  const auto workers = lanes(o.out, "worker ");
  ASSERT_EQ(workers.size(), 2U) << o.out;
  for (const auto& lane : workers) {
    EXPECT_NE(lane.find('.'), std::string::npos) << "no preemption drawn: " << lane;
  }
  EXPECT_EQ(lanes(o.out, "cpu ").size(), 1U) << "one core ran everything";
  // At no column are both lanes running: they took turns.
  std::size_t both = 0;
  for (std::size_t c = 0; c < std::min(workers[0].size(), workers[1].size()); ++c) {
    const auto running = [](char ch) { return ch == '0' || ch == '1'; };
    if (running(workers[0][c]) && running(workers[1][c])) ++both;
  }
  EXPECT_LE(both, 3U) << o.out;
}

TEST_F(Cli, PinnedTimelineShowsWaitsOverlappingOnOneCore) {
  const auto o =
      parlab("run -w io -e threads -j 8 -t 8 -s 100 -r 1 --pin-cores 0 --no-baseline --timeline");
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find("threads · io · W=8 — concurrent"), std::string::npos) << o.out;
  const auto workers = lanes(o.out, "worker ");
  ASSERT_EQ(workers.size(), 8U) << o.out;
  std::size_t most = 0;  // most lanes waiting in one column
  for (std::size_t c = 0; c < workers[0].size(); ++c) {
    std::size_t waiting = 0;
    for (const auto& lane : workers) {
      if (c < lane.size() && lane[c] == '~') ++waiting;
    }
    most = std::max(most, waiting);
  }
  EXPECT_GE(most, 4U) << o.out;
}

TEST_F(Cli, RunWritesTraceSvgAndReportAndReportRedrawsTheJson) {
  const auto j = dir_ / "r.json", t = dir_ / "t.json", v = dir_ / "t.svg", h = dir_ / "r.html";
  const auto o =
      parlab("run -w io -e threads,gil-threads -j 4" + kQuick + "--json " + j.string() +
             " --trace " + t.string() + " --svg " + v.string() + " --report " + h.string());
  ASSERT_EQ(o.code, 0) << o.err;
  const auto doc = nlohmann::json::parse(slurp(j));
  ASSERT_EQ(doc["runs"].size(), 3U);
  for (const auto& run : doc["runs"]) {
    EXPECT_TRUE(run["from_timeline"].get<bool>());
    EXPECT_FALSE(run["events"].empty()) << "pictures keep the timeline in the JSON";
  }
  EXPECT_TRUE(doc["runs"][2].contains("gil_wait_fraction"));
  const auto trace = nlohmann::json::parse(slurp(t));
  EXPECT_GT(trace["traceEvents"].size(), 20U);
  const std::string svg = slurp(v);
  EXPECT_EQ(std::count(svg.begin(), svg.end(), '\n') > 10, true);
  EXPECT_NE(svg.find("class=\"lane worker\""), std::string::npos);
  EXPECT_NE(slurp(h).find("<section class=\"run\""), std::string::npos);
  if (std::system("python3 -c pass >/dev/null 2>&1") == 0) {
    // An XML parser's view: the SVG is well-formed and has a worker lane per W in each run.
    const std::string check =
        "python3 -c \"import sys, xml.etree.ElementTree as E; "
        "r = E.parse(sys.argv[1]).getroot(); n = '{http://www.w3.org/2000/svg}'; "
        "runs = [s for s in r.iter(n + 'svg') if s.get('class') == 'run-timeline']; "
        "ok = len(runs) == 3 and all(len([g for g in s.iter(n + 'g') "
        "if g.get('class') == 'lane worker']) == int(s.get('data-workers')) "
        "for s in runs); sys.exit(0 if ok else 1)\" " +
        v.string();
    EXPECT_EQ(std::system(check.c_str()), 0) << svg.substr(0, 400);
  }

  const auto t2 = dir_ / "t2.json", v2 = dir_ / "t2.svg", h2 = dir_ / "r2.html";
  const auto again = parlab("report " + j.string() + " --svg " + v2.string() + " --html " +
                            h2.string() + " --trace " + t2.string());
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_EQ(slurp(v2), svg) << "the saved result draws the same SVG";
  EXPECT_TRUE(nlohmann::json::accept(slurp(t2)));
  const auto drawn = parlab("report " + j.string());
  ASSERT_EQ(drawn.code, 0) << drawn.err;
  EXPECT_EQ(lanes(drawn.out, "worker ").size(), 1U + 4U + 4U) << drawn.out;
}

TEST_F(Cli, HttpRunsOnRealSocketsUnderEveryKindOfModel) {
  const auto o = parlab(
      "run -w http -e sequential,threads,async,process-pool -j 8 -t 8 -s 16 -r 1 "
      "--http-latency 5 --http-bandwidth 0 --json -");
  ASSERT_EQ(o.code, 0) << o.err;
  const auto doc = nlohmann::json::parse(o.out);
  ASSERT_EQ(doc["runs"].size(), 4U);
  for (const auto& run : doc["runs"]) {
    EXPECT_EQ(run["workload"], "http");
    EXPECT_EQ(run["failed_tasks"], 0) << run["executor"];
    EXPECT_EQ(run["parameters"]["latency_ms"], 5.0);
    EXPECT_EQ(run["parameters"]["bandwidth_bytes_per_second"], 0.0);
  }
}

TEST_F(Cli, PythonIsRefusedForWorkloadsWithoutACpythonReference) {
  const auto o = parlab("run -w file --python" + kQuick);
  EXPECT_EQ(o.code, 2);
  EXPECT_EQ(lines(o.err), 1U) << o.err;
  EXPECT_NE(o.err.find("'file'"), std::string::npos) << o.err;
}

TEST_F(Cli, PythonWithoutPython3SaysSoOnceAndCarriesOn) {
  const std::string cmd = "PATH=/nonexistent-parlab-dir " + std::string(PARLAB_BINARY) +
                          " run -w io -e threads --python" + kQuick + ">" +
                          (dir_ / "out").string() + " 2>&1";
  const int status = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  const std::string out = slurp(dir_ / "out");
  const auto said = out.find("python3 not found");
  EXPECT_NE(said, std::string::npos) << out;
  EXPECT_EQ(out.find("python3 not found", said + 1), std::string::npos) << out;
  EXPECT_NE(out.find("threads"), std::string::npos) << out;
}

TEST_F(Cli, PythonRowsJoinTheTableAndTheJson) {
  if (std::system("command -v python3 >/dev/null 2>&1") != 0) GTEST_SKIP() << "no python3";
  const auto o = parlab("run -w cpu -e threads -j 2 -t 2 -s 50 -r 1 --python --json " +
                        (dir_ / "r.json").string());
  ASSERT_EQ(o.code, 0) << o.err;
  for (const char* model :
       {"cpython-sequential", "cpython-threads", "cpython-processes", "cpython-asyncio"}) {
    EXPECT_NE(o.out.find(model), std::string::npos) << model << "\n" << o.out;
  }
  EXPECT_NE(o.out.find("cpython-* rows"), std::string::npos) << o.out;
  const auto doc = nlohmann::json::parse(slurp(dir_ / "r.json"));
  std::set<std::string> executors;
  for (const auto& r : doc["runs"]) executors.insert(r["executor"].get<std::string>());
  EXPECT_TRUE(executors.count("threads") == 1 && executors.count("cpython-threads") == 1);
  EXPECT_EQ(executors.size(), 6U);  // sequential, threads and the four CPython rows
}

TEST_F(Cli, LocksShowTheHotLockAndItsWaiters) {
  const auto json_path = dir_ / "locks.json";
  // A waiter needs two tasks inside the run at once: under ThreadSanitizer a fork costs ~16 ms,
  // and beside another test a child may start only when the other has ended. Tasks of ~10 ms,
  // and three attempts for the waiters.
  std::string why;
  for (int attempt = 1; attempt <= 3; ++attempt) {
    const auto o = parlab(
        "run -w locks --tasks 4 --size 2000 --critical-fraction 0.9 -e "
        "threads,processes -j 2 -r 1 --timeline --json " +
        json_path.string());
    ASSERT_EQ(o.code, 0) << o.err;
    EXPECT_NE(o.out.find("hottest lock, threads W=2: lock 0: taken 64 times"), std::string::npos)
        << o.out;
    EXPECT_NE(o.out.find("hottest lock, processes W=2: lock 0: taken 64 times"), std::string::npos)
        << o.out;
    const auto doc = nlohmann::json::parse(slurp(json_path));
    bool waited = true;
    for (const auto& run : doc["runs"]) {
      ASSERT_TRUE(run.contains("locks")) << run["executor"];
      const auto& hot = run["locks"][0];
      EXPECT_EQ(hot["name"], "lock 0");
      EXPECT_EQ(hot["acquisitions"], 64);
      EXPECT_EQ(run["parameters"]["locks"], 1.0);
      if (run["executor"] != "sequential" && hot["contended"] == 0) {
        waited = false;
        why += "attempt " + std::to_string(attempt) + ": no acquisition waited under " +
               run["executor"].get<std::string>() + "\n";
      }
    }
    if (waited) return;
  }
  ADD_FAILURE() << why;
}

}  // namespace

namespace {

void write_text(const fs::path& path, const std::string& text) { std::ofstream(path) << text; }

}  // namespace

TEST_F(Cli, AGraphShapePrintsWorkSpanParallelismAndTheCriticalPath) {
  const auto json_path = dir_ / "g.json";
  const auto trace_path = dir_ / "g.trace";
  const auto o = parlab(
      "run -w wavefront -t 16 -s 20 -e thread-pool,processes -j 2 -r 1 "
      "--records --json " +
      json_path.string() + " --trace " + trace_path.string());
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find("task graph: 16 tasks, 24 edges"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("critical path, thread-pool W=2 (7 tasks): cell 0,0 -> "), std::string::npos)
      << o.out;
  std::ifstream in(json_path);
  const auto doc = nlohmann::json::parse(in);
  ASSERT_EQ(doc["runs"].size(), 3U);
  for (const auto& run : doc["runs"]) {
    const auto& g = run["graph"];
    ASSERT_TRUE(g.is_object()) << run["executor"];
    EXPECT_EQ(g["tasks"], 16);
    EXPECT_EQ(g["edges"], 24);
    EXPECT_EQ(g["critical_path"].size(), 7U);  // 2n - 1 cells
    EXPECT_EQ(g["critical_path"][0], 0);
    EXPECT_EQ(g["critical_path"][6], 15);
    EXPECT_GT(g["parallelism"].get<double>(), 1.0);
    EXPECT_LE(g["brent_lower_seconds"].get<double>(), g["brent_upper_seconds"].get<double>());
    ASSERT_EQ(run["task_records"].size(), 16U);
    EXPECT_EQ(run["task_records"][5]["after"], nlohmann::json::array({4, 1}));
    EXPECT_TRUE(run["task_records"][5]["slack_seconds"].is_number());
    // Burdened: every task also pays the model's cost, measured before the run.
    EXPECT_GT(g["per_task_cost_seconds"].get<double>(), 0.0) << run["executor"];
    EXPECT_GE(g["burdened_span_seconds"].get<double>(), g["span_seconds"].get<double>());
    EXPECT_GE(g["burdened_upper_seconds"].get<double>(), g["brent_upper_seconds"].get<double>());
    EXPECT_GT(g["burdened_parallelism"].get<double>(), 0.0);
  }
  // A process per task costs far more than a pool's queue (0.5-2.4 ms against 5-30 us here).
  EXPECT_GT(doc["runs"][2]["graph"]["per_task_cost_seconds"].get<double>(),
            5.0 * doc["runs"][1]["graph"]["per_task_cost_seconds"].get<double>());
  EXPECT_NE(o.out.find("cost/task  burdened"), std::string::npos) << o.out;
  // The trace draws every edge as a flow arrow, the critical path's under its own name.
  std::ifstream trace_in(trace_path);
  const auto trace = nlohmann::json::parse(trace_in);
  std::size_t arrows = 0;
  std::size_t critical = 0;
  for (const auto& e : trace["traceEvents"]) {
    if (e.value("cat", "") != "dependency" || e["ph"] != "s") continue;
    ++arrows;
    if (e["name"] == "critical path") ++critical;
  }
  EXPECT_EQ(arrows, 3U * 24U);   // three runs, 24 edges each
  EXPECT_EQ(critical, 3U * 6U);  // 7 tasks on each one's path
  // Read back, the report says the same.
  const auto back = parlab("report " + json_path.string());
  ASSERT_EQ(back.code, 0) << back.err;
  EXPECT_NE(back.out.find("task graph: 16 tasks, 24 edges"), std::string::npos) << back.out;
}

TEST_F(Cli, YourOwnGraphRunsFromJsonOrDot) {
  write_text(dir_ / "build.dot",
             "// a build\ndigraph build {\n  rankdir=LR;\n  lex [compute=30];\n  parse "
             "[compute=30];\n  \"code gen\" [compute=60, wait_ms=1];\n  lex -> parse -> \"code "
             "gen\" -> link;\n  lex -> link;\n}\n");
  auto o = parlab("run --graph " + (dir_ / "build.dot").string() + " -e threads -j 2 -r 1");
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find("critical path, threads W=2 (4 tasks): lex -> parse -> code gen -> link"),
            std::string::npos)
      << o.out;
  write_text(dir_ / "g.json",
             R"({"tasks": [{"id": "a", "compute": 20}, {"id": "b", "after": ["a"], "wait_ms": 2},
                 {"id": "c", "after": ["a"], "compute": 20}]})");
  o = parlab("run --graph " + (dir_ / "g.json").string() + " -e process-pool -j 2 -r 1");
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find("task graph: 3 tasks, 2 edges"), std::string::npos) << o.out;
}

TEST_F(Cli, DataAlongEdgesIsSharedByThreadsAndCopiedBetweenProcesses) {
  // A file's own bytes (b hands 4 KiB to d) and --edge-bytes for the rest (a hands 1 KiB to b
  // and to c: c hands nothing to anyone).
  write_text(dir_ / "data.json",
             R"({"tasks": [{"id": "a", "compute": 10}, {"id": "b", "after": ["a"], "compute": 10,
                 "bytes": 4096}, {"id": "c", "after": ["a"], "compute": 10},
                 {"id": "d", "after": ["b"], "compute": 10}]})");
  const auto json_path = dir_ / "data-result.json";
  const auto o =
      parlab("run --graph " + (dir_ / "data.json").string() +
             " --edge-bytes 1K -e threads,process-pool -j 2 -r 1 --json " + json_path.string());
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find("data along edges, threads W=2: made 5K, read 6K by successors, "
                       "shared in memory (no copy)"),
            std::string::npos)
      << o.out;
  // To pool workers: a's output and b's back (5 KiB), and the inputs sent out (6 KiB).
  EXPECT_NE(o.out.find("data along edges, process-pool W=2: made 5K, read 6K by successors, "
                       "copied 11K between processes"),
            std::string::npos)
      << o.out;
  std::ifstream in(json_path);
  const auto doc = nlohmann::json::parse(in);
  const auto& pool = doc["runs"].back()["graph"]["edge_bytes"];
  EXPECT_EQ(pool["produced"], 5120);
  EXPECT_EQ(pool["read"], 6144);
  EXPECT_EQ(pool["copied"], 11264);
  // Refused in one line: a workload that is no graph, a size that is no size, too much.
  for (const auto& [args, expected] : std::vector<std::pair<std::string, std::string>>{
           {"-w cpu --edge-bytes 1K", "--edge-bytes is for graph workloads"},
           {"-w chain --edge-bytes 1X", "--edge-bytes must be a whole number of bytes"},
           {"-w chain --edge-bytes 300M", "in [0, 268435456] (got '300M')"},
           {"-w chain -t 100 --edge-bytes 256M", "more data than parlab keeps for one graph"},
       }) {
    const auto bad = parlab("run " + args + " -e threads");
    EXPECT_EQ(bad.code, 2) << args;
    EXPECT_EQ(lines(bad.err), 1U) << bad.err;
    EXPECT_NE(bad.err.find(expected), std::string::npos) << args << ": " << bad.err;
  }
}

TEST_F(Cli, ABadGraphIsRefusedInOneLineNamingWhatIsAtFault) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"cycle.dot", "digraph {\n a -> b;\n b -> c;\n c -> a;\n}\n"},
      {"missing.json", R"({"tasks": [{"id": "a", "after": ["zz"]}]})"},
      {"key.json", R"({"tasks": [{"id": "a", "computee": 3}]})"},
      {"twice.json", R"({"tasks": [{"id": "a"}, {"id": "a"}]})"},
      {"syntax.json", "{\"tasks\": [\n{\"id\": \"a\",,}]}"},
      {"value.dot", "digraph {\n a;\n b [compute=many];\n}\n"},
  };
  const std::vector<std::string> expected{
      "cycle.dot: task graph: a cycle: 'a' -> 'b' -> 'c' -> 'a'",
      "missing.json: task 'a' waits for 'zz', which is not defined",
      "key.json: task 0 ('a'): unknown key 'computee' (allowed: id, after, compute, wait_ms, "
      "duration_ms, bytes)",
      "twice.json: task 'a' is defined twice (tasks 0 and 1)",
      "syntax.json: line 2: not JSON",
      "value.dot: line 3: task 'b': compute must be a number (got 'many')",
  };
  for (std::size_t k = 0; k < cases.size(); ++k) {
    write_text(dir_ / cases[k].first, cases[k].second);
    const auto o = parlab("run --graph " + (dir_ / cases[k].first).string() + " -e threads");
    EXPECT_EQ(o.code, 2) << cases[k].first;
    EXPECT_EQ(lines(o.err), 1U) << o.err;
    EXPECT_NE(o.err.find(expected[k]), std::string::npos) << o.err;
    EXPECT_EQ(o.out.find("executor"), std::string::npos) << "nothing ran: " << o.out;
  }
  // A shape with settings it cannot have, a schedule that cannot run a graph: refused before
  // running.
  {
    const auto ok = parlab(
        "run -w pipeline -t 12 --stages 3 --tokens 2 -s 20 -e thread-pool -j 2 "
        "-r 1 --no-baseline");
    ASSERT_EQ(ok.code, 0) << ok.err;
    EXPECT_NE(ok.out.find("pipeline, thread-pool W=2: "), std::string::npos) << ok.out;
    EXPECT_NE(ok.out.find("2 tokens"), std::string::npos) << ok.out;
  }
  auto o = parlab("run -w pipeline -t 10 -e threads");
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.err.find("must be a multiple of the stages (3)"), std::string::npos) << o.err;
  o = parlab("run -w chain -e threads,mpi --mpi-schedule static -t 2 -s 1 -r 1");
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.err.find("mpi"), std::string::npos) << o.err;
  EXPECT_EQ(lines(o.err), 1U) << o.err;
  EXPECT_EQ(o.out.find("threads "), std::string::npos) << "nothing ran: " << o.out;
  o = parlab("run -w cpu --tokens 3");
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.err.find("--tokens is for the pipeline workload"), std::string::npos) << o.err;
}

TEST_F(Cli, PredictChecksItselfAgainstRealRunsAndAnswersWhatIf) {
  const auto json_path = dir_ / "p.json";
  const auto o = parlab(
      "predict -w wavefront -t 16 -s 30 -e thread-pool,process-pool -r 1 "
      "--max-workers 64 --faster 'cell 0,0:50' --faster 3:20 --json " +
      json_path.string());
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find("checked against real runs in this invocation"), std::string::npos) << o.out;
  std::ifstream in(json_path);
  const auto doc = nlohmann::json::parse(in);
  EXPECT_EQ(doc["schema"], "parlab.prediction/1");
  EXPECT_EQ(doc["graph"]["tasks"], 16);
  EXPECT_EQ(doc["graph"]["critical_path"].size(), 7U);
  ASSERT_EQ(doc["models"].size(), 2U);
  for (const auto& m : doc["models"]) {
    ASSERT_EQ(m["points"].size(), 7U) << "P = 1, 2, 4, ..., 64";
    EXPECT_EQ(m["points"][0]["workers"], 1);
    EXPECT_EQ(m["points"][6]["workers"], 64);
    ASSERT_EQ(m["checks"].size(), 2U);  // W = 1 and W = cores
    EXPECT_EQ(m["checks"][0]["workers"], 1);
    for (const auto& c : m["checks"]) EXPECT_GT(c["measured_seconds"].get<double>(), 0.0);
    EXPECT_GT(m["costs"]["per_task_seconds"].get<double>(), 0.0);
  }
  ASSERT_EQ(doc["what_if"].size(), 2U);
  EXPECT_EQ(doc["what_if"][0]["task"], 0);
  EXPECT_TRUE(doc["what_if"][0]["on_critical_path"]);
  EXPECT_LT(doc["what_if"][0]["span_after_seconds"].get<double>(),
            doc["what_if"][0]["span_before_seconds"].get<double>());
  EXPECT_EQ(doc["what_if"][1]["task"], 3);
}

TEST_F(Cli, PredictReadsMeasuredDurationsWithoutRunningAnything) {
  write_text(dir_ / "build.json",
             R"({"tasks": [{"id": "fetch", "duration_ms": 100},
                 {"id": "compile a", "after": ["fetch"], "duration_ms": 300},
                 {"id": "compile b", "after": ["fetch"], "duration_ms": 200},
                 {"id": "link", "after": ["compile a", "compile b"], "duration_ms": 50}]})");
  auto o = parlab("predict " + (dir_ / "build.json").string() +
                  " -e thread-pool --max-workers 4 --faster 'compile b:50'");
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find("work 650.0ms, span 450.0ms"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("critical path: 'fetch' -> 'compile a' -> 'link'"), std::string::npos)
      << o.out;
  EXPECT_NE(o.out.find("'compile b' 50% faster (off the critical path, slack 100.0ms): span "
                       "450.0ms -> 450.0ms"),
            std::string::npos)
      << o.out;
  EXPECT_EQ(o.out.find("checked against real runs"), std::string::npos) << "nothing ran";
  o = parlab("predict " + (dir_ / "build.json").string() + " --faster nothing:50");
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.err.find("--faster: no task 'nothing' in the graph"), std::string::npos) << o.err;
  o = parlab("predict -w cpu");
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.err.find("is not a task graph"), std::string::npos) << o.err;
}
