// How well `parlab watch` sees a program it did not write: it watches parlab's own runs, whose
// recorder knows exactly what ran when, and over the same window must agree with it - average
// parallelism within 10%, each task's CPU time within 5%, the same verdict.

#include <parlab/timeline.hpp>
#include <parlab/verdict.hpp>
#include <parlab/watch.hpp>

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cli_harness.hpp"
#include "timing.hpp"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

using cli_harness::slurp;

std::int64_t ns_of(double seconds) { return std::llround(seconds * 1e9); }

/// One comparison of what the recorder saw with what the sampler saw.
struct comparison {
  std::string recorder_verdict, watch_verdict;
  double recorder_parallelism = 0, watch_parallelism = 0;
  std::size_t tasks = 0, tasks_matched = 0;
  double worst_cpu_error = 0;   // largest |watched / recorded - 1| over the tasks
  double worst_cpu_signed = 0;  // the same, with its sign (watched more: positive)
  double recorded_cpu_min = 1e9;
  double sampler_share = 0;
  std::string why_failed;  // empty when both files were read
};

class WatchAccuracy : public cli_harness::cli_test {
 protected:
  /// parlab watch -- parlab run RUN_ARGS --json own --records, then both sides over the run's
  /// window (its first task's start to its last task's end).
  comparison compare(const std::string& run_args) {
    comparison c;
    const fs::path own = dir_ / "own.json", watched = dir_ / "watch.json";
    fs::remove(own);
    fs::remove(watched);
    const std::string cmd = std::string(PARLAB_BINARY) + " watch --json " + watched.string() +
                            " -- " + PARLAB_BINARY + " run " + run_args +
                            " --no-baseline -r 1 --records --json " + own.string() + " >" +
                            (dir_ / "out").string() + " 2>&1";
    const int status = std::system(cmd.c_str());
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !fs::exists(own) ||
        !fs::exists(watched)) {
      c.why_failed = "the command failed: " + slurp(dir_ / "out");
      return c;
    }
    const json o = json::parse(slurp(own)).at("runs").at(0);
    const json w = json::parse(slurp(watched));
    const std::int64_t origin = o.at("start_monotonic_ns").get<std::int64_t>();
    std::int64_t lo = INT64_MAX, hi = INT64_MIN;
    std::map<long, double> recorded_cpu;  // by the thread (or process) that ran the task
    for (const auto& r : o.at("task_records")) {
      lo = std::min(lo, origin + ns_of(r.at("start_seconds").get<double>()));
      hi = std::max(hi, origin + ns_of(r.at("end_seconds").get<double>()));
      recorded_cpu[r.at("tid").get<long>()] += r.at("cpu_seconds").get<double>();
      ++c.tasks;
    }
    c.recorder_verdict = o.at("verdict").get<std::string>();
    c.recorder_parallelism = o.at("avg_parallelism").get<double>();
    // The watch's events, back on the monotonic clock: those of the threads that ran tasks and of
    // each process's main thread (the coordinator). Left out: threads that are neither - under
    // ThreadSanitizer its runtime's background thread, which wakes every 100 ms in a sleep and so
    // is always in flight; the recorder knows nothing of it.
    const json& run = w.at("run");
    const std::int64_t w_origin = run.at("start_monotonic_ns").get<std::int64_t>();
    std::set<std::uint32_t> lanes_compared;
    for (const auto& t : w.at("threads")) {
      const long tid = t.at("tid").get<long>();
      if (recorded_cpu.count(tid) != 0 || tid == t.at("pid").get<long>()) {
        lanes_compared.insert(t.at("lane").get<std::uint32_t>());
      }
    }
    std::vector<parlab::event> events;
    for (const auto& e : run.at("events")) {
      if (lanes_compared.count(e.at("worker").get<std::uint32_t>()) == 0) continue;
      parlab::event ev;
      ev.kind = *parlab::event_kind_from_string(e.at("kind").get<std::string>());
      if (e.contains("wait"))
        ev.wait = *parlab::wait_kind_from_string(e.at("wait").get<std::string>());
      ev.task = e.at("task").is_null() ? parlab::no_id : e.at("task").get<std::uint32_t>();
      ev.worker = e.at("worker").get<std::uint32_t>();
      ev.cpu = e.at("cpu").get<std::int16_t>();
      ev.start_ns = w_origin + ns_of(e.at("start_seconds").get<double>());
      ev.end_ns = w_origin + ns_of(e.at("end_seconds").get<double>());
      events.push_back(ev);
    }
    const auto interval_ns = std::llround(w.at("interval_ms").get<double>() * 1e6);
    const auto summary = parlab::watch_summary(
        events, w.at("threads").size(), w.at("cores").get<std::size_t>(), lo, hi,
        parlab::watch_min_hold_ns(std::chrono::microseconds(interval_ns / 1000)), interval_ns);
    c.watch_verdict = std::string(parlab::to_string(summary.result));
    c.watch_parallelism = summary.avg_parallelism;
    c.sampler_share = w.at("sampler").at("core_share").get<double>();
    for (const auto& t : w.at("threads")) {
      const auto it = recorded_cpu.find(t.at("tid").get<long>());
      if (it == recorded_cpu.end()) continue;
      ++c.tasks_matched;
      c.recorded_cpu_min = std::min(c.recorded_cpu_min, it->second);
      c.worst_cpu_error = std::max(c.worst_cpu_error,
                                   std::abs(t.at("cpu_seconds").get<double>() / it->second - 1.0));
    }
    std::printf(
        "  [%s] recorder %s %.3f | watch %s %.3f | %zu/%zu tasks matched, worst CPU error "
        "%.1f%% | sampler %.1f%% of a core\n",
        run_args.c_str(), c.recorder_verdict.c_str(), c.recorder_parallelism,
        c.watch_verdict.c_str(), c.watch_parallelism, c.tasks_matched, c.tasks,
        100.0 * c.worst_cpu_error, 100.0 * c.sampler_share);
    return c;
  }

  /// Up to three attempts (the machine is shared): the first that meets every bound passes.
  void expect_agreement(const std::string& run_args, bool compare_cpu, double parallelism_slack,
                        double cpu_slack = 0.05) {
    PARLAB_TIMING_CLAIM_ONLY("WatchCli and WatchSampler (the sampler on programs and children)");
    std::string last;
    for (int attempt = 0; attempt < 3; ++attempt) {
      const comparison c = compare(run_args);
      std::ostringstream why;
      if (!c.why_failed.empty()) {
        why << c.why_failed;
      } else {
        const double diff = std::abs(c.watch_parallelism - c.recorder_parallelism);
        if (c.watch_verdict != c.recorder_verdict) {
          why << "verdicts differ: recorder " << c.recorder_verdict << ", watch " << c.watch_verdict
              << "; ";
        }
        if (diff > std::max(0.10 * c.recorder_parallelism, parallelism_slack)) {
          why << "average parallelism: recorder " << c.recorder_parallelism << ", watch "
              << c.watch_parallelism << "; ";
        }
        if (compare_cpu && c.tasks_matched != c.tasks) {
          why << "only " << c.tasks_matched << " of " << c.tasks << " tasks' threads seen; ";
        }
        if (compare_cpu && c.worst_cpu_error > cpu_slack) {
          why << "CPU per thread off by " << 100.0 * c.worst_cpu_error << "%; ";
        }
      }
      last = why.str();
      if (last.empty()) return;
    }
    ADD_FAILURE() << run_args << ": " << last;
  }
};

// Each task about 170 ms of compute: the sampler loses at most an interval and a tick (5 ms) of a
// thread's CPU at its end, 3%.
TEST_F(WatchAccuracy, CpuThreadsOnTwoCores) {
  expect_agreement("-w cpu -e threads -j 2 -t 4 -s 30000", true, 0.0);
}

TEST_F(WatchAccuracy, CpuThreadsOnOneCore) {
  expect_agreement("-w cpu -e threads -j 2 -t 4 -s 20000 --pin-cores 0", true, 0.0);
}

// A process per task: the watch sees each child's whole CPU, the recorder its task's - the
// child's copy-on-write faults after the fork and its exit are outside the task. Under ASan
// (a large shadow to copy) on a VM whose page faults cost ~16 us, that was 5.2-7.3% on
// 2026-12-04, with this session's binary and the previous one alike: 10% here. (The claims
// are the release preset's since 2026-12-05; the figure stays as the margin.)
TEST_F(WatchAccuracy, CpuProcessesOnTwoCores) {
  expect_agreement("-w cpu -e processes -j 2 -t 4 -s 30000", true, 0.0, 0.10);
}

// Waiting threads use almost no CPU: parallelism near 0 is compared within 0.05, and CPU per
// thread (microseconds) is not compared.
TEST_F(WatchAccuracy, IoThreads) {
  expect_agreement("-w io -e threads -j 2 -t 4 -s 150", false, 0.05);
}

}  // namespace
