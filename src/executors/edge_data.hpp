#pragma once
// Internal: the bytes a task graph's tasks hand their successors (task::output_bytes) during one
// run. A task makes its output when it ends; each successor reads all of it when it starts; the
// output is dropped when its last reader is done with it. Models that share memory read it where
// it lies; process models copy it through their pipes and sockets and say how much.

#include <parlab/executor.hpp>
#include <parlab/task.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace parlab::detail {

class edge_data {
 public:
  /// Active when any task of `tasks` hands bytes to a successor.
  explicit edge_data(std::span<const task> tasks);
  edge_data(const edge_data&) = delete;
  edge_data& operator=(const edge_data&) = delete;

  [[nodiscard]] bool active() const noexcept { return active_; }

  /// At `t`'s start: reads every byte its predecessors handed it; a checksum of them (folded
  /// into its result: the same under every model). Thread-safe once its predecessors ended.
  [[nodiscard]] std::uint64_t read_inputs(const task& t) const noexcept;
  /// At `t`'s end: makes its output (output_bytes bytes from its seed) and keeps it for its
  /// successors (nothing for a task without successors). Throws std::bad_alloc.
  void produce(const task& t);
  /// `t` is done with its inputs: each predecessor's output whose last reader it was is dropped.
  void done_with_inputs(const task& t) noexcept;

  // For process models, in the parent.
  /// Task `t` ended in a child process: keeps the output it sent back (counted as copied;
  /// empty when it failed or died) and is done with its inputs.
  void child_finished(const task& t, std::string output);
  /// A task's output, to send to a pool worker (the caller counts what it sends: copied()).
  [[nodiscard]] std::string_view output(std::size_t id) const noexcept;
  void count_copied(std::uint64_t bytes) noexcept;
  /// The data was handled in other processes that kept their own count (mpi's rank 0): adds
  /// theirs to this run's.
  void count_elsewhere(const edge_traffic& t) noexcept;

  // In a child process (its own copy of the parent's edge_data).
  /// Marks this copy as a child's: run_task leaves done_with_inputs to the parent.
  void enter_child() noexcept { in_child_ = true; }
  [[nodiscard]] bool in_child() const noexcept { return in_child_; }
  /// The output `t` made here (to send back); empty when it made none.
  [[nodiscard]] std::string_view own_output(const task& t) const noexcept;
  /// A pool worker: puts an input the parent sent in predecessor `id`'s place, or forgets `t`'s
  /// inputs and output after its report went back.
  void put(std::size_t id, std::string bytes);
  void forget(const task& t) noexcept;

  [[nodiscard]] edge_traffic traffic() const noexcept;

 private:
  void hold(std::uint64_t bytes) noexcept;
  void raise_peak(std::uint64_t held) noexcept;
  void release(std::size_t id) noexcept;

  bool active_ = false;
  bool in_child_ = false;
  std::vector<std::string> outputs_;
  std::unique_ptr<std::atomic<std::size_t>[]> readers_left_;  // per task: successors not done
  std::atomic<std::uint64_t> produced_{0};
  std::atomic<std::uint64_t> read_{0};
  std::atomic<std::uint64_t> copied_{0};
  std::atomic<std::uint64_t> held_{0};
  std::atomic<std::uint64_t> peak_held_{0};
};

}  // namespace parlab::detail
