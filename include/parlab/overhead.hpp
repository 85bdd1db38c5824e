#pragma once
/// @file What an execution model costs on this machine, measured with empty tasks: how long
/// until the first task starts (creating workers), what each further task adds (dispatching it
/// and passing its result back), and how long after the last task the run ends (joining or
/// reaping the workers).

#include <parlab/machine.hpp>
#include <parlab/mpi.hpp>

#include <parlab/task.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace parlab {

/// One model's costs, medians over the repeats, in nanoseconds.
struct overhead_figures {
  std::string executor;
  std::size_t workers = 0;        ///< W used (1: every task is a full round trip)
  std::size_t tasks = 0;          ///< empty tasks per batch run
  std::size_t repeat = 0;         ///< runs per figure
  double start_ns = 0;            ///< run start -> first task starts (create a worker, dispatch)
  double per_task_ns = 0;         ///< each further empty task: dispatch + result back (+ create
                                  ///< and join, for a thread or process per task)
  double finish_ns = 0;           ///< last task ends -> run returns (join, reap, collect)
  double single_task_run_ns = 0;  ///< a whole run of one empty task
};

/// The empty tasks measure_overhead runs.
enum class probe_shape : std::uint8_t {
  /// Independent tasks: a model may hand the next one out before the last one's result is back
  /// (what `parlab overhead` measures).
  bag,
  /// Each task after the one before: every hand-over is a full round trip (a result back, then
  /// the next task out), as along a graph's edges; per_task_ns is then the gap between one
  /// task's end and the next one's start, beside the tasks' own time.
  chain,
};

/// Measures `executor` (W = 1) on runs of 1 and of `tasks` empty tasks, `repeat` times each,
/// alternating; recording is off. With `edge_bytes` (a chain), each task hands that many bytes
/// to the next (task::output_bytes; as few as 2 tasks, so that at most 64 MiB are made in all):
/// reading and making them is the tasks' own time, copying them between processes is in the
/// gaps. Throws std::invalid_argument for an unknown or unbuilt model, tasks < 2, repeat < 1 or
/// bytes along a bag. Blocks.
[[nodiscard]] overhead_figures measure_overhead(const std::string& executor,
                                                std::size_t tasks = 200, std::size_t repeat = 7,
                                                probe_shape shape = probe_shape::bag,
                                                std::size_t edge_bytes = 0);

/// The bytes each task of a chain would hand the next to move as much data per task, in and
/// out, as a graph's tasks do along its edges: (made + read) / (2 n), made by tasks with
/// successors, read once per edge; 0 without data. What a graph's burdened figures probe with.
[[nodiscard]] std::size_t data_per_task(std::span<const task> tasks);

/// The table: one row per model, figures in microseconds.
[[nodiscard]] std::string format_overhead_table(const std::vector<overhead_figures>& rows);

/// The document {"schema": "parlab.overhead/1", "machine": ..., "interrupted": false,
/// "models": [...]} (see docs/json-schema.md); `interrupted`: only the rows finished before a
/// signal stopped the command.
/// `messages` (the mpi model's ping-pong, measure_mpi_messages) go under "mpi_messages" when
/// measured, `between` (measure_mpi_messages_between) under "mpi_messages_between_hosts".
[[nodiscard]] std::string overhead_to_json(const machine_info& machine,
                                           const std::vector<overhead_figures>& rows,
                                           int indent = 2, bool interrupted = false,
                                           const std::vector<message_cost>& messages = {},
                                           const message_route* between = nullptr);

/// The ping-pong table: size, round trip, one way, bandwidth; `between`: the two hosts' names
/// in its title (else "on this host").
[[nodiscard]] std::string format_message_costs(const std::vector<message_cost>& messages,
                                               const message_route* between = nullptr);

}  // namespace parlab
