#include "executors/child_report.hpp"

#include <parlab/clock.hpp>

#include "executors/edge_data.hpp"
#include "executors/run_task.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <span>
#include <stdexcept>
#include <type_traits>

namespace parlab::detail {
namespace {

/// The fixed part of a report; then message_length bytes of message, then event_count events
/// (plain bytes: parent and child are the same binary), then output_length bytes of output.
struct wire_record {
  std::int64_t pid;
  std::int64_t tid;
  std::int64_t start_ns;
  std::int64_t end_ns;
  std::int64_t cpu_ns;
  std::uint64_t result;
  std::uint64_t events_dropped;
  std::int64_t rss_bytes;  // the child's memory after its task (smaps_rollup), or -1 unread
  std::int64_t pss_bytes;
  std::int64_t uss_bytes;
  std::uint32_t ok;
  std::uint32_t message_length;
  std::uint32_t event_count;
  std::uint32_t failure;        // failure_kind
  std::uint64_t output_length;  // a graph's data the task hands its successors, after the events
};
static_assert(std::is_trivially_copyable_v<event>);
static_assert(std::is_trivially_copyable_v<wire_record>);

constexpr std::size_t kMaxMessage = 4096;

}  // namespace

std::string run_and_encode(const task& t, std::size_t slot, event_lane* lane, bool read_memory,
                           edge_data* edges) noexcept {
  no_hooks hooks;
  task_record record;
  // Only this task's events go back: a pool worker's lane copy keeps its earlier tasks' ones.
  const std::size_t first = lane != nullptr ? lane->events().size() : 0;
  const std::uint64_t dropped_before = lane != nullptr ? lane->dropped() : 0;
  if (edges != nullptr) edges->enter_child();  // the parent keeps the readers' count
  run_task(t, slot, hooks, record, lane, edges);
  // The output itself goes after the report, written by the caller from where it lies (a
  // second megabyte-sized string would cost the child its page faults again).
  const std::string_view output = edges != nullptr ? edges->own_output(t) : std::string_view();
  // Only when this task is the worker's whole batch (a process per task): the kernel walks every
  // mapping to answer, and a pool worker reads it once, when its batch ends (encode_memory).
  const process_memory memory = read_memory ? own_memory() : process_memory{};
  const std::span<const event> events =
      lane != nullptr ? lane->events().subspan(first) : std::span<const event>{};
  std::string out(sizeof(wire_record), '\0');
  const wire_record w{record.pid,
                      record.tid,
                      record.start_ns,
                      record.end_ns,
                      record.cpu_ns,
                      record.result,
                      lane != nullptr ? lane->dropped() - dropped_before : 0,
                      memory.rss_bytes,
                      memory.pss_bytes,
                      memory.uss_bytes,
                      record.ok ? 1U : 0U,
                      static_cast<std::uint32_t>(std::min(record.message.size(), kMaxMessage)),
                      static_cast<std::uint32_t>(events.size()),
                      static_cast<std::uint32_t>(record.failure),
                      output.size()};
  std::memcpy(out.data(), &w, sizeof w);
  out.append(record.message, 0, w.message_length);
  out.append(reinterpret_cast<const char*>(events.data()), events.size_bytes());
  return out;
}

std::size_t report_size(std::string_view bytes) noexcept {
  if (bytes.size() < sizeof(wire_record)) return 0;
  wire_record w{};
  std::memcpy(&w, bytes.data(), sizeof w);
  return sizeof w + w.message_length + std::size_t{w.event_count} * sizeof(event) + w.output_length;
}

bool decode_report(std::string_view bytes, task_record& record, received_events& received,
                   process_memory& memory) {
  if (bytes.size() < sizeof(wire_record) || bytes.size() != report_size(bytes)) return false;
  wire_record w{};
  std::memcpy(&w, bytes.data(), sizeof w);
  record.tid = w.tid;
  record.start_ns = w.start_ns;
  record.end_ns = w.end_ns;
  record.cpu_ns = w.cpu_ns;
  record.result = w.result;
  memory = {w.rss_bytes, w.pss_bytes, w.uss_bytes};
  record.ok = w.ok != 0;
  record.failure = record.ok ? failure_kind::none
                   : w.failure <= static_cast<std::uint32_t>(failure_kind::never_ran)
                       ? static_cast<failure_kind>(w.failure)
                       : failure_kind::threw;
  record.message = std::string(bytes.substr(sizeof w, w.message_length));
  const std::size_t events_at = sizeof w + w.message_length;
  for (std::uint32_t k = 0; k < w.event_count; ++k) {
    event e;
    std::memcpy(&e, bytes.data() + events_at + k * sizeof(event), sizeof e);
    received.events.push_back(e);
  }
  received.dropped += w.events_dropped;
  return true;
}

bool send_report(int fd, std::string_view report, std::string_view output) noexcept {
  return write_all(fd, report.data(), report.size()) &&
         (output.empty() || write_all(fd, output.data(), output.size()));
}

std::string take_output(std::string& bytes, std::size_t size) {
  wire_record w{};
  std::memcpy(&w, bytes.data(), sizeof w);
  const std::size_t at = size - w.output_length;
  if (bytes.size() == size) {  // the only report: its buffer becomes the output, no new pages
    std::string out = std::move(bytes);
    bytes.clear();
    out.erase(0, at);
    return out;
  }
  std::string out = bytes.substr(at, w.output_length);
  bytes.erase(0, size);
  return out;
}

memory_report encode_memory() noexcept {
  const process_memory m = own_memory();
  return {m.rss_bytes, m.pss_bytes, m.uss_bytes};
}

process_memory decode_memory(const memory_report& r) noexcept {
  return {r.rss_bytes, r.pss_bytes, r.uss_bytes};
}

void set_death_failure(task_record& record, const child_exit& how) noexcept {
  record.failure = !how.known       ? failure_kind::vanished
                   : how.signaled() ? failure_kind::killed_by_signal
                                    : failure_kind::exited;
  record.failure_code = how.signaled() ? how.signal() : how.exited() ? how.exit_status() : 0;
}

void record_death(task_record& record, pid_t pid, std::size_t slot, std::int64_t started,
                  const child_exit& how, std::string_view who, received_events& received) {
  record.worker = slot;
  record.pid = pid;
  record.tid = pid;
  record.start_ns = started;
  record.end_ns = monotonic_ns();
  record.ok = false;
  set_death_failure(record, how);
  record.message = describe_exit(how, who);
  received.events.push_back({record.start_ns, record.end_ns,
                             static_cast<std::uint32_t>(record.task_id),
                             static_cast<std::uint32_t>(slot), -1, event_kind::task});
}

}  // namespace parlab::detail
