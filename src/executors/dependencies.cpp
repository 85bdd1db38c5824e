// How every model runs a task graph: the dependency counts and the blocking queue of ready tasks.

#include "executors/dependencies.hpp"

#include <string>

namespace parlab::detail {

dependency_tracker::dependency_tracker(std::span<const task> tasks)
    : next_(successors_of(dependencies_of(tasks))),
      waiting_(std::make_unique<std::atomic<std::uint32_t>[]>(tasks.size())),
      failed_(std::make_unique<std::atomic<std::size_t>[]>(tasks.size())) {
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    waiting_[i].store(static_cast<std::uint32_t>(tasks[i].after.size()), std::memory_order_relaxed);
    failed_[i].store(none, std::memory_order_relaxed);
    if (tasks[i].after.empty()) roots_.push_back(i);
  }
}

void record_blocked(std::size_t id, std::size_t cause, task_record& record) {
  record.task_id = id;
  record.ok = false;
  record.failure = failure_kind::never_ran;
  record.message = "never ran: it waits for task " + std::to_string(cause) + ", which failed";
}

bool dependency_tracker::skip_blocked(const task& t, task_record& record) const {
  const std::size_t cause = blocked_by(t.id);
  if (cause == none) return false;
  record_blocked(t.id, cause, record);
  return true;
}

ready_queue::ready_queue(dependency_tracker& graph) : graph_(graph) {
  ready_.assign(graph.roots().begin(), graph.roots().end());
}

std::optional<std::size_t> ready_queue::pop() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return closed_ || !ready_.empty() || finished_ == graph_.size(); });
  if (closed_ || ready_.empty()) return std::nullopt;
  const std::size_t i = ready_.front();
  ready_.pop_front();
  return i;
}

void ready_queue::finished(std::size_t i, bool ok) {
  std::size_t released = 0;
  {
    std::lock_guard lock(mutex_);
    graph_.finish(i, ok, [&](std::size_t s) {
      ready_.push_back(s);
      ++released;
    });
    ++finished_;
    if (finished_ == graph_.size()) released = SIZE_MAX;  // everyone may leave
  }
  if (released == 1) {
    changed_.notify_one();
  } else if (released > 1) {
    changed_.notify_all();
  }
}

void ready_queue::close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  changed_.notify_all();
}

dispatch_order::dispatch_order(std::span<const task> tasks, bool graph) : tasks_(tasks) {
  if (!graph) return;
  graph_.emplace(tasks);
  ready_.assign(graph_->roots().begin(), graph_->roots().end());
}

std::optional<std::size_t> dispatch_order::next(std::vector<task_record>& records) {
  if (!graph_) {
    if (in_order_ == tasks_.size()) return std::nullopt;
    ++given_;
    return in_order_++;
  }
  while (!ready_.empty()) {
    const std::size_t i = ready_.front();
    ready_.pop_front();
    ++given_;
    if (!graph_->skip_blocked(tasks_[i], records[i])) return i;
    finished(i, false);
  }
  return std::nullopt;
}

void dispatch_order::finished(std::size_t i, bool ok) {
  if (graph_) graph_->finish(i, ok, [this](std::size_t s) { ready_.push_back(s); });
}

}  // namespace parlab::detail
