// The conformance suite every execution model must pass, for W in {1, 2, 4, 8}.

#include <parlab/executor.hpp>
#include <parlab/timeline_analysis.hpp>
#include <parlab/verdict.hpp>

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <set>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "sanitizers.hpp"
#include "shared_counters.hpp"
#include "timing.hpp"

namespace parlab {
namespace {

constexpr std::size_t kTasks = 12;

using testing_support::shared_counters;

/// Tasks that compute, wait and compute again (so every model's hooks are exercised), count their
/// runs, and optionally throw.
std::vector<task> make_tasks(shared_counters& runs, std::size_t throwing = kTasks) {
  std::vector<task> tasks;
  for (std::size_t i = 0; i < kTasks; ++i) {
    std::string label = std::to_string(i);  // (not "t" + ...: GCC 12 -Wrestrict false positive)
    tasks.push_back(make_task(
        i, label,
        [&runs, i, throwing](task_context& ctx) -> std::uint64_t {
          runs[i].fetch_add(1);
          std::uint64_t r = ctx.compute(40 + 10 * i);
          ctx.wait(std::chrono::milliseconds(2));
          r = r * 31 + ctx.compute(20);
          if (i == throwing) {
            std::string why = std::to_string(i);
            why.insert(0, "task ");
            why.append(" says no");
            throw std::runtime_error(why);
          }
          return r + i;
        },
        1000 + i));
  }
  return tasks;
}

/// One model's property, checked at each of these worker counts in one test process: the suite
/// started ~400 processes of a test each (~0.15 s apiece under ASan), now ~100.
constexpr std::size_t kWorkerCounts[] = {1, 2, 4, 8};

class ExecutorConformance : public ::testing::TestWithParam<std::string> {
 protected:
  std::string name() const { return GetParam(); }
  std::size_t workers() const { return workers_; }
  /// Runs `check` at W = 1, 2, 4 and 8 (workers() and run() use the W of the moment); a
  /// failure names its W.
  template <class Check>
  void for_each_w(Check check) {
    for (const std::size_t w : kWorkerCounts) {
      workers_ = w;
      SCOPED_TRACE("W = " + std::to_string(w));
      check();
    }
  }
  run_result run(const std::vector<task>& tasks) {
    run_options options;
    options.workers = workers();
    options.gil_switch_interval = std::chrono::milliseconds(1);
    return make_executor(name())->run(tasks, options);
  }

 private:
  std::size_t workers_ = 1;
};

TEST_P(ExecutorConformance, EveryTaskRunsExactlyOnce) {
  for_each_w([&] {
    shared_counters runs(kTasks);
    const auto result = run(make_tasks(runs));
    for (std::size_t i = 0; i < kTasks; ++i) EXPECT_EQ(runs[i].load(), 1) << "task " << i;
    EXPECT_EQ(result.records.size(), kTasks);
    EXPECT_EQ(result.failed_tasks(), 0U);
  });
}

TEST_P(ExecutorConformance, ResultsEqualTheSequentialOnes) {
  for_each_w([&] {
    shared_counters runs(kTasks);
    const auto tasks = make_tasks(runs);
    const auto expected = make_executor("sequential")->run(tasks, {});
    const auto actual = run(tasks);
    ASSERT_EQ(actual.records.size(), expected.records.size());
    for (std::size_t i = 0; i < kTasks; ++i) {
      EXPECT_TRUE(actual.records[i].ok) << actual.records[i].message;
      EXPECT_EQ(actual.records[i].result, expected.records[i].result) << "task " << i;
    }
  });
}

TEST_P(ExecutorConformance, RecordsAreWellFormed) {
  for_each_w([&] {
    shared_counters runs(kTasks);
    const auto result = run(make_tasks(runs));
    EXPECT_EQ(result.executor, name());
    EXPECT_EQ(result.workers, workers());
    EXPECT_LE(result.start_ns, result.end_ns);
    const bool forks = name().rfind("process", 0) == 0;  // processes, process-pool
    for (std::size_t i = 0; i < kTasks; ++i) {
      const task_record& r = result.records[i];
      EXPECT_EQ(r.task_id, i);
      EXPECT_LE(r.start_ns, r.end_ns);
      EXPECT_GE(r.start_ns, result.start_ns);
      EXPECT_LE(r.end_ns, result.end_ns);
      EXPECT_LT(r.worker, workers());
      EXPECT_GT(r.cpu_ns, 0);
      EXPECT_GT(r.tid, 0);
      if (forks) {
        EXPECT_NE(r.pid, ::getpid()) << "a process model ran a task in the parent";
      } else {
        EXPECT_EQ(r.pid, ::getpid());
      }
    }
    EXPECT_GT(result.kernel.cpu_seconds(), 0.0);
    EXPECT_GT(result.kernel.peak_rss_bytes, 0);
  });
}

TEST_P(ExecutorConformance, NeverMoreThanWorkersTasksInFlight) {
  for_each_w([&] {
    shared_counters runs(kTasks);
    const auto result = run(make_tasks(runs));
    std::vector<task_interval> intervals;
    for (const auto& r : result.records) intervals.push_back({r.start_ns, r.end_ns, r.cpu_ns});
    const auto summary = classify(intervals, 2);
    const std::size_t allowed = name() == "sequential" ? 1 : workers();
    EXPECT_LE(summary.peak_in_flight, allowed);
    EXPECT_GE(summary.peak_in_flight, 1U);
  });
}

TEST_P(ExecutorConformance, ModelsThatOverlapRunMoreThanOneTaskAtOnce) {
  if (name() == "sequential") GTEST_SKIP() << "one at a time by design";
  for_each_w([&] {
    if (workers() < 2) return;  // one at a time by design
    // W tasks that only wait 100 ms: every model but sequential overlaps them (async too: they are
    // steps), even where a fork costs 16 ms (ThreadSanitizer).
    std::vector<task> tasks;
    for (std::size_t i = 0; i < workers(); ++i) {
      tasks.push_back(make_step_task(i, "w", i, {{step_kind::wait, 100'000'000}}));
    }
    const auto result = run(tasks);
    std::vector<task_interval> intervals;
    for (const auto& r : result.records) intervals.push_back({r.start_ns, r.end_ns, r.cpu_ns});
    EXPECT_GE(classify(intervals, 2).peak_in_flight, 2U) << name() << " ran them one at a time";
    EXPECT_EQ(result.failed_tasks(), 0U);
  });
}

TEST_P(ExecutorConformance, AThrowingTaskIsReportedAndOthersComplete) {
  for_each_w([&] {
    shared_counters runs(kTasks);
    const auto result = run(make_tasks(runs, /*throwing=*/5));
    EXPECT_EQ(result.failed_tasks(), 1U);
    EXPECT_FALSE(result.records[5].ok);
    EXPECT_EQ(result.records[5].message, "task 5 says no");
    for (std::size_t i = 0; i < kTasks; ++i) {
      EXPECT_EQ(runs[i].load(), 1);
      if (i != 5) {
        EXPECT_TRUE(result.records[i].ok) << result.records[i].message;
      }
    }
  });
}

TEST_P(ExecutorConformance, TheTimelineMatchesTheRecords) {
  for_each_w([&] {
    shared_counters runs(kTasks);
    const auto result = run(make_tasks(runs));
    const auto& events = result.recorded.events;
    EXPECT_EQ(result.recorded.dropped, 0U);
    ASSERT_FALSE(events.empty());
    for (std::size_t k = 1; k < events.size(); ++k) {
      ASSERT_LE(events[k - 1].start_ns, events[k].start_ns) << "events are ordered by start";
    }
    const std::size_t lanes = name() == "sequential" ? 1 : workers();
    for (const auto& rec : result.records) {
      const auto id = static_cast<std::uint32_t>(rec.task_id);
      std::size_t queued = 0, spans = 0, waits = 0;
      std::int64_t running = 0;
      for (const auto& e : events) {
        if (e.task != id) continue;
        EXPECT_LE(e.start_ns, e.end_ns);
        if (e.kind == event_kind::queued) {
          ++queued;
          EXPECT_EQ(e.start_ns, result.start_ns);
          continue;
        }
        EXPECT_EQ(e.worker, rec.worker) << "task " << id << " " << to_string(e.kind);
        EXPECT_LT(e.worker, lanes);
        if (e.kind == event_kind::task) {
          ++spans;
          EXPECT_EQ(e.start_ns, rec.start_ns);
          EXPECT_EQ(e.end_ns, rec.end_ns);
        } else {
          EXPECT_GE(e.start_ns, rec.start_ns) << to_string(e.kind) << " inside its task";
          EXPECT_LE(e.end_ns, rec.end_ns) << to_string(e.kind) << " inside its task";
        }
        if (e.kind == event_kind::wait) {
          ++waits;
          EXPECT_EQ(e.wait, wait_kind::sleep) << "ctx.wait is a sleep";
        } else {
          EXPECT_EQ(e.wait, wait_kind::none);
        }
        if (e.kind == event_kind::slice) {
          running += e.end_ns - e.start_ns;
          EXPECT_GE(e.cpu, 0);
        }
      }
      EXPECT_EQ(queued, 1U) << "task " << id;
      EXPECT_EQ(spans, 1U) << "task " << id;
      EXPECT_EQ(waits, 1U) << "task " << id;  // each task waits once
      EXPECT_GT(running, 0) << "task " << id;
      EXPECT_LE(running, rec.end_ns - rec.start_ns);
    }
    const auto summary = summarize(events, workers(), 2);
    EXPECT_EQ(summary.peak_in_flight, classify(
                                          [&] {
                                            std::vector<task_interval> v;
                                            for (const auto& r : result.records)
                                              v.push_back({r.start_ns, r.end_ns, r.cpu_ns});
                                            return v;
                                          }(),
                                          2)
                                          .peak_in_flight);
    EXPECT_EQ(summary.gil_wait_fraction.has_value(), name() == "gil-threads");
  });
}

// Built-in step tasks (compute, wait, compute): the async model interprets these itself (its
// waits become timers), every other model runs their body; the results must not differ.
TEST_P(ExecutorConformance, StepTasksGiveTheSequentialResults) {
  for_each_w([&] {
    std::vector<task> tasks;
    for (std::size_t i = 0; i < kTasks; ++i) {
      tasks.push_back(make_step_task(
          i, "s", 77 + i,
          {{step_kind::compute, 10 + i}, {step_kind::wait, 2'000'000}, {step_kind::compute, 5}}));
    }
    const auto expected = make_executor("sequential")->run(tasks, {});
    const auto actual = run(tasks);
    for (std::size_t i = 0; i < kTasks; ++i) {
      EXPECT_TRUE(actual.records[i].ok) << actual.records[i].message;
      EXPECT_EQ(actual.records[i].result, expected.records[i].result) << "task " << i;
      EXPECT_GT(actual.records[i].cpu_ns, 0);
      std::size_t waits = 0;
      for (const auto& e : actual.recorded.events) {
        if (e.task == i && e.kind == event_kind::wait) ++waits;
      }
      EXPECT_EQ(waits, 1U) << "task " << i;
    }
  });
}

TEST_P(ExecutorConformance, RecordingCanBeTurnedOff) {
  for_each_w([&] {
    shared_counters runs(kTasks);
    run_options options;
    options.workers = workers();
    options.record = false;
    const auto result = make_executor(name())->run(make_tasks(runs), options);
    EXPECT_TRUE(result.recorded.events.empty());
    EXPECT_EQ(result.failed_tasks(), 0U);
  });
}

TEST_P(ExecutorConformance, EmptyBatchRunsNothing) {
  for_each_w([&] {
    const auto result = run({});
    EXPECT_TRUE(result.records.empty());
  });
}

TEST_P(ExecutorConformance, ZeroWorkersIsRejected) {
  for_each_w([&] {
    run_options options;
    options.workers = 0;
    EXPECT_THROW((void)make_executor(name())->run({}, options), std::invalid_argument);
  });
}

std::string param_name(const ::testing::TestParamInfo<ExecutorConformance::ParamType>& info) {
  std::string n = info.param;
  for (char& c : n) {
    if (c == '-') c = '_';
  }
  return n;
}

/// Every model this build has (openmp, tbb and mpi only when their library was found) that runs
/// callables (mpi runs a workload's step tasks only: tests/mpi_test.cpp holds it to the same
/// rules with those).
std::vector<std::string> available_models() {
  std::vector<std::string> names;
  for (const auto& info : executors()) {
    if (info.available && info.runs_callables) names.push_back(info.name);
  }
  return names;
}

INSTANTIATE_TEST_SUITE_P(AllModels, ExecutorConformance, ::testing::ValuesIn(available_models()),
                         param_name);

TEST(ExecutorRegistry, ListsEveryModelAndRejectsUnknownNames) {
  for (const auto& info : executors()) {
    if (info.available) {
      EXPECT_EQ(make_executor(info.name)->name(), info.name);
    } else {
      EXPECT_THROW((void)make_executor(info.name), std::invalid_argument);
    }
  }
  std::vector<std::string> names;
  for (const auto& info : executors()) names.push_back(info.name);
  EXPECT_EQ(names, (std::vector<std::string>{"sequential", "threads", "thread-pool", "processes",
                                             "process-pool", "gil-threads", "async", "openmp",
                                             "tbb", "mpi"}));
  // This project's set-up script installs OpenMP (g++), oneTBB and Open MPI: the models must be
  // built, except in the tsan preset, which turns them off (their runtimes are not instrumented).
  for (const auto& info : executors()) {
#if defined(PARLAB_UNDER_TSAN)
    if (info.name == "openmp" || info.name == "tbb" || info.name == "mpi") {
      EXPECT_FALSE(info.available) << info.name;
      continue;
    }
#endif
    EXPECT_TRUE(info.available) << info.name;
  }
  try {
    (void)make_executor("fibers");
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("'fibers'"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("thread-pool"), std::string::npos);
  }
}

/// `n` step tasks that each wait `wait` and compute one unit: the io workload's shape.
std::vector<task> waiting_tasks(std::size_t n, std::chrono::milliseconds wait) {
  std::vector<task> tasks;
  for (std::size_t i = 0; i < n; ++i) {
    tasks.push_back(
        make_step_task(i, "w", i,
                       {{step_kind::wait, static_cast<std::uint64_t>(wait.count()) * 1'000'000},
                        {step_kind::compute, 1}}));
  }
  return tasks;
}

// The event loop overlaps waits on one thread: 200 waits of 20 ms with all in flight end in about
// one wait time. Generous bound: well under a quarter of what running them one by one costs.
TEST(AsyncExecutor, ManyInFlightWaitsOverlapOnOneThread) {
  const auto tasks = waiting_tasks(200, std::chrono::milliseconds(20));
  run_options options;
  options.workers = tasks.size();
  // Timing test: the waits overlap (under a quarter of their sum).
  PARLAB_TIMING_TEST([&]() -> std::string {
    const auto result = make_executor("async")->run(tasks, options);
    EXPECT_EQ(result.failed_tasks(), 0U);
    std::set<std::int64_t> threads;
    for (const auto& r : result.records) threads.insert(r.tid);
    EXPECT_EQ(threads.size(), 1U) << "one event-loop thread runs every task";
    // A lower bound holds on any machine: no task can end before its wait.
    EXPECT_GE(result.wall_seconds(), 0.020);
    if (result.wall_seconds() < 0.25 * 200 * 0.020) return {};
    return fmt::format("200 waits of 20 ms took {:.3f} s: they did not overlap",
                       result.wall_seconds());
  });
}

// ... but compute runs inline on the loop: CPU-bound tasks take turns, never overlap.
TEST(AsyncExecutor, ComputeBlocksTheLoop) {
  std::vector<task> tasks;
  for (std::size_t i = 0; i < 4; ++i) {
    tasks.push_back(make_step_task(i, "c", i, {{step_kind::compute, 300}}));
  }
  run_options options;
  options.workers = 4;
  const auto result = make_executor("async")->run(tasks, options);
  std::vector<task_interval> intervals;
  for (const auto& r : result.records) intervals.push_back({r.start_ns, r.end_ns, r.cpu_ns});
  EXPECT_EQ(classify(intervals, 2).peak_in_flight, 1U);
}

// W caps the tasks in flight on the loop: with W = 2, 8 waits of 20 ms take four rounds.
TEST(AsyncExecutor, WorkersCapTasksInFlight) {
  const auto tasks = waiting_tasks(8, std::chrono::milliseconds(20));
  run_options options;
  options.workers = 2;
  const auto result = make_executor("async")->run(tasks, options);
  std::vector<task_interval> intervals;
  for (const auto& r : result.records) intervals.push_back({r.start_ns, r.end_ns, r.cpu_ns});
  EXPECT_EQ(classify(intervals, 2).peak_in_flight, 2U);
  EXPECT_GE(result.wall_seconds(), 4 * 0.020);
}

/// True when this process has no child left to reap (no zombie, no stray worker).
bool no_children_left() {
  int status = 0;
  return ::waitpid(-1, &status, WNOHANG) < 0 && errno == ECHILD;
}

TEST(ProcessPoolExecutor, ReusesItsWorkersAcrossTasks) {
  std::vector<task> tasks;
  for (std::size_t i = 0; i < 16; ++i) {
    tasks.push_back(
        make_task(i, "t", [](task_context& ctx) -> std::uint64_t { return ctx.compute(5); }));
  }
  run_options options;
  options.workers = 3;
  const auto result = make_executor("process-pool")->run(tasks, options);
  EXPECT_EQ(result.failed_tasks(), 0U);
  std::set<std::int64_t> pids;
  for (const auto& r : result.records) pids.insert(r.pid);
  EXPECT_LE(pids.size(), 3U) << "a pool forks W workers, not one per task";
  EXPECT_FALSE(pids.count(::getpid()));
  EXPECT_TRUE(no_children_left());
}

class ProcessPoolDeath : public ::testing::TestWithParam<int> {};

// A worker that dies - killed (as by kill -9 from outside), aborting, crashing, exiting - is
// reported with the cause, replaced, and the other tasks still finish; nothing is left behind.
TEST_P(ProcessPoolDeath, ADyingWorkerIsReportedAndReplaced) {
  const int how = GetParam();
  std::vector<task> tasks;
  for (std::size_t i = 0; i < 8; ++i) {
    tasks.push_back(make_task(i, "t", [i, how](task_context& ctx) -> std::uint64_t {
      if (i == 3) {
        if (how == 0) ::kill(::getpid(), SIGKILL);
        if (how == 1) std::abort();
        if (how == 2) ::_exit(9);
      }
      ctx.wait(std::chrono::milliseconds(20));  // long enough for the replacement to get work
      return ctx.compute(5);
    }));
  }
  run_options options;
  options.workers = 2;
  const auto result = make_executor("process-pool")->run(tasks, options);
  EXPECT_EQ(result.failed_tasks(), 1U);
  EXPECT_FALSE(result.records[3].ok);
  const std::string expected =
      how == 0 ? "killed by SIGKILL" : (how == 1 ? "killed by SIGABRT" : "exited with status 9");
  EXPECT_NE(result.records[3].message.find(expected), std::string::npos)
      << result.records[3].message;
  std::set<std::int64_t> pids_before, pids_after;  // of the tasks that ended before / after
  for (std::size_t i = 0; i < 8; ++i) {
    if (i == 3) continue;
    EXPECT_TRUE(result.records[i].ok) << i << ": " << result.records[i].message;
    EXPECT_NE(result.records[i].pid, ::getpid());
    const bool after = result.records[i].start_ns > result.records[3].end_ns;
    if (after) {
      EXPECT_NE(result.records[i].pid, result.records[3].pid) << "task " << i << " ran on the dead";
    }
    (after ? pids_after : pids_before).insert(result.records[i].pid);
  }
  // The replacement worker ran tasks: a pid that had run nothing before the death.
  bool replacement_worked = false;
  for (const auto pid : pids_after) replacement_worked |= pids_before.count(pid) == 0;
  EXPECT_TRUE(replacement_worked) << "no task ran on a replacement worker";
  EXPECT_TRUE(no_children_left());
}

INSTANTIATE_TEST_SUITE_P(KillAbortExit, ProcessPoolDeath, ::testing::Values(0, 1, 2));

TEST(ProcessesExecutor, ACrashingChildIsReportedAndTheRestFinish) {
  std::vector<task> tasks;
  for (std::size_t i = 0; i < 4; ++i) {
    tasks.push_back(make_task(i, "t", [i](task_context& ctx) -> std::uint64_t {
      if (i == 2) ::_exit(7);  // the child dies without reporting
      return ctx.compute(5);
    }));
  }
  run_options options;
  options.workers = 2;
  const auto result = make_executor("processes")->run(tasks, options);
  EXPECT_EQ(result.failed_tasks(), 1U);
  EXPECT_FALSE(result.records[2].ok);
  EXPECT_NE(result.records[2].message.find("exited with status 7"), std::string::npos)
      << result.records[2].message;
}

}  // namespace
}  // namespace parlab
