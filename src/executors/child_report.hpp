#pragma once
// Internal: how a forked child reports a task to its parent (processes, process-pool): one
// self-delimiting message per task - a fixed header, the failure message, the task's new
// timeline events. The child processes themselves are core/child_process.hpp's.

#include <parlab/executor.hpp>

#include "core/child_process.hpp"

#include <sys/types.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace parlab::detail {

/// Events the children sent back. Kept apart from the lanes until the run ends: the lanes' pages
/// are shared copy-on-write with the children alive, and each child records into its own copy of
/// its slot's lane, so writing them meanwhile would copy pages in both processes.
struct received_events {
  std::vector<event> events;
  std::uint64_t dropped = 0;
};

/// Hands what the children recorded to the lanes (after the last child is gone); `lane_of(w)`
/// is the executor's lane for worker w, or nullptr when the run does not record.
template <class LaneOf>
void store_received(const received_events& received, LaneOf&& lane_of) {
  for (const auto& e : received.events) {
    if (event_lane* l = lane_of(std::size_t{e.worker})) l->add(e);
  }
  if (event_lane* l = lane_of(std::size_t{0})) l->count_dropped(received.dropped);
}

class edge_data;

/// In a child: runs `t` as worker `slot`, recording into `lane` (the child's copy of its slot's
/// lane, or nullptr), and returns the report message; `read_memory`: the task is the child's
/// whole batch (a process per task), so its memory after the task is the worker's one reading;
/// `edges` (the child's copy of a graph's data): the task reads its inputs there, and the
/// output it makes (edges->own_output) must follow the message (send_report). Never throws.
[[nodiscard]] std::string run_and_encode(const task& t, std::size_t slot, event_lane* lane,
                                         bool read_memory, edge_data* edges = nullptr) noexcept;

/// What a pool worker sends when its batch ends: its memory, read once (smaps_rollup).
struct memory_report {
  std::int64_t rss_bytes = -1;
  std::int64_t pss_bytes = -1;
  std::int64_t uss_bytes = -1;
};

/// In a worker whose batch ended: reads its memory. Never throws.
[[nodiscard]] memory_report encode_memory() noexcept;

/// The memory a memory_report carries.
[[nodiscard]] process_memory decode_memory(const memory_report& r) noexcept;

/// Bytes the report starting at `bytes` needs in all; 0 while its header is incomplete.
[[nodiscard]] std::size_t report_size(std::string_view bytes) noexcept;

/// Decodes one complete report into `record` (tid, times, CPU, result, ok, message; the caller
/// sets worker and pid), appends its events to `received` and sets `memory` (unknown unless the
/// child read it: run_and_encode's read_memory); a graph's output that follows is take_output's.
/// False if it is malformed.
bool decode_report(std::string_view bytes, task_record& record, received_events& received,
                   process_memory& memory);

/// Writes a report and then the task's output (empty when it hands none) to `fd`; false when
/// the parent is gone.
[[nodiscard]] bool send_report(int fd, std::string_view report, std::string_view output) noexcept;

/// The output at the end of the complete report of `size` bytes that starts `bytes`, and that
/// report removed from `bytes` (when it is all of `bytes`, its buffer is reused).
[[nodiscard]] std::string take_output(std::string& bytes, std::size_t size);

/// Sets record.failure and record.failure_code from how its process ended: killed by a signal
/// (the signal), exited (the status) or vanished (reaped elsewhere: how is unknown).
void set_death_failure(task_record& record, const child_exit& how) noexcept;

/// A child that ended without a complete report: marks `record` failed with the cause (`who`
/// and how it ended), ran by `pid` on `slot` from `started` until now, and records that
/// lifetime as a task event (its own events died with it).
void record_death(task_record& record, pid_t pid, std::size_t slot, std::int64_t started,
                  const child_exit& how, std::string_view who, received_events& received);

}  // namespace parlab::detail
