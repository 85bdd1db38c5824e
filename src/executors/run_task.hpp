#pragma once
// Internal: what every executor does to run one task on the calling thread.

#include <parlab/executor.hpp>

#include <cstddef>

namespace parlab::detail {

class edge_data;

/// Runs `t` on the calling thread as worker `worker`, filling `record` (times, ids, CPU time,
/// result or the exception's message) and, when `lane` is given, recording its task, slice,
/// gap and wait events there; with `edges` (a graph handing data along its edges: the
/// executor's edges()), `t` reads its inputs first and makes its output last. Never lets the
/// task's exception escape.
void run_task(const task& t, std::size_t worker, execution_hooks& hooks, task_record& record,
              event_lane* lane, edge_data* edges = nullptr) noexcept;

/// Whether the run in progress reads each task's CPU clock (run_options::task_probes); set by
/// executor::run for its duration, inherited by the children a model forks.
[[nodiscard]] bool task_probes() noexcept;
void set_task_probes(bool on) noexcept;

/// Hooks that do nothing: plain threads and processes need none.
class no_hooks final : public execution_hooks {};

}  // namespace parlab::detail
