// The kernel's switch records (`--exact`): counting and refining are pure and tested on made-up
// stretches; the collector is tested against the kernel's own counts (getrusage) with two threads
// sharing one core, and its refusal under a seccomp filter that forbids perf events.

#include <parlab/clock.hpp>
#include <parlab/machine.hpp>
#include <parlab/switch_records.hpp>
#include <parlab/timeline.hpp>

#include "cli_harness.hpp"
#include "timing.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstddef>
#include <map>
#include <set>
#include <thread>
#include <vector>

namespace {

using parlab::event;
using parlab::event_kind;
using parlab::on_cpu_interval;

on_cpu_interval stretch(std::int64_t a, std::int64_t b, std::int32_t tid, std::int16_t cpu,
                        bool preempted) {
  on_cpu_interval i;
  i.start_ns = a;
  i.end_ns = b;
  i.pid = 7;
  i.tid = tid;
  i.cpu = cpu;
  i.preempted = preempted;
  return i;
}

TEST(SwitchCounts, SwitchOutsInTheWindowMigrationsAndTheShortestStretch) {
  const std::vector<on_cpu_interval> xs = {
      stretch(0, 100, 10, 0, true),    stretch(50, 80, 11, 1, false),
      stretch(150, 160, 10, 1, false), stretch(200, 400, 10, 1, true),
      stretch(500, 600, 11, 0, false),
  };
  const auto all = parlab::count_switches(xs, 0, 1000);
  EXPECT_EQ(all.intervals, 5U);
  EXPECT_EQ(all.preempted, 2U);
  EXPECT_EQ(all.voluntary, 3U);
  EXPECT_EQ(all.migrations, 2U);  // 10: cpu 0 -> 1; 11: cpu 1 -> 0
  EXPECT_EQ(all.on_cpu_ns, 100 + 30 + 10 + 200 + 100);
  EXPECT_EQ(all.shortest_ns, 10);
  // A switch-out after the window is not the window's; the time inside it is.
  const auto window = parlab::count_switches(xs, 0, 300);
  EXPECT_EQ(window.preempted, 1U);
  EXPECT_EQ(window.voluntary, 2U);
  EXPECT_EQ(window.on_cpu_ns, 100 + 30 + 10 + 100);
  const auto one = parlab::count_switches(xs, 0, 1000, 11);
  EXPECT_EQ(one.intervals, 2U);
  EXPECT_EQ(one.voluntary, 2U);
}

TEST(SwitchRefine, TheRecordersSlicesBecomeTheThreadsStretches) {
  // The recorder saw task 0 on worker 0 run 0-300 with one gap at 100-150 (it misses short ones
  // and places edges to a few chunks), then wait 300-400, then run 400-500.
  parlab::timeline tl;
  tl.events = {
      {0, 500, 0, 0, -1, event_kind::task},        {0, 100, 0, 0, 0, event_kind::slice},
      {100, 150, 0, 0, -1, event_kind::preempted}, {150, 300, 0, 0, 1, event_kind::slice},
      {300, 400, 0, 0, -1, event_kind::wait},      {400, 500, 0, 0, 1, event_kind::slice},
  };
  parlab::switch_schedule s;
  s.intervals = {stretch(0, 40, 21, 0, true), stretch(60, 120, 21, 0, false),
                 stretch(200, 310, 21, 1, false), stretch(390, 500, 21, 1, true)};
  const std::vector<parlab::task_thread> threads = {{0, 7, 21}};
  EXPECT_EQ(parlab::refine_with_switches(tl, threads, s), 1U);
  std::vector<std::tuple<std::int64_t, std::int64_t, event_kind, int>> got;
  for (const auto& e : tl.events) got.emplace_back(e.start_ns, e.end_ns, e.kind, e.cpu);
  const std::vector<std::tuple<std::int64_t, std::int64_t, event_kind, int>> want = {
      {0, 500, event_kind::task, -1},      {0, 40, event_kind::slice, 0},
      {40, 60, event_kind::preempted, -1}, {60, 120, event_kind::slice, 0},
      {120, 200, event_kind::wait, -1},  // it blocked at 120: not the kernel taking the core
      {200, 300, event_kind::slice, 1},    {300, 400, event_kind::wait, -1},
      {400, 500, event_kind::slice, 1},
  };
  EXPECT_EQ(got, want);
  EXPECT_EQ(tl.events[4].wait, parlab::wait_kind::blocking);
}

TEST(SwitchRefine, ATaskWhoseThreadIsNotAmongTheRecordsKeepsItsEvents) {
  parlab::timeline tl;
  tl.events = {{0, 100, 0, 0, 0, event_kind::slice}, {0, 100, 1, 1, 1, event_kind::slice}};
  parlab::switch_schedule s;
  s.intervals = {stretch(0, 50, 21, 0, true)};
  // Task 0's thread is 21 of another process (a rank elsewhere); task 1's is not recorded.
  const std::vector<parlab::task_thread> threads = {{0, 99, 21}, {1, 7, 22}};
  EXPECT_EQ(parlab::refine_with_switches(tl, threads, s), 0U);
  EXPECT_EQ(tl.events.size(), 2U);
  EXPECT_EQ(tl.events[0].end_ns, 100);
}

TEST(SwitchRefine, AWatchedLaneKeepsItsWaitsWhereTheThreadWasOffTheCpu) {
  constexpr std::int64_t ms = 1'000'000;
  // Sampled: on a CPU 0-10 ms, then asleep on a futex 10-20 ms.
  std::vector<event> lane = {{0, 10 * ms, parlab::no_id, 3, 0, event_kind::slice},
                             {10 * ms, 20 * ms, parlab::no_id, 3, -1, event_kind::wait}};
  lane[1].wait = parlab::wait_kind::futex;
  // Exact: it ran 0-3 (preempted), 5-8 (blocked), and 15-18 inside what the looks took for sleep.
  const std::vector<on_cpu_interval> mine = {stretch(0, 3 * ms, 9, 0, true),
                                             stretch(5 * ms, 8 * ms, 9, 1, false),
                                             stretch(15 * ms, 18 * ms, 9, 1, false)};
  const auto err = parlab::refine_watch_lane(lane, mine, 3, 0, 20 * ms, ms);
  std::vector<std::tuple<std::int64_t, std::int64_t, event_kind>> got;
  for (const auto& e : lane) got.emplace_back(e.start_ns / ms, e.end_ns / ms, e.kind);
  const std::vector<std::tuple<std::int64_t, std::int64_t, event_kind>> want = {
      {0, 3, event_kind::slice},  {3, 5, event_kind::preempted}, {5, 8, event_kind::slice},
      {10, 15, event_kind::wait}, {15, 18, event_kind::slice},   {18, 20, event_kind::wait},
  };
  EXPECT_EQ(got, want);
  for (const auto& e : lane) EXPECT_EQ(e.worker, 3U);
  EXPECT_EQ(lane[3].wait, parlab::wait_kind::futex);
  EXPECT_EQ(err.sampled_running_ns, 10 * ms);
  EXPECT_EQ(err.exact_running_ns, 9 * ms);
  EXPECT_EQ(err.misplaced_ns, 7 * ms);  // 3-5 and 8-10 wrongly on, 15-18 wrongly off
  EXPECT_EQ(err.stretches, 3U);
  EXPECT_EQ(err.short_stretches, 0U);
}

TEST(ProgramCriticalPath, GoesBackThroughAWaitToTheThreadThatEndedIt) {
  // A (pid 7, tid 1) runs 0-10 and starts B (pid 8, tid 2) at 5, then blocks; B runs 6-30, is
  // preempted until 35, runs to 50 and wakes A as it ends; A waits for a CPU until 52, runs to 60.
  parlab::switch_schedule s;
  auto a1 = stretch(0, 10, 1, 0, false);
  auto b1 = stretch(6, 30, 2, 1, true);
  auto b2 = stretch(35, 50, 2, 1, false);
  auto a2 = stretch(52, 60, 1, 0, false);
  b1.pid = b2.pid = 8;
  s.intervals = {a1, b1, b2, a2};
  s.wakeups = {{50, 8, 2, 7, 1}, {20, 0, 0, 8, 2}};  // the second: an interrupt, ignored
  s.starts = {{5, 7, 1, 8, 2}};
  using k = parlab::path_step::kind;
  std::vector<std::tuple<std::int64_t, std::int64_t, std::int32_t, k>> got;
  for (const auto& st : parlab::critical_path(s, 1, 0, 60)) {
    got.emplace_back(st.start_ns, st.end_ns, st.tid, st.how);
  }
  const std::vector<std::tuple<std::int64_t, std::int64_t, std::int32_t, k>> want = {
      {0, 5, 1, k::running},     {5, 6, 2, k::ready},     {6, 30, 2, k::running},
      {30, 35, 2, k::preempted}, {35, 50, 2, k::running}, {50, 52, 1, k::ready},
      {52, 60, 1, k::running},
  };
  EXPECT_EQ(got, want);
  // Without wake-ups (records per thread) A's wait is its own, blocked.
  s.wakeups.clear();
  const auto alone = parlab::critical_path(s, 1, 0, 60);
  ASSERT_EQ(alone.size(), 3U);
  EXPECT_EQ(alone[1].how, k::blocked);
  EXPECT_EQ(alone[1].start_ns, 10);
  EXPECT_EQ(alone[1].end_ns, 52);
  // Latency: A was woken at 50 and ran at 52; the interrupt's wake-up of B came while it ran.
  s.wakeups = {{50, 8, 2, 7, 1}, {20, 0, 0, 8, 2}};
  const auto lat = parlab::wakeup_latencies(s);
  ASSERT_EQ(lat.size(), 1U);
  EXPECT_EQ(lat[0].tid, 1);
  EXPECT_EQ(lat[0].max_ns, 2);
  const auto graph = parlab::wait_graph(s);
  ASSERT_EQ(graph.size(), 2U);
  EXPECT_EQ(graph[0].count, 1U);
}

TEST(ProgramCriticalPath, EndsInTheThreadThatRanLastWhenTheFirstNeverRan) {
  // A program watched by --pid: its first thread (tid 1) waits for a join the whole time, a
  // worker (tid 2) runs 0-10 and 20-30, another (tid 3) 12-18.
  parlab::switch_schedule s;
  s.root_tid = 1;
  s.intervals = {stretch(0, 10, 2, 0, false), stretch(12, 18, 3, 1, false),
                 stretch(20, 30, 2, 0, false)};
  auto end = parlab::program_end(s, 40);
  EXPECT_EQ(end.tid, 2);
  EXPECT_EQ(end.at_ns, 30);
  EXPECT_FALSE(end.first_thread);
  const auto path = parlab::program_critical_path(s, 0, 40);
  ASSERT_FALSE(path.empty());
  EXPECT_EQ(path.back().tid, 2);
  EXPECT_EQ(path.back().end_ns, 30);
  // Once the first thread runs, the path ends with its last stretch, cut at `until`.
  s.intervals.push_back(stretch(32, 45, 1, 1, false));
  end = parlab::program_end(s, 40);
  EXPECT_EQ(end.tid, 1);
  EXPECT_EQ(end.at_ns, 40);
  EXPECT_TRUE(end.first_thread);
  // Nothing recorded: the first thread at `until`.
  s.intervals.clear();
  end = parlab::program_end(s, 40);
  EXPECT_EQ(end.tid, 1);
  EXPECT_EQ(end.at_ns, 40);
}

/// Spins until `stop`.
void spin(const std::atomic<bool>& stop) {
  volatile std::uint64_t x = 0;
  while (!stop.load(std::memory_order_relaxed)) x = x + 1;
}

std::int64_t involuntary_switches() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return u.ru_nivcsw;
}

TEST(SwitchRecorder, EveryPreemptionOfTwoThreadsSharingOneCoreIsRecorded) {
  parlab::switch_recorder recorder;
  if (!recorder.available()) GTEST_SKIP() << recorder.refusal();
  const parlab::scoped_cpu_pin pin({parlab::affinity().front()});
  ASSERT_TRUE(recorder.begin()) << recorder.refusal();
  const std::int64_t from = parlab::monotonic_ns();
  const std::int64_t before = involuntary_switches();
  std::atomic<bool> stop{false};
  std::vector<std::int32_t> tids(2);
  {
    std::vector<std::jthread> threads;
    for (std::size_t k = 0; k < 2; ++k) {
      threads.emplace_back([&, k] {
        tids[k] = static_cast<std::int32_t>(::gettid());
        spin(stop);
      });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    stop = true;
  }
  const std::int64_t after = involuntary_switches();
  const std::int64_t to = parlab::monotonic_ns();
  const parlab::switch_schedule s = recorder.end();
  EXPECT_EQ(s.lost, 0U);
  const auto counts = parlab::count_switches(s.intervals, from, to);
  const auto kernel = static_cast<double>(after - before);
  // Two spinning threads on one core take turns every few milliseconds (CFS): well over 20.
  EXPECT_GT(kernel, 20.0);
  EXPECT_LE(std::abs(static_cast<double>(counts.preempted) - kernel), std::max(2.0, kernel * 0.01))
      << counts.preempted << " preempted switch-outs recorded, the kernel counted " << kernel;
  for (const auto tid : tids) {
    const auto mine = parlab::count_switches(s.intervals, from, to, tid);
    EXPECT_GT(mine.preempted, 5U) << "thread " << tid;
    EXPECT_EQ(mine.migrations, 0U) << "thread " << tid << " was pinned";
    // Spinning for ~0.4 s on a shared core: about half of it on the CPU.
    EXPECT_GT(mine.on_cpu_ns, 100'000'000) << "thread " << tid;
  }
}

TEST(SwitchRecorder, AKernelThatRefusesIsSaidInOneLine) {
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    sock_filter program[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_perf_event_open, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EACCES & SECCOMP_RET_DATA)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    sock_fprog filter{4, program};
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
        ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &filter) != 0) {
      ::_exit(3);
    }
    parlab::switch_recorder recorder;
    const std::string& why = recorder.refusal();
    const bool said = !recorder.available() && !recorder.begin() &&
                      why.find("refused switch records") != std::string::npos &&
                      why.find("seccomp") != std::string::npos &&
                      why.find('\n') == std::string::npos;
    ::_exit(said ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

class ExactCli : public cli_harness::cli_test {};

TEST_F(ExactCli, TwoThreadsOnOneCoreShowEverySwitchTheKernelCounted) {
  // Two tasks of ~0.25 s each taking turns on one core.
  const auto o = parlab(
      "run -w cpu -e threads -j 2 -t 2 -s 40000 -r 1 --no-baseline --pin-cores 0 "
      "--exact --timeline --json " +
      (dir_ / "r.json").string());
  ASSERT_EQ(o.code, 0) << o.err;
  if (o.err.find("--exact:") != std::string::npos) GTEST_SKIP() << o.err;
  EXPECT_NE(o.out.find("exact switches, threads W=2"), std::string::npos) << o.out;
  const auto doc = nlohmann::json::parse(cli_harness::slurp(dir_ / "r.json"));
  const auto& run = doc["runs"][0];
  const auto& exact = run["exact"];
  ASSERT_TRUE(exact.is_object()) << run.dump();
  EXPECT_EQ(exact["lost"], 0);
  const double recorded = exact["run"]["preempted"].get<double>();
  const double kernel = run["context_switches"]["involuntary"].get<double>();
  EXPECT_GT(kernel, 10.0);
  EXPECT_LE(std::abs(recorded - kernel), std::max(2.0, kernel * 0.01))
      << recorded << " recorded, the kernel counted " << kernel;
  // Every stretch and every thread is in the document; the timeline's slices are the stretches.
  EXPECT_FALSE(exact["intervals"].empty());
  EXPECT_GE(exact["threads"].size(), 3U);  // parlab's main thread and the two task threads
  std::size_t slices = 0;
  for (const auto& e : run["events"])
    if (e["kind"] == "slice") ++slices;
  EXPECT_GE(static_cast<double>(slices), recorded / 2);
  // As root (every wake-up recorded) the run's critical path, by thread: the two task threads,
  // which the main thread waited for, hold nearly all of it.
  if (exact["wakers"].get<bool>()) {
    const auto at = o.out.find("critical path (");
    ASSERT_NE(at, std::string::npos) << o.out;
    EXPECT_NE(o.out.find("worker ", at), std::string::npos) << o.out;
  }
}

TEST_F(ExactCli, WhereTheKernelRefusesTheRunGoesOnAndSaysWhyInOneLine) {
  // A seccomp filter that fails perf_event_open with EACCES, as a container's profile does.
  const auto o = run_shell(std::string(WITHOUT_PERF_EVENTS) + " " + PARLAB_BINARY,
                           "run -w cpu -e threads -j 2" + cli_harness::kQuick + "--exact --json " +
                               (dir_ / "r.json").string());
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(cli_harness::lines(o.err), 1U) << o.err;
  EXPECT_NE(o.err.find("--exact: the kernel refused switch records (perf_event_open: Permission "
                       "denied"),
            std::string::npos)
      << o.err;
  EXPECT_NE(o.out.find("threads"), std::string::npos) << o.out;  // the table, as without --exact
  const auto doc = nlohmann::json::parse(cli_harness::slurp(dir_ / "r.json"));
  EXPECT_FALSE(doc["runs"][0].contains("exact"));
}

}  // namespace

namespace {

TEST_F(ExactCli, AWatchGivesEveryShortLivedProcessALaneAndCountsItsSwitches) {
  // Ten processes of a millisecond each, looked at every 50 ms: the looks miss most of them.
  const std::string cmd =
      "--interval 50 --exact --json " + (dir_ / "w.json").string() +
      " -- sh -c 'for i in 1 2 3 4 5 6 7 8 9 10; do /bin/true; done; sleep 0.2'";
  const auto o = parlab("watch " + cmd);
  ASSERT_EQ(o.code, 0) << o.err;
  if (o.err.find("--exact:") != std::string::npos) GTEST_SKIP() << o.err;
  EXPECT_NE(o.out.find("exact: "), std::string::npos) << o.out;
  const auto doc = nlohmann::json::parse(cli_harness::slurp(dir_ / "w.json"));
  std::set<std::int64_t> pids;
  for (const auto& t : doc["threads"]) pids.insert(t["pid"].get<std::int64_t>());
  EXPECT_GE(pids.size(), 11U) << doc["threads"].dump();  // sh, ten of true (and sleep)
  const auto& exact = doc["run"]["exact"];
  ASSERT_TRUE(exact.is_object());
  EXPECT_EQ(exact["lost"], 0);
  // The records never count more than wait4 does. wait4 also counts what a process does after
  // its events are gone as it exits (woken parents preempting it, its last switch): a couple of
  // switches each, more on a loaded machine (under TSan 2.3 a process was seen).
  const double recorded =
      exact["run"]["preempted"].get<double>() + exact["run"]["voluntary"].get<double>();
  const double kernel = doc["run"]["context_switches"]["voluntary"].get<double>() +
                        doc["run"]["context_switches"]["involuntary"].get<double>();
  EXPECT_LE(recorded, kernel + 2.0) << recorded << " recorded, the kernel counted " << kernel;
  EXPECT_GE(recorded, kernel - 4.0 * static_cast<double>(pids.size()))
      << recorded << " recorded, the kernel counted " << kernel;
  // Every recorded thread is a watched one (parlab's own, which the command inherited its events
  // from, are left out).
  for (const auto& t : exact["threads"]) {
    EXPECT_TRUE(pids.contains(t["pid"].get<std::int64_t>())) << t.dump();
  }
}

}  // namespace

namespace {

TEST_F(ExactCli, TheSampledPictureOfABusyThreadIsNearTheExactOne) {
  // One shell counting for a few hundred milliseconds, looked at every millisecond.
  bool skipped = false;
  PARLAB_TIMING_TEST([&]() -> std::string {
    const auto o = parlab("watch --exact --json " + (dir_ / "w.json").string() +
                          " -- sh -c 'i=0; while [ $i -lt 150000 ]; do i=$((i+1)); done'");
    if (o.code != 0) return fmt::format("exit {}: {}", o.code, o.err);
    if (o.err.find("--exact:") != std::string::npos) {
      skipped = true;
      return {};
    }
    const auto doc = nlohmann::json::parse(cli_harness::slurp(dir_ / "w.json"));
    const nlohmann::json* busiest = nullptr;
    for (const auto& t : doc["threads"]) {
      if (!t.contains("sampling_error")) continue;
      if (busiest == nullptr ||
          t["sampling_error"]["exact_running_seconds"].get<double>() >
              (*busiest)["sampling_error"]["exact_running_seconds"].get<double>()) {
        busiest = &t;
      }
    }
    if (busiest == nullptr) return "no thread has a sampling error: " + doc["threads"].dump();
    const auto& e = (*busiest)["sampling_error"];
    const double exact = e["exact_running_seconds"].get<double>();
    const double sampled = e["sampled_running_seconds"].get<double>();
    const double misplaced = e["misplaced_seconds"].get<double>();
    // What holds by definition, busy machine or not: the misplaced time is at least the
    // difference of the sums and at most both; a stretch was recorded.
    EXPECT_GT(exact, 0.05) << e.dump();
    EXPECT_GE(misplaced + 1e-6, std::abs(sampled - exact)) << e.dump();
    EXPECT_LE(misplaced, sampled + exact + 1e-6) << e.dump();
    EXPECT_GE(e["stretches"].get<double>(), 1.0);
    // The sums agree (schedstat is exact); on a quiet machine the placement is off by a little
    // for a computing thread (2-10% measured). With others on the cores the shell is preempted
    // every millisecond or so and the looks misplace half of it: that is the timing claim.
    if (std::abs(sampled - exact) > 0.1 * exact) {
      return fmt::format("sampled {:.4f} s vs exact {:.4f} s", sampled, exact);
    }
    if (misplaced > 0.35 * exact) {
      return fmt::format("misplaced {:.4f} s of {:.4f} s exact", misplaced, exact);
    }
    return {};
  });
  if (skipped) GTEST_SKIP() << "the kernel refused switch records";
}

}  // namespace

namespace {

TEST_F(ExactCli, AsRootTheCriticalPathOfAProgramGoesThroughTheChildrenItWaitedFor) {
  // A shell that runs two counting shells one after the other: its end-to-end time is theirs.
  const std::string loop = "i=0; while [ \\$i -lt 100000 ]; do i=\\$((i+1)); done";
  const auto o =
      parlab("watch --exact --json " + (dir_ / "w.json").string() + " --trace " +
             (dir_ / "w.trace.json").string() + " --report " + (dir_ / "w.html").string() +
             " -- sh -c \"sh -c '" + loop + "'; sh -c '" + loop + "'\"");
  ASSERT_EQ(o.code, 0) << o.err;
  if (o.err.find("--exact:") != std::string::npos) GTEST_SKIP() << o.err;
  const auto doc = nlohmann::json::parse(cli_harness::slurp(dir_ / "w.json"));
  if (!doc["run"]["exact"].contains("intervals") || !doc.contains("critical_path")) {
    GTEST_SKIP() << "records taken per thread (not root): no wakers, no critical path";
  }
  EXPECT_NE(o.out.find("critical path ("), std::string::npos) << o.out;
  const auto root = doc["pid"].get<std::int64_t>();
  std::map<std::int64_t, double> running;  // by process
  double total = 0;
  for (const auto& s : doc["critical_path"]) {
    const double d = s["end_seconds"].get<double>() - s["start_seconds"].get<double>();
    total += d;
    if (s["kind"] == "running") running[s["pid"].get<std::int64_t>()] += d;
  }
  ASSERT_GT(total, 0.0) << doc["critical_path"].dump();
  // The two children, not the waiting parent, hold most of the path, each a good part of it.
  std::vector<double> children;
  for (const auto& [pid, d] : running) {
    if (pid != root) children.push_back(d);
  }
  std::sort(children.rbegin(), children.rend());
  ASSERT_GE(children.size(), 2U) << doc["critical_path"].dump();
  EXPECT_GT((children[0] + children[1]) / total, 0.7) << doc["critical_path"].dump();
  EXPECT_GT(children[1] / total, 0.25) << doc["critical_path"].dump();
  EXPECT_LT(running[root] / total, 0.2);
  // The wait graph has the parent woken by its children's exits.
  bool parent_woken = false;
  for (const auto& e : doc["wait_graph"]) {
    parent_woken =
        parent_woken || (e["wakee_pid"] == root && e["waker_pid"] != root && e["waker_pid"] != 0);
  }
  EXPECT_TRUE(parent_woken) << doc["wait_graph"].dump();
  // The Chrome trace has the same path on a track of its own, a slice a step.
  const auto trace = nlohmann::json::parse(cli_harness::slurp(dir_ / "w.trace.json"));
  double traced = 0;
  std::size_t slices = 0;
  for (const auto& e : trace["traceEvents"]) {
    if (e.value("cat", "") != "critical path") continue;
    ++slices;
    traced += e["dur"].get<double>() * 1e-6;
  }
  EXPECT_EQ(slices, doc["critical_path"].size());
  EXPECT_NEAR(traced, total, total * 0.01 + 1e-5);
  // The HTML report lists it by thread under the timeline.
  const std::string html = cli_harness::slurp(dir_ / "w.html");
  EXPECT_NE(html.find("<table class=\"critical\">"), std::string::npos);
}

}  // namespace
