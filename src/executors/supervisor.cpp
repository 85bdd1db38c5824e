// run_supervised: a run in a forked child, for tasks that may kill their process. Threads share
// their process's fate - one abort or segfault ends every task - and parlab shows that lesson
// without dying itself: the child dies, the parent reports how.

#include <parlab/clock.hpp>
#include <parlab/executor.hpp>

#include "core/process.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace parlab {

run_result run_supervised(executor& model, std::span<const task> tasks, const run_options& options,
                          std::string_view culprit) {
  if (options.workers == 0) {
    throw std::invalid_argument(std::string(model.name()) + ": workers must be at least 1 (got 0)");
  }
  detail::require_no_live_threads("a supervised run");
  run_result result;
  result.executor = std::string(model.name());
  result.workers = options.workers;
  const auto before = rusage_snapshot::now();
  result.start_ns = monotonic_ns();
  const pid_t child = ::fork();
  if (child < 0) {
    throw std::runtime_error("could not fork a supervised run: " + std::string(strerror(errno)));
  }
  if (child == 0) {
    int code = 0;
    try {
      const run_result survived = model.run(tasks, options);
      code = survived.failed_tasks() == 0 ? 0 : 1;
    } catch (...) {
      code = 2;
    }
    ::_exit(code);
  }
  const int status = detail::reap(child);
  result.end_ns = monotonic_ns();
  result.kernel = difference(before, rusage_snapshot::now());

  const std::string cause = detail::describe_status(status);
  // Nothing the child knew survived it: each task is recorded at the instant the run died.
  result.records.resize(tasks.size());
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    task_record& r = result.records[i];
    r.task_id = tasks[i].id;
    r.pid = child;
    r.start_ns = result.end_ns;
    r.end_ns = result.end_ns;
    r.ok = false;
    const std::string label = "task " + std::to_string(tasks[i].id);
    r.message = label == culprit
                    ? "the whole run died: " + cause + " in " + label
                    : "lost with the whole run (" + cause + " in " + std::string(culprit) + ")";
  }
  return result;
}

}  // namespace parlab
