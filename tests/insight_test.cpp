// What the [insight] measurements say about real runs: where every worker's time went (wait
// reasons) sums to the run's wall span, with what the recorder saw accounting for it; shared
// locks exclude under every model and survive a holder's death.

#include <parlab/experiment.hpp>
#include <parlab/timeline_analysis.hpp>

#include <parlab/clock.hpp>
#include <parlab/executor.hpp>
#include <parlab/task.hpp>

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

namespace parlab {
namespace {

std::vector<measured_run> mixed_runs() {
  experiment_spec spec;
  spec.workload.name = "mixed";
  spec.workload.tasks = 8;
  spec.workload.size = 20;
  spec.workload.cpu_fraction = 0.5;
  spec.executors = {"threads", "gil-threads", "process-pool"};
  spec.workers = 4;
  spec.repeat = 1;
  spec.baseline = false;
  spec.keep_records = true;
  return run_experiment(spec);
}

/// Per worker, the recorded durations as they are (no priority between kinds): slices,
/// preemptions, ready, waits, GIL and lock waits, plus the time with no task on the worker.
std::map<std::uint32_t, std::int64_t> raw_sums(const run_result& rep) {
  std::map<std::uint32_t, std::int64_t> sums;
  std::map<std::uint32_t, std::int64_t> in_task;
  for (const auto& e : rep.recorded.events) {
    if (e.worker == no_id) continue;
    const std::int64_t d = e.end_ns - e.start_ns;
    switch (e.kind) {
      case event_kind::slice:
      case event_kind::preempted:
      case event_kind::ready:
      case event_kind::wait:
      case event_kind::lock_wait:
        sums[e.worker] += d;
        break;
      case event_kind::gil_wait:
        sums[e.worker] += d;
        // A GIL wait outside any task (a worker before its first task) is outside the task
        // spans: counted here, not again as time with no task.
        if (e.task == no_id) in_task[e.worker] += d;
        break;
      case event_kind::task:
        in_task[e.worker] += d;
        break;
      default:
        break;
    }
  }
  for (auto& [w, s] : sums) s += (rep.end_ns - rep.start_ns) - in_task[w];
  return sums;
}

TEST(WaitReasons, EveryWorkersTimeSumsToTheWallSpanAndTheRecorderAccountsForIt) {
  for (const auto& run : mixed_runs()) {
    SCOPED_TRACE(run.executor);
    const run_result& rep = run.representative;
    const std::int64_t span = rep.end_ns - rep.start_ns;
    ASSERT_GT(span, 0);
    ASSERT_EQ(run.worker_time.size(), run.workers);
    const auto raw = raw_sums(rep);
    time_split all;
    for (std::size_t w = 0; w < run.worker_time.size(); ++w) {
      const time_split& split = run.worker_time[w];
      all += split;
      // The reasons partition the span exactly...
      EXPECT_EQ(split.total(), span) << "worker " << w;
      // ...and the events themselves neither overlap nor leave holes: their plain sum (with
      // the time outside tasks) is the span within 2%, and almost nothing in a task is unnamed.
      const auto it = raw.find(static_cast<std::uint32_t>(w));
      ASSERT_NE(it, raw.end()) << "worker " << w << " recorded nothing";
      EXPECT_NEAR(static_cast<double>(it->second), static_cast<double>(span),
                  0.02 * static_cast<double>(span))
          << "worker " << w;
      EXPECT_LE(split[time_reason::other], span / 50) << "worker " << w;
    }
    // Each model's own story: every task computes and sleeps; only the GIL makes workers wait
    // for a lock that is not theirs.
    EXPECT_GT(all[time_reason::running], 0);
    EXPECT_GT(all[time_reason::sleep], 0);
    if (run.executor == "gil-threads") {
      EXPECT_GT(all[time_reason::gil], all[time_reason::sleep] / 4);
    } else {
      EXPECT_EQ(all[time_reason::gil], 0);
    }
    // Per task (JSON): from queued to finished, the same partition.
    const auto tasks = task_time_split(rep.recorded.events);
    ASSERT_EQ(tasks.size(), run.tasks);
    for (const auto& [id, split] : tasks) {
      const auto rec = std::find_if(rep.records.begin(), rep.records.end(),
                                    [&](const task_record& r) { return r.task_id == id; });
      ASSERT_NE(rec, rep.records.end());
      EXPECT_GE(split.total(), rec->end_ns - rec->start_ns - 1'000'000) << "task " << id;
      EXPECT_GT(split[time_reason::running], 0) << "task " << id;
    }
  }
}

TEST(LockContention, EveryModelHoldsALockOneTaskAtATimeAndCountsEveryAcquisition) {
  experiment_spec spec;
  spec.workload.name = "locks";
  spec.workload.tasks = 4;
  spec.workload.size = 320;  // 16 critical sections of 20 units (~0.1 ms) per task
  spec.workload.critical_fraction = 1.0;
  spec.workload.locks = 1;
  spec.workers = 2;
  spec.repeat = 1;
  spec.keep_records = true;
  for (const auto& info : executors()) {
    if (!info.available || info.name == "mpi") continue;
    spec.executors.push_back(info.name);
  }
  const auto runs = run_experiment(spec);
  const std::uint64_t sequential_result = runs.front().representative.records.front().result;
  for (const auto& run : runs) {
    SCOPED_TRACE(run.executor);
    ASSERT_EQ(run.failed_tasks, 0U);
    ASSERT_EQ(run.locks.size(), 1U);
    EXPECT_EQ(run.locks[0].acquisitions, 4U * 16U) << "every critical section, once";
    EXPECT_EQ(run.locks[0].name, "lock 0");
    EXPECT_EQ(run.representative.records.front().result, sequential_result);
    // Mutual exclusion, threads and processes alike: no two holds of the lock overlap.
    std::vector<std::pair<std::int64_t, std::int64_t>> holds;
    for (const auto& e : run.representative.recorded.events) {
      if (e.kind == event_kind::lock_hold) holds.emplace_back(e.start_ns, e.end_ns);
    }
    std::sort(holds.begin(), holds.end());
    ASSERT_EQ(holds.size(), 64U);
    for (std::size_t k = 1; k < holds.size(); ++k) {
      EXPECT_LE(holds[k - 1].second, holds[k].first) << "hold " << k << " began before the "
                                                     << "one before it ended";
    }
  }
}

TEST(LockContention, AProcessThatDiesHoldingALockLeavesItToTheNextTaker) {
  // The child takes the lock and dies inside its critical section (its hook ends the process
  // after the first unit); the parent then takes the same lock at once: a robust mutex tells it
  // the holder died, and it goes on.
  struct dying_hooks final : execution_hooks {
    void between_chunks() override { ::_exit(0); }
  };
  const task critical = make_step_task(0, "c", 1, {lock_step("test: robust", 4)});
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    dying_hooks hooks;
    task_context ctx(hooks, 1, 0);
    (void)run_to_end(critical, ctx);
    ::_exit(1);  // not reached: the hook ended the process holding the lock
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0) << "the child died inside the critical section";
  execution_hooks plain;
  task_context ctx(plain, 1, 0);
  const std::int64_t before = monotonic_ns();
  EXPECT_NO_THROW((void)run_to_end(critical, ctx));
  EXPECT_LT(monotonic_ns() - before, 5'000'000'000) << "taken over, not timed out";
}

}  // namespace
}  // namespace parlab
