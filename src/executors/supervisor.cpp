// run_supervised: a run in a forked child, for tasks that may kill their process. Threads share
// their process's fate - one abort or segfault ends every task - and parlab shows that lesson
// without dying itself: the child dies, the parent reports how.

#include <parlab/clock.hpp>
#include <parlab/executor.hpp>

#include "core/child_process.hpp"
#include "core/peak_rss.hpp"
#include "executors/child_report.hpp"

#include <unistd.h>

#include <stdexcept>
#include <string>

namespace parlab {

run_result run_supervised(executor& model, std::span<const task> tasks, const run_options& options,
                          std::string_view culprit) {
  if (options.workers == 0) {
    throw std::invalid_argument(std::string(model.name()) + ": workers must be at least 1 (got 0)");
  }
  run_result result;
  result.executor = std::string(model.name());
  result.workers = options.workers;
  (void)detail::reset_peak_rss();
  // The collector serves this process: the child's run is recorded from here (its events are
  // inherited at the fork), not by the child.
  run_options in_child = options;
  in_child.exact = nullptr;
  switch_recording exact(options.exact);
  const auto before = rusage_snapshot::now();
  result.start_ns = monotonic_ns();
  detail::child_process child("a supervised run", {}, [&](const detail::child_process::ends&) {
    const run_result survived = model.run(tasks, in_child);
    return survived.failed_tasks() == 0 ? 0 : 1;
  });
  // The child writes nothing: end of file on its channel is its end. An interrupt wakes this
  // wait, throws, and the child is killed and reaped as `child` goes.
  pollfd channel{child.reports_fd(), POLLIN, 0};
  while (detail::poll_or_interrupt({&channel, 1}, -1) <= 0 || channel.revents == 0) {
  }
  const detail::child_exit how = child.wait();
  result.end_ns = monotonic_ns();
  result.kernel = difference(before, rusage_snapshot::now());
  result.exact = exact.take(result.start_ns, result.end_ns);
  result.kernel.peak_rss_bytes = detail::peak_rss_since_reset();  // the child's, reaped just now

  const std::string cause = how.describe();
  // Nothing the child knew survived it: each task is recorded at the instant the run died.
  result.records.resize(tasks.size());
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    task_record& r = result.records[i];
    r.task_id = tasks[i].id;
    r.pid = child.pid();
    r.start_ns = result.end_ns;
    r.end_ns = result.end_ns;
    r.ok = false;
    const std::string label = "task " + std::to_string(tasks[i].id);
    if (label == culprit) {
      detail::set_death_failure(r, how);
      r.message = "the whole run died: " + cause + " in " + label;
    } else {
      r.failure = failure_kind::lost_with_run;
      r.message = "lost with the whole run (" + cause + " in " + std::string(culprit) + ")";
    }
  }
  return result;
}

}  // namespace parlab
