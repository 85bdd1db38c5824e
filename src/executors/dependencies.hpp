#pragma once
// Internal: how every model runs a task graph - which tasks may start, and what a finished task
// releases. One tracker per run; the models differ only in where a ready task goes (a pool's
// queue, a free thread slot, a worker process).

#include <parlab/executor.hpp>
#include <parlab/task_graph.hpp>

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <vector>

namespace parlab::detail {

/// Counts each task's unfinished predecessors; a task that ends releases the successors whose
/// last predecessor it was. A task one of whose predecessors failed is still released (so the
/// run ends), marked blocked: the model skips it (skip_blocked) and finishes it failed, which
/// releases its own successors the same way. finish() is thread-safe (one atomic per task).
class dependency_tracker {
 public:
  static constexpr std::size_t none = SIZE_MAX;

  explicit dependency_tracker(std::span<const task> tasks);

  /// The tasks ready when the run starts, ascending (every task of a bag).
  [[nodiscard]] const std::vector<std::size_t>& roots() const noexcept { return roots_; }
  [[nodiscard]] std::size_t size() const noexcept { return next_.size(); }

  /// Task i ended (ok: it succeeded); calls ready(s) for each successor that is now ready, in
  /// ascending order.
  template <class F>
  void finish(std::size_t i, bool ok, F&& ready) {
    if (!ok) {
      const std::size_t cause = blocked_by(i) != none ? blocked_by(i) : i;
      for (const std::size_t s : next_[i]) {
        std::size_t expected = none;
        failed_[s].compare_exchange_strong(expected, cause, std::memory_order_relaxed);
      }
    }
    for (const std::size_t s : next_[i]) {
      if (waiting_[s].fetch_sub(1, std::memory_order_acq_rel) == 1) ready(s);
    }
  }

  /// The failed task that keeps task i from running (none: it may run). Read once i is ready.
  [[nodiscard]] std::size_t blocked_by(std::size_t i) const noexcept {
    return failed_[i].load(std::memory_order_relaxed);
  }

  /// When task i is blocked, fills its record (never ran, naming the failed task) and returns
  /// true: the model then finishes it failed instead of running it.
  bool skip_blocked(const task& t, task_record& record) const;

 private:
  task_dependencies next_;
  std::unique_ptr<std::atomic<std::uint32_t>[]> waiting_;
  std::unique_ptr<std::atomic<std::size_t>[]> failed_;
  std::vector<std::size_t> roots_;
};

/// Fills the record of a task that never ran because task `cause` failed (it waited for it,
/// directly or through other tasks that never ran).
void record_blocked(std::size_t id, std::size_t cause, task_record& record);

/// For runtimes that order a graph's tasks themselves (OpenMP's depend clauses, oneTBB's flow
/// graph): which failed task keeps each task from running. A task's slot is written only by the
/// task itself, after its predecessors ended (the runtime's ordering makes theirs visible).
class failure_causes {
 public:
  explicit failure_causes(std::size_t tasks) : cause_(tasks, dependency_tracker::none) {}

  /// Runs `run()` for task t unless one of its predecessors failed or never ran (then its record
  /// says which task failed); remembers whether t succeeded, for its successors.
  template <class Run>
  void run_unless_blocked(const task& t, task_record& record, Run&& run) {
    const std::size_t k = t.id;
    for (const std::size_t p : t.after) {
      if (cause_[p] != dependency_tracker::none) {
        cause_[k] = cause_[p];
        record_blocked(k, cause_[k], record);
        return;
      }
    }
    run();
    if (!record.ok) cause_[k] = k;
  }

 private:
  std::vector<std::size_t> cause_;
};

/// The ready tasks of a graph for threads that take them one at a time: pop() blocks until a
/// task is ready (nullopt once every task finished, or after close()). Thread-safe.
class ready_queue {
 public:
  explicit ready_queue(dependency_tracker& graph);

  /// The next ready task, lowest first among those released together; blocks meanwhile.
  [[nodiscard]] std::optional<std::size_t> pop();
  /// Task i ended: its released successors become poppable.
  void finished(std::size_t i, bool ok);
  /// Wakes every pop() with nullopt (an error ends the run).
  void close();

 private:
  dependency_tracker& graph_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::size_t> ready_;
  std::size_t finished_ = 0;
  bool closed_ = false;
};

/// The order in which a model's one dispatching thread hands tasks out (the parent of the
/// process models, the event loop): the batch in order, or a graph's tasks as they become ready.
/// A blocked task is never handed out: next() fills its record and finishes it failed.
/// Not thread-safe.
class dispatch_order {
 public:
  /// `graph`: the batch has dependencies (run_result::after is not empty).
  dispatch_order(std::span<const task> tasks, bool graph);

  /// The next task to start, or nullopt when none is ready now.
  [[nodiscard]] std::optional<std::size_t> next(std::vector<task_record>& records);
  /// Task i (handed out by next()) ended.
  void finished(std::size_t i, bool ok);
  /// Every task was handed out or skipped: next() never returns one again.
  [[nodiscard]] bool exhausted() const noexcept { return given_ == tasks_.size(); }

 private:
  std::span<const task> tasks_;
  std::optional<dependency_tracker> graph_;
  std::deque<std::size_t> ready_;
  std::size_t in_order_ = 0;  // a bag: the next index
  std::size_t given_ = 0;     // handed out or skipped
};

}  // namespace parlab::detail
