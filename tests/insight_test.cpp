// What the [insight] measurements say about real runs: where every worker's time went (wait
// reasons) sums to the run's wall span, with what the recorder saw accounting for it.

#include <parlab/experiment.hpp>
#include <parlab/timeline_analysis.hpp>

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace parlab
