// The graph shapes: workloads whose tasks wait for one another (task::after). Each makes exactly
// the tasks asked for, numbered in an order where every task comes after its predecessors, and
// every task computes (prime counting) for its share of `size`, testing the same numbers, so the
// graph's work, span and parallelism are known from its shape.

#include "workloads/generators.hpp"

#include "core/splitmix.hpp"

#include <parlab/task_graph.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace parlab::detail {
namespace {

using detail::splitmix64;
using detail::splitmix64_step;

/// A compute task with a label of its own and its predecessors. Every task of a shape tests the
/// same numbers (the batch's first seed): prime counting's cost depends on which numbers it
/// tests (up to 25% between two seeds here), and a shape's tasks of equal size must cost the
/// same for its parallelism to be the known value.
task compute_task(std::size_t id, std::string label, std::uint64_t seed, std::uint64_t units,
                  std::vector<std::size_t> after) {
  task t = make_step_task(id, std::move(label), task_seed(seed, 0),
                          {{step_kind::compute, std::max<std::uint64_t>(1, units)}});
  t.after = std::move(after);
  return t;
}

/// The small tasks around the big ones (a split, a join, a reduce, a serial stage).
std::uint64_t small_share(std::uint64_t size, std::uint64_t divisor) {
  return std::max<std::uint64_t>(1, size / divisor);
}

/// Appends a balanced fork-join over `leaves` leaves (split, two halves, join); returns the id of
/// its last task (the join, or the leaf).
std::size_t fork_join(std::vector<task>& out, std::size_t leaves, std::size_t after,
                      std::uint64_t size, std::uint64_t seed) {
  const auto before =
      after == SIZE_MAX ? std::vector<std::size_t>{} : std::vector<std::size_t>{after};
  if (leaves == 1) {
    const std::size_t id = out.size();
    out.push_back(compute_task(id, "leaf " + std::to_string(id), seed, size, before));
    return id;
  }
  const std::size_t split = out.size();
  out.push_back(
      compute_task(split, "split " + std::to_string(split), seed, small_share(size, 8), before));
  const std::size_t left = fork_join(out, leaves / 2, split, size, seed);
  const std::size_t right = fork_join(out, leaves - leaves / 2, split, size, seed);
  const std::size_t join = out.size();
  out.push_back(compute_task(join, "join " + std::to_string(split), seed, small_share(size, 8),
                             {left, right}));
  return join;
}

}  // namespace

std::vector<task> make_chain_tasks(std::size_t tasks, std::uint64_t size, std::uint64_t seed) {
  std::vector<task> out;
  out.reserve(tasks);
  for (std::size_t i = 0; i < tasks; ++i) {
    out.push_back(compute_task(i, "chain#" + std::to_string(i), seed, size,
                               i == 0 ? std::vector<std::size_t>{} : std::vector{i - 1}));
  }
  return out;
}

std::vector<task> make_fork_join_tasks(std::size_t tasks, std::uint64_t size, std::uint64_t seed) {
  // A fork-join over L leaves has 3L - 2 tasks; what is left over (0, 1 or 2 tasks) reads the
  // input first, one after the other.
  const std::size_t leaves = (tasks + 2) / 3;
  const std::size_t prelude = tasks - (3 * leaves - 2);
  std::vector<task> out;
  out.reserve(tasks);
  std::size_t last = SIZE_MAX;
  for (std::size_t i = 0; i < prelude; ++i) {
    out.push_back(compute_task(i, "read " + std::to_string(i), seed, small_share(size, 8),
                               last == SIZE_MAX ? std::vector<std::size_t>{} : std::vector{last}));
    last = i;
  }
  (void)fork_join(out, leaves, last, size, seed);
  return out;
}

std::vector<task> make_map_reduce_tasks(std::size_t tasks, std::uint64_t size, std::uint64_t seed) {
  // M maps, then a binary tree of M - 1 reductions over them; an even count ends with one more
  // task after the root (it writes the answer).
  const std::size_t maps = (tasks + 1) / 2;
  std::vector<task> out;
  out.reserve(tasks);
  std::vector<std::size_t> level;
  for (std::size_t i = 0; i < maps; ++i) {
    out.push_back(compute_task(i, "map " + std::to_string(i), seed, size, {}));
    level.push_back(i);
  }
  while (level.size() > 1) {
    std::vector<std::size_t> up;
    for (std::size_t k = 0; k + 1 < level.size(); k += 2) {
      const std::size_t id = out.size();
      out.push_back(compute_task(id, "reduce " + std::to_string(id - maps), seed,
                                 small_share(size, 4), {level[k], level[k + 1]}));
      up.push_back(id);
    }
    if (level.size() % 2 == 1) up.push_back(level.back());
    level = std::move(up);
  }
  if (out.size() < tasks) {
    out.push_back(compute_task(out.size(), "write", seed, small_share(size, 4), {level.front()}));
  }
  return out;
}

std::vector<task> make_wavefront_tasks(std::size_t tasks, std::uint64_t size, std::uint64_t seed) {
  // Rows of n = ceil(sqrt(tasks)) cells (n x n when tasks is a square); each cell after its left
  // and upper neighbours.
  auto n = static_cast<std::size_t>(std::ceil(std::sqrt(static_cast<double>(tasks))));
  while (n * n < tasks) ++n;
  while (n > 1 && (n - 1) * (n - 1) >= tasks) --n;
  std::vector<task> out;
  out.reserve(tasks);
  for (std::size_t id = 0; id < tasks; ++id) {
    const std::size_t row = id / n;
    const std::size_t col = id % n;
    std::vector<std::size_t> after;
    if (col > 0) after.push_back(id - 1);
    if (row > 0) after.push_back(id - n);
    out.push_back(compute_task(id, "cell " + std::to_string(row) + "," + std::to_string(col), seed,
                               size, after));
  }
  return out;
}

std::vector<task> make_pipeline_tasks(std::size_t tasks, std::uint64_t size, std::uint64_t seed,
                                      std::size_t stages, std::size_t tokens) {
  if (stages == 0 || tasks % stages != 0) {
    throw std::invalid_argument("pipeline: --tasks (" + std::to_string(tasks) +
                                ") must be a multiple of --stages (" + std::to_string(stages) +
                                "): each item goes through every stage");
  }
  const std::size_t items = tasks / stages;
  if (tokens == 0) throw std::invalid_argument("pipeline: --tokens must be at least 1 (got 0)");
  // The first and the last stage are serial (one item at a time, in order) and small; the ones
  // between do the work, items side by side.
  pipeline_layout layout;
  for (std::size_t s = 0; s < stages; ++s) layout.serial.push_back(s == 0 || s + 1 == stages);
  layout.tokens = tokens;
  task_dependencies after = pipeline_dependencies(layout, items);
  std::vector<task> out;
  out.reserve(tasks);
  for (std::size_t item = 0; item < items; ++item) {
    for (std::size_t s = 0; s < stages; ++s) {
      const std::size_t id = item * stages + s;
      out.push_back(compute_task(
          id, "item " + std::to_string(item) + " stage " + std::to_string(s + 1), seed,
          layout.serial[s] && stages > 2 ? small_share(size, 4) : size, std::move(after[id])));
    }
  }
  return out;
}

std::vector<task> make_layered_tasks(std::size_t tasks, std::uint64_t size, std::uint64_t seed,
                                     std::size_t width, double edge_probability) {
  if (width == 0) throw std::invalid_argument("layered: --width must be at least 1 (got 0)");
  std::vector<task> out;
  out.reserve(tasks);
  std::uint64_t state = seed;
  auto draw = [&state] {
    state += splitmix64_step;
    return splitmix64(state);
  };
  for (std::size_t id = 0; id < tasks; ++id) {
    const std::size_t layer = id / width;
    std::vector<std::size_t> after;
    if (layer > 0) {
      const std::size_t first = (layer - 1) * width;
      for (std::size_t p = first; p < first + width; ++p) {
        const double u = static_cast<double>(draw() >> 11U) / static_cast<double>(1ULL << 53U);
        if (u < edge_probability) after.push_back(p);
      }
      if (after.empty()) after.push_back(first + draw() % width);
    }
    out.push_back(compute_task(
        id, "layer " + std::to_string(layer) + " #" + std::to_string(id - layer * width), seed,
        size, after));
  }
  return out;
}

}  // namespace parlab::detail
