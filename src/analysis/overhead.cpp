// measure_overhead: the fixed costs of a model, from runs of empty tasks with one worker. A run
// of one task costs start + finish; a run of N tasks costs start + (N - 1) * per task + finish;
// the records' timestamps split the two ends apart.

#include <parlab/executor.hpp>
#include <parlab/experiment.hpp>
#include <parlab/overhead.hpp>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

namespace parlab {
namespace {

/// Tasks that do nothing: callables, or for a model that runs only step tasks (mpi) a program
/// of one empty compute step.
std::vector<task> empty_tasks(std::size_t n, bool callables) {
  std::vector<task> tasks;
  tasks.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    tasks.push_back(callables
                        ? make_task(i, "empty", [](task_context&) -> std::uint64_t { return 1; })
                        : make_step_task(i, "empty", i, {{step_kind::compute, 0}}));
  }
  return tasks;
}

}  // namespace

overhead_figures measure_overhead(const std::string& executor, std::size_t tasks,
                                  std::size_t repeat, probe_shape shape, std::size_t edge_bytes) {
  if (tasks < 2) throw std::invalid_argument("overhead: tasks must be at least 2");
  if (repeat < 1) throw std::invalid_argument("overhead: repeat must be at least 1");
  if (edge_bytes != 0 && shape != probe_shape::chain) {
    throw std::invalid_argument("overhead: bytes along edges need the chain");
  }
  const bool chain = shape == probe_shape::chain;
  const auto model = make_executor(executor);  // unknown or unbuilt: invalid_argument
  const bool callables = find_executor(executor).runs_callables;
  const auto one = empty_tasks(1, callables);
  if (edge_bytes != 0) {
    constexpr std::size_t kMostMade = std::size_t{64} << 20U;
    tasks = std::clamp<std::size_t>(kMostMade / edge_bytes, 2, tasks);
  }
  auto many = empty_tasks(tasks, callables);
  if (chain) {  // each task after the one before, handing it its data
    for (std::size_t i = 0; i < tasks; ++i) {
      if (i > 0) many[i].after = {i - 1};
      if (i + 1 < tasks) many[i].output_bytes = edge_bytes;
    }
  }
  run_options options;
  options.workers = 1;
  options.record = false;

  (void)model->run(one, options);  // warm-up
  std::vector<double> starts, finishes, per_task, singles;
  for (std::size_t r = 0; r < repeat; ++r) {
    const run_result single = model->run(one, options);
    const run_result batch = model->run(many, options);
    for (const run_result* run : {&single, &batch}) {
      if (run->failed_tasks() != 0) {
        throw std::runtime_error("overhead: an empty task failed under " + executor + ": " +
                                 run->records[0].message);
      }
    }
    singles.push_back(static_cast<double>(single.end_ns - single.start_ns));
    std::int64_t first_start = batch.records.front().start_ns;
    std::int64_t last_end = batch.records.front().end_ns;
    for (const auto& rec : batch.records) {
      first_start = std::min(first_start, rec.start_ns);
      last_end = std::max(last_end, rec.end_ns);
    }
    starts.push_back(static_cast<double>(first_start - batch.start_ns));
    finishes.push_back(static_cast<double>(batch.end_ns - last_end));
    // Everything between the first task's start and the last one's end is N - 1 hand-overs
    // (a chain: less the tasks' own time, reading and making any data).
    std::int64_t own = 0;
    if (chain) {
      for (const auto& rec : batch.records) own += rec.end_ns - rec.start_ns;
    }
    per_task.push_back(static_cast<double>(last_end - first_start - own) /
                       static_cast<double>(tasks - 1));
  }
  overhead_figures f;
  f.executor = executor;
  f.workers = 1;
  f.tasks = tasks;
  f.repeat = repeat;
  f.start_ns = median(starts);
  f.per_task_ns = median(per_task);
  f.finish_ns = median(finishes);
  f.single_task_run_ns = median(singles);
  return f;
}

std::size_t data_per_task(std::span<const task> tasks) {
  if (tasks.empty()) return 0;
  std::vector<bool> has_successor(tasks.size(), false);
  std::uint64_t moved = 0;  // made + read
  for (const task& t : tasks) {
    for (const std::size_t p : t.after) {
      if (p >= tasks.size()) continue;
      has_successor[p] = true;
      moved += tasks[p].output_bytes;  // read by t
    }
  }
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    if (has_successor[i]) moved += tasks[i].output_bytes;  // made
  }
  return static_cast<std::size_t>(moved / (2 * tasks.size()));
}

}  // namespace parlab
