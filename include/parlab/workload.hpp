#pragma once
/// @file Workloads: named, seeded generators of tasks with a size parameter.

#include <parlab/http.hpp>
#include <parlab/task.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace parlab {

/// A fault injected into one task, to show what each model does when a task fails.
enum class fault_mode {
  none,
  throw_exception,  ///< the task throws std::runtime_error: only that task fails, in every model
  abort_process,    ///< the task calls std::abort(): SIGABRT kills the process running it
  segfault,         ///< the task writes to a page it may not touch: SIGSEGV kills its process
  exit_process,     ///< the task calls _exit(3): its process ends at once
};

/// "none", "throw", "abort", "segv", "exit".
[[nodiscard]] std::string_view to_string(fault_mode mode) noexcept;
/// The fault mode spelled `name`; throws std::invalid_argument naming it and the allowed ones.
[[nodiscard]] fault_mode fault_mode_from_string(std::string_view name);
/// True for the faults that end the process running the task (abort, segv, exit): a model whose
/// tasks share one process loses the whole run; a process model loses one task.
[[nodiscard]] bool kills_process(fault_mode mode) noexcept;

/// What to generate.
struct workload_spec {
  std::string name = "cpu";
  std::size_t tasks = 8;
  /// Meaning depends on the workload (see workload_info::size_meaning); nullopt = its default.
  std::optional<std::uint64_t> size;
  std::uint64_t seed = 42;
  fault_mode fault = fault_mode::none;
  std::size_t fault_task = 0;  ///< which task gets the fault
  /// http only: how the loopback server the workload starts answers (latency, bandwidth).
  http_server_options http;
  /// mixed only: the share of each task's time spent computing, in [0, 1].
  double cpu_fraction = 0.5;
  /// amdahl only: the share of each task's compute that runs alone (serial), in [0, 1].
  double serial_fraction = 0.3;
  /// locks only: the share of each task's compute inside critical sections, in [0, 1].
  double critical_fraction = 0.5;
  /// locks only: how many shared locks the critical sections spread over, in [1, max_locks].
  std::size_t locks = 1;
  /// pipeline only: the stages each item goes through (the first and the last serial, in item
  /// order; the ones between parallel); `tasks` must be a multiple of it. In [1, 64].
  std::size_t stages = 3;
  /// pipeline only: how many items may be in the pipeline at once (a bounded queue: an item
  /// enters only when the one `tokens` before it has left). In [1, tasks].
  std::size_t tokens = 2;
  /// layered only: tasks per layer, in [1, tasks].
  std::size_t width = 4;
  /// layered only: the chance that a task waits for each task of the layer before (each waits
  /// for at least one), in [0, 1].
  double edge_probability = 0.5;
  /// graph workloads only (a shape or a file): bytes each task hands each of its successors
  /// (task::output_bytes; a file's own `bytes` win), in [0, limits::max_edge_bytes]. 0: none.
  std::uint64_t edge_bytes = 0;
  /// graph only: the text of a graph file (parse_graph_file) and where it came from (for
  /// messages); `tasks` must be its task count.
  std::string graph_text;
  std::string graph_source;
};

/// One task of a graph file, as written.
struct graph_file_task {
  std::string id;
  std::vector<std::string> after;     ///< the ids it waits for
  std::uint64_t compute = 0;          ///< compute units
  double wait_ms = 0.0;               ///< then a wait of this many milliseconds
  std::optional<double> duration_ms;  ///< a measured time instead (a build's), for predictions
  std::uint64_t bytes = 0;            ///< what it hands each successor (task::output_bytes)
};

/// Reads a task graph: JSON when the text starts with '{' ({"tasks": [{"id": "a", "after": [],
/// "compute": 2000, "wait_ms": 0}, ...]}), else Graphviz DOT (digraph { a -> b; a
/// [compute=2000, wait_ms=5]; }). Checks it whole: unique ids, every predecessor defined, no
/// cycle. Throws std::invalid_argument "SOURCE: line N: ..." or "SOURCE: task K ('id'): ..."
/// naming what is at fault, or "SOURCE: task graph: a cycle: 'a' -> 'b' -> 'a'".
[[nodiscard]] std::vector<graph_file_task> parse_graph_file(std::string_view text,
                                                            std::string_view source);

/// The tasks of a parsed graph, in the file's order (ids become labels, predecessors task::after):
/// a compute step of `compute` units, then a wait of `wait_ms`. Throws std::invalid_argument for
/// a task that has only duration_ms (predictions read it; nothing says how to run it).
[[nodiscard]] std::vector<task> tasks_of_graph(const std::vector<graph_file_task>& graph,
                                               std::uint64_t seed, std::string_view source);

/// A registry entry: what `parlab list` prints and how to generate the tasks.
struct workload_info {
  std::string name;
  std::string description;
  std::string size_meaning;
  std::uint64_t default_size = 0;
  std::size_t default_tasks = 0;
  std::uint64_t max_size = 0;  ///< the largest size accepted (a task of about an hour, or 1 GiB)
  /// Makes spec.tasks tasks of `size` (the spec's or the default) from spec.seed; fault
  /// injection is applied afterwards by make_workload.
  std::function<std::vector<task>(const workload_spec& spec, std::uint64_t size)> generate;
  /// Its tasks form a graph (they wait for one another): chain, fork-join, map-reduce,
  /// wavefront, pipeline, layered. `parlab list` shows them apart.
  bool graph = false;
};

/// Every workload: the built-in ones, then the ones registered with register_workload.
/// Thread-safe (a snapshot).
[[nodiscard]] std::vector<workload_info> workloads();

/// Looks a workload up; throws std::invalid_argument naming the bad value and the allowed ones.
[[nodiscard]] workload_info find_workload(std::string_view name);

/// Adds a workload of your own: make_workload, run_experiment and `parlab list` then know it by
/// its name. Throws std::invalid_argument for an empty or taken name, a missing generator or
/// max_size < default_size. Thread-safe.
void register_workload(workload_info info);

/// Generates the tasks (same spec, same tasks); throws std::invalid_argument for unknown names.
[[nodiscard]] std::vector<task> make_workload(const workload_spec& spec);

/// The workload's own settings in `spec`, by name, for reports (empty for cpu and io).
[[nodiscard]] std::vector<std::pair<std::string, double>> workload_parameters(
    const workload_spec& spec);

/// The size actually used for `spec` (its own or the workload's default).
[[nodiscard]] std::uint64_t effective_size(const workload_spec& spec);

}  // namespace parlab
