// What the [insight] measurements say about real runs: where every worker's time went (wait
// reasons) sums to the run's wall span, with what the recorder saw accounting for it; shared
// locks exclude under every model and survive a holder's death; the memory figures.

#include <parlab/experiment.hpp>
#include <parlab/timeline_analysis.hpp>

#include <parlab/clock.hpp>
#include <parlab/executor.hpp>
#include <parlab/hazards.hpp>
#include <parlab/kernel_figures.hpp>
#include <parlab/task.hpp>
#include <parlab/workload.hpp>

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <string>
#include <thread>
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
      case event_kind::gil_wait:
        sums[e.worker] += d;
        // A worker waiting outside any task (for the GIL before its first task, then for a CPU)
        // is outside the task spans: counted here, not again as time with no task.
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
    // Memory: the process models' children report theirs (PSS <= RSS, USS <= PSS); the thread
    // models have no children. Every task's thread counted its page faults.
    if (run.executor == "process-pool") {
      ASSERT_TRUE(run.children.has_value());
      EXPECT_EQ(run.children->processes, run.workers);
      EXPECT_GT(run.children->uss_bytes, 0);
      EXPECT_LE(run.children->uss_bytes, run.children->pss_bytes);
      EXPECT_LE(run.children->pss_bytes, run.children->rss_bytes);
    } else {
      EXPECT_FALSE(run.children.has_value());
    }
    EXPECT_GE(run.minor_faults, 0);
    EXPECT_GT(run.kernel.peak_rss_bytes, 0);
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

TEST(Memory, SmapsRollupGivesRssPssAndUss) {
  const process_memory m = parse_smaps_rollup(
      "55f1a3b75000-7ffc7ee60000 ---p 00000000 00:00 0  [rollup]\nRss:  1692 kB\n"
      "Pss:   291 kB\nPss_Dirty:   116 kB\nShared_Clean:  1536 kB\nPrivate_Clean:  40 kB\n"
      "Private_Dirty:  116 kB\n");
  EXPECT_EQ(m.rss_bytes, 1692 * 1024);
  EXPECT_EQ(m.pss_bytes, 291 * 1024);
  EXPECT_EQ(m.uss_bytes, (40 + 116) * 1024);
  EXPECT_FALSE(parse_smaps_rollup("Rss: 12 kB\n").known()) << "no Pss: unknown";
  EXPECT_FALSE(parse_smaps_rollup("Rss: x kB\nPss: 1 kB\nPrivate_Clean: 1 kB\n"
                                  "Private_Dirty: 1 kB\n")
                   .known());
  const process_memory mine = own_memory();
  ASSERT_TRUE(mine.known()) << "Linux has /proc/self/smaps_rollup";
  EXPECT_LE(mine.uss_bytes, mine.pss_bytes);
  EXPECT_LE(mine.pss_bytes, mine.rss_bytes);
  // First touches of fresh pages are minor faults of this thread.
  const std::int64_t before = thread_minor_faults();
  std::vector<char> fresh(std::size_t{8} << 20U);
  for (std::size_t i = 0; i < fresh.size(); i += 4096) fresh[i] = 1;
  EXPECT_GE(thread_minor_faults() - before, 1000) << "8 MiB of new pages";
}

TEST(Memory, ChildrenAreSummedOverProcessesAndUnknownReadingsLeftOut) {
  children_memory c;
  c.add({100, 50, 10});
  c.add({300, 90, 30});
  c.add({});  // a worker that could not read its smaps_rollup
  EXPECT_EQ(c.processes, 2U);
  EXPECT_EQ(c.rss_bytes, 400);
  EXPECT_EQ(c.pss_bytes, 140);
  EXPECT_EQ(c.uss_bytes, 40);
}

TEST(Memory, EveryWorkerProcessReportsItsMemoryOnceAndFaultsAreTheRuns) {
  // One reading per worker process, whatever the number of tasks: 12 tasks on 2 pool workers
  // give 2 readings; a process per task gives one per task (each child is a worker).
  workload_spec spec;
  spec.tasks = 12;
  spec.size = 3;
  const auto tasks = make_workload(spec);
  run_options o;
  o.workers = 2;
  o.record = false;
  const run_result pool = make_executor("process-pool")->run(tasks, o);
  ASSERT_TRUE(pool.children.has_value());
  EXPECT_EQ(pool.children->processes, 2U);
  EXPECT_GT(pool.children->uss_bytes, 0);
  const run_result per_task = make_executor("processes")->run(tasks, o);
  ASSERT_TRUE(per_task.children.has_value());
  EXPECT_EQ(per_task.children->processes, tasks.size());
  const run_result threads = make_executor("threads")->run(tasks, o);
  EXPECT_FALSE(threads.children.has_value());
  // Faults come from the run's getrusage (parlab and its reaped children): a forked child
  // faults on at least its first stack page, so a process per task has at least one per task.
  EXPECT_GE(per_task.kernel.minor_faults, static_cast<std::int64_t>(tasks.size()));
  EXPECT_GE(threads.kernel.minor_faults, 0);
}

bool has(const std::vector<hazard>& hazards, const std::string& kind) {
  return std::any_of(hazards.begin(), hazards.end(),
                     [&](const hazard& h) { return h.kind == kind; });
}

TEST(Hazards, EachIsSaidFromWhatTheRowMeasured) {
  measured_run clean;
  clean.executor = "threads";
  clean.workers = 2;
  clean.wall_median = 0.2;
  clean.wall_min = 0.2;
  clean.wall_max = 0.21;
  clean.wall_samples = {0.2, 0.2, 0.21};
  time_split busy_worker;
  busy_worker[time_reason::running] = 90;
  busy_worker[time_reason::idle] = 10;
  clean.worker_time = {busy_worker, busy_worker};
  EXPECT_TRUE(run_hazards(clean, 2).empty());

  measured_run over = clean;  // 4 workers on 2 cores, a third of their time off a CPU
  over.workers = 4;
  time_split turns;
  turns[time_reason::running] = 60;
  turns[time_reason::preempted] = 25;
  turns[time_reason::ready] = 10;
  turns[time_reason::idle] = 5;
  over.worker_time = {turns, turns, turns, turns};
  const auto o = run_hazards(over, 2);
  ASSERT_TRUE(has(o, "oversubscribed"));
  EXPECT_NE(o.front().message.find("4 workers on 2 usable cores"), std::string::npos)
      << o.front().message;
  EXPECT_NE(o.front().message.find("35% of their time runnable but off a CPU"), std::string::npos)
      << o.front().message;
  EXPECT_FALSE(has(run_hazards(over, 4), "oversubscribed")) << "as many cores as workers";
  measured_run waiting = over;  // 4 workers that mostly sleep are not oversubscribed
  time_split sleepy;
  sleepy[time_reason::running] = 5;
  sleepy[time_reason::sleep] = 90;
  sleepy[time_reason::ready] = 5;
  waiting.worker_time = {sleepy, sleepy, sleepy, sleepy};
  EXPECT_FALSE(has(run_hazards(waiting, 2), "oversubscribed"));

  measured_run r = clean;
  r.others_cores = 0.8;
  r.steal_cores = 0.2;
  r.cpu_after_run_seconds = 0.040;
  r.wall_median = 0.0004;
  r.wall_min = 0.0003;
  r.wall_max = 0.0006;
  r.wall_samples = {0.0003, 0.0004, 0.0006};
  const auto all = run_hazards(r, 2);
  for (const char* kind : {"busy_machine", "steal", "spinning_after_run", "too_short", "noisy"}) {
    EXPECT_TRUE(has(all, kind)) << kind;
  }
  for (const auto& h : all) {
    EXPECT_EQ(h.message.find('\n'), std::string::npos) << "one line: " << h.message;
    EXPECT_EQ(h.message.rfind("threads W=2: ", 0), 0U) << h.message;
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
