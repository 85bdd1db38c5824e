#pragma once
/// @file Task graphs: a batch whose tasks wait for others (task::after), checked before it runs.

#include <parlab/task.hpp>

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace parlab {

/// Each task's predecessors, by position: what a run_result keeps of a graph (run_result::after).
using task_dependencies = std::vector<std::vector<std::size_t>>;

/// True when any task of the batch waits for another (it is a graph, not a bag of tasks).
[[nodiscard]] bool has_dependencies(std::span<const task> tasks) noexcept;

/// The batch's task::after lists, one per task (empty lists for a bag of tasks).
[[nodiscard]] task_dependencies dependencies_of(std::span<const task> tasks);

/// Checks a graph before anything runs: the tasks are numbered 0..N-1 in order, every predecessor
/// is another task of the batch, none is named twice, and there is no cycle. Throws
/// std::invalid_argument with one line naming the fault: "task graph: task 'b' (1) waits for
/// task 9, which is not in the batch (ids 0-3)", "task graph: a cycle: a -> b -> c -> a"
/// (labels, or ids when a task has none).
void check_graph(std::span<const task> tasks);

/// The same checks on bare predecessor lists; `label(i)` names task i in the message.
void check_dependencies(const task_dependencies& after,
                        const std::vector<std::string>& labels = {});

/// An order in which every task comes after its predecessors (Kahn's algorithm, lowest position
/// first among the ready ones, so a bag of tasks keeps its order). Throws like
/// check_dependencies for a cycle or a predecessor out of range.
[[nodiscard]] std::vector<std::size_t> topological_order(const task_dependencies& after);

/// The successors of every task (the edges turned round), each list ascending.
[[nodiscard]] task_dependencies successors_of(const task_dependencies& after);

/// A pipeline: items flow through stages in order, item i's stage s being task
/// i * stages + s. A serial stage takes one item at a time, in item order; at most `tokens`
/// items are in the pipeline at once (a bounded queue: item i enters once item i - tokens left).
struct pipeline_layout {
  std::vector<bool> serial;  ///< per stage
  std::size_t tokens = 1;
  [[nodiscard]] std::size_t stages() const noexcept { return serial.size(); }
  bool operator==(const pipeline_layout&) const = default;
};

/// The dependencies of `items` items through pipeline `p`: item i's stage s after its stage
/// s - 1, after item i - 1's stage s when that stage is serial, and item i's first stage after
/// item i - tokens's last stage (its token back); each list ascending.
[[nodiscard]] task_dependencies pipeline_dependencies(const pipeline_layout& p, std::size_t items);

/// The pipeline whose dependencies these are exactly (each list compared as a set), with at
/// least 2 stages and 2 items, the first and the last stage serial - what a runtime's own
/// pipeline (oneTBB's parallel_pipeline, in-order serial filters) runs with the same order:
/// items leave in order, so a token freed is item i - tokens's. The fewest stages that fit;
/// tokens = the items when none is ever waited for. nullopt when no such pipeline fits.
[[nodiscard]] std::optional<pipeline_layout> find_pipeline(const task_dependencies& after);

}  // namespace parlab
