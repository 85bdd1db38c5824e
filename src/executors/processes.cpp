// processes: fork() one child process per task, at most W alive at once. Each child has its own
// copy of the parent's memory (copy-on-write), runs one task, sends its record back through a
// pipe and exits. A crash in a task kills only its child; the parent reports it and carries on.

#include <parlab/clock.hpp>

#include "executors/child_report.hpp"
#include "executors/dependencies.hpp"
#include "executors/edge_data.hpp"
#include "executors/factories.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <numeric>
#include <span>
#include <stdexcept>
#include <string>

namespace parlab::detail {
namespace {

/// A child in flight: the process (killed and reaped if the run leaves early) and what it has
/// sent so far.
struct child {
  child_process process;
  std::size_t index = 0;  // task index in the batch
  std::size_t slot = 0;   // worker slot
  std::int64_t spawned_ns = 0;
  std::string bytes;
};

class processes_executor final : public executor {
 public:
  [[nodiscard]] std::string_view name() const noexcept override { return "processes"; }

 protected:
  void execute(std::span<const task> tasks, const run_options& options,
               run_result& result) override {
    auto& records = result.records;
    const std::size_t workers = std::min(options.workers, tasks.size());
    std::vector<std::size_t> free_slots(workers);
    std::iota(free_slots.rbegin(), free_slots.rend(), std::size_t{0});
    std::vector<child> alive;  // destroyed on the way out: every child killed and reaped
    alive.reserve(workers);
    received_events received;
    if (lane(0) != nullptr) received.events.reserve(tasks.size() * 16);
    children_memory memory;

    dispatch_order order(tasks, !result.after.empty());
    std::vector<pollfd> polled;
    while (!order.exhausted() || !alive.empty()) {
      while (alive.size() < workers) {
        const auto next = order.next(records);
        if (!next) break;
        const std::size_t i = *next;
        const std::size_t slot = free_slots.back();
        const std::int64_t spawned = monotonic_ns();
        // A refused fork (EAGAIN: too many processes) ends the run with an error; the children
        // already running are killed and reaped as `alive` goes.
        event_lane* slot_lane = lane(slot);
        child_process process(name(), {}, [&](const child_process::ends& ends) {
          // The child records into its copy-on-write copy of the parent's lane for its slot (its
          // storage is already reserved: no allocation in the child); the copy dies with it.
          // A graph's data: its predecessors' outputs are already here (the parent kept them
          // and the child is its copy); its own goes back at the end of its report.
          const std::string report = run_and_encode(tasks[i], slot, slot_lane, true, edges());
          const std::string_view output =
              edges() != nullptr ? edges()->own_output(tasks[i]) : std::string_view();
          (void)send_report(ends.reports, report, output);  // false: the parent is gone
          return 0;
        });
        free_slots.pop_back();
        alive.push_back({std::move(process), i, slot, spawned, {}});
      }
      if (alive.empty()) continue;

      polled.resize(alive.size());
      for (std::size_t k = 0; k < alive.size(); ++k) {
        polled[k] = {alive[k].process.reports_fd(), POLLIN, 0};
      }
      if (poll_or_interrupt(polled, -1) <= 0) continue;
      for (std::size_t k = alive.size(); k-- > 0;) {
        if (polled[k].revents == 0) continue;
        child& c = alive[k];
        char buffer[16384];
        const ssize_t n = ::read(c.process.reports_fd(), buffer, sizeof buffer);
        if (n > 0) {
          c.bytes.append(buffer, static_cast<std::size_t>(n));
          // A report carrying a graph's data: its whole size is known from its header, and one
          // allocation takes it (growing by doubling would touch twice the pages).
          if (const std::size_t size = report_size(c.bytes); size > c.bytes.capacity()) {
            c.bytes.reserve(size);
          }
          continue;
        }
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        // End of file: the child closed its pipe by exiting (normally or not).
        c.process.close_reports();
        const child_exit how = c.process.wait();
        std::string output = finish(c, how, records[c.index], received, memory, edges() != nullptr);
        if (edges() != nullptr) edges()->child_finished(tasks[c.index], std::move(output));
        order.finished(c.index, records[c.index].ok);
        free_slots.push_back(c.slot);
        alive.erase(alive.begin() + static_cast<std::ptrdiff_t>(k));
      }
    }
    store_received(received, [this](std::size_t w) { return lane(w); });
    if (memory.processes != 0) result.children = memory;
  }

 private:
  /// Fills the child's task record from its report (or from how it died); returns the output
  /// it handed its successors when `with_output` (empty when it failed or died).
  static std::string finish(child& c, const child_exit& how, task_record& record,
                            received_events& received, children_memory& memory, bool with_output) {
    record.worker = c.slot;
    record.pid = c.process.pid();
    process_memory own;
    if (decode_report(c.bytes, record, received, own)) {
      memory.add(own);  // each child's one reading: its batch was this task
      return with_output && record.ok ? take_output(c.bytes, c.bytes.size()) : std::string();
    }
    record_death(record, c.process.pid(), c.slot, c.spawned_ns, how, "child process", received);
    return {};
  }
};

}  // namespace

std::unique_ptr<executor> make_processes() { return std::make_unique<processes_executor>(); }

}  // namespace parlab::detail
