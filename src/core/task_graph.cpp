// Task graphs: the checks a batch with dependencies passes before it runs, and its orders.

#include <parlab/task_graph.hpp>

#include <algorithm>
#include <functional>
#include <queue>
#include <stdexcept>
#include <string>
#include <vector>

namespace parlab {
namespace {

std::string name_of(const std::vector<std::string>& labels, std::size_t i) {
  if (i < labels.size() && !labels[i].empty()) return "'" + labels[i] + "'";
  return std::to_string(i);
}

/// Kahn's algorithm; returns the order found, shorter than the graph when there is a cycle.
std::vector<std::size_t> kahn(const task_dependencies& after, const task_dependencies& next) {
  const std::size_t n = after.size();
  std::vector<std::size_t> waiting(n);
  std::priority_queue<std::size_t, std::vector<std::size_t>, std::greater<>> ready;
  for (std::size_t i = 0; i < n; ++i) {
    waiting[i] = after[i].size();
    if (waiting[i] == 0) ready.push(i);
  }
  std::vector<std::size_t> order;
  order.reserve(n);
  while (!ready.empty()) {
    const std::size_t i = ready.top();
    ready.pop();
    order.push_back(i);
    for (const std::size_t s : next[i]) {
      if (--waiting[s] == 0) ready.push(s);
    }
  }
  return order;
}

/// One cycle among the tasks Kahn's algorithm could not place, in the order it runs round:
/// "a -> b -> c -> a" (each after the one before it).
std::string describe_cycle(const task_dependencies& after, const std::vector<std::size_t>& placed,
                           const std::vector<std::string>& labels) {
  std::vector<char> done(after.size(), 0);
  for (const std::size_t i : placed) done[i] = 1;
  std::size_t at = 0;
  while (at < after.size() && done[at] != 0) ++at;
  // Walk predecessors that are also unplaced (every unplaced task has one) until one repeats.
  std::vector<std::size_t> seen_at(after.size(), SIZE_MAX);
  std::vector<std::size_t> walk;
  while (seen_at[at] == SIZE_MAX) {
    seen_at[at] = walk.size();
    walk.push_back(at);
    for (const std::size_t p : after[at]) {
      if (done[p] == 0) {
        at = p;
        break;
      }
    }
  }
  std::vector<std::size_t> cycle(walk.begin() + static_cast<std::ptrdiff_t>(seen_at[at]),
                                 walk.end());
  std::reverse(cycle.begin(), cycle.end());  // predecessors first
  std::rotate(cycle.begin(), std::min_element(cycle.begin(), cycle.end()), cycle.end());
  std::string out;
  for (const std::size_t i : cycle) out += name_of(labels, i) + " -> ";
  return out + name_of(labels, cycle.front());
}

}  // namespace

bool has_dependencies(std::span<const task> tasks) noexcept {
  return std::any_of(tasks.begin(), tasks.end(), [](const task& t) { return !t.after.empty(); });
}

task_dependencies dependencies_of(std::span<const task> tasks) {
  task_dependencies after(tasks.size());
  for (std::size_t i = 0; i < tasks.size(); ++i) after[i] = tasks[i].after;
  return after;
}

task_dependencies successors_of(const task_dependencies& after) {
  task_dependencies next(after.size());
  for (std::size_t i = 0; i < after.size(); ++i) {
    for (const std::size_t p : after[i]) {
      if (p < next.size()) next[p].push_back(i);
    }
  }
  return next;  // pushed in ascending i
}

task_dependencies pipeline_dependencies(const pipeline_layout& p, std::size_t items) {
  const std::size_t stages = p.stages();
  task_dependencies after(items * stages);
  for (std::size_t item = 0; item < items; ++item) {
    for (std::size_t s = 0; s < stages; ++s) {
      const std::size_t id = item * stages + s;
      auto& a = after[id];
      if (s > 0) a.push_back(id - 1);                         // the item's stage before
      if (p.serial[s] && item > 0) a.push_back(id - stages);  // the item before, here
      if (s == 0 && p.tokens > 0 && item >= p.tokens) {
        a.push_back(id - p.tokens * stages + stages - 1);  // a token back
      }
      std::sort(a.begin(), a.end());
      a.erase(std::unique(a.begin(), a.end()), a.end());
    }
  }
  return after;
}

std::optional<pipeline_layout> find_pipeline(const task_dependencies& after) {
  const std::size_t n = after.size();
  task_dependencies sorted = after;
  for (auto& a : sorted) std::sort(a.begin(), a.end());
  const auto has = [&](std::size_t task, std::size_t pred) {
    return std::binary_search(sorted[task].begin(), sorted[task].end(), pred);
  };
  for (std::size_t stages = 2; stages * 2 <= n; ++stages) {
    if (n % stages != 0) continue;
    const std::size_t items = n / stages;
    pipeline_layout p;
    for (std::size_t s = 0; s < stages; ++s) p.serial.push_back(has(stages + s, s));
    if (!p.serial.front() || !p.serial.back()) continue;
    // The first item whose first stage waits for more than the item before's: its token.
    p.tokens = items;
    for (std::size_t item = 1; item < items; ++item) {
      const auto& a = sorted[item * stages];
      const auto other =
          std::find_if(a.begin(), a.end(), [&](std::size_t q) { return q != (item - 1) * stages; });
      if (other == a.end()) continue;
      if ((*other + 1) % stages != 0 || *other / stages >= item) break;  // no token: no fit
      p.tokens = item - *other / stages;
      break;
    }
    if (pipeline_dependencies(p, items) == sorted) return p;
  }
  return std::nullopt;
}

void check_dependencies(const task_dependencies& after, const std::vector<std::string>& labels) {
  const std::size_t n = after.size();
  std::vector<std::size_t> last_named(n, SIZE_MAX);
  for (std::size_t i = 0; i < n; ++i) {
    for (const std::size_t p : after[i]) {
      if (p >= n) {
        throw std::invalid_argument("task graph: task " + name_of(labels, i) + " (" +
                                    std::to_string(i) + ") waits for task " + std::to_string(p) +
                                    ", which is not in the batch (ids 0-" +
                                    std::to_string(n == 0 ? 0 : n - 1) + ")");
      }
      if (p == i) {
        throw std::invalid_argument("task graph: a cycle: task " + name_of(labels, i) +
                                    " waits for itself");
      }
      if (last_named[p] == i) {
        throw std::invalid_argument("task graph: task " + name_of(labels, i) + " names task " +
                                    name_of(labels, p) + " twice among what it waits for");
      }
      last_named[p] = i;
    }
  }
  const auto next = successors_of(after);
  const auto order = kahn(after, next);
  if (order.size() != n) {
    throw std::invalid_argument("task graph: a cycle: " + describe_cycle(after, order, labels));
  }
}

void check_graph(std::span<const task> tasks) {
  std::vector<std::string> labels(tasks.size());
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    if (tasks[i].id != i) {
      throw std::invalid_argument("task graph: the task at position " + std::to_string(i) +
                                  " has id " + std::to_string(tasks[i].id) +
                                  " (a graph's tasks are numbered 0..N-1 in order)");
    }
    labels[i] = tasks[i].label;
  }
  check_dependencies(dependencies_of(tasks), labels);
}

std::vector<std::size_t> topological_order(const task_dependencies& after) {
  check_dependencies(after);
  return kahn(after, successors_of(after));
}

}  // namespace parlab
