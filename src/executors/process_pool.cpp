// process-pool: W worker processes forked once, up front (before the parent starts any thread,
// and while it is small: a fork costs more the more memory the parent has touched). Each worker
// reads task numbers from its own socket and writes one report per task back. A worker that
// dies (a crash, abort, exit, kill -9 from outside) is seen at once as end-of-file on its report
// channel: its task is reported failed with the signal, a new worker replaces it, the other
// tasks finish, and every worker is reaped.

#include <parlab/clock.hpp>

#include "executors/child_report.hpp"
#include "executors/dependencies.hpp"
#include "executors/edge_data.hpp"
#include "executors/factories.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <span>
#include <string>

namespace parlab::detail {
namespace {

/// One worker process as the parent sees it (killed and reaped if the run leaves early).
struct worker_process {
  child_process process;  // commands: task numbers (a socket: no SIGPIPE); reports: reports
  std::size_t slot = 0;
  std::optional<std::size_t> running;  // task index in flight
  std::int64_t sent_ns = 0;
  std::string bytes;  // report bytes received so far
};

/// A graph's data for task `index`: each predecessor's output, in `after`'s order, as the parent
/// sent it (a length, then the bytes) into this worker's copy of the run's data. False when the
/// channel ended or the memory ran out.
bool receive_inputs(int tasks_fd, const task& t, edge_data& edges) noexcept {
  try {
    for (std::size_t p : t.after) {
      std::uint64_t length = 0;
      if (!read_exactly(tasks_fd, &length, sizeof length)) return false;
      std::string bytes(length, '\0');
      if (length != 0 && !read_exactly(tasks_fd, bytes.data(), length)) return false;
      edges.put(p, std::move(bytes));
    }
    return true;
  } catch (const std::bad_alloc&) {
    return false;
  }
}

[[noreturn]] void worker_loop(std::span<const task> tasks, std::size_t slot, int tasks_fd,
                              int reports_fd, event_lane* lane, edge_data* edges) noexcept {
  for (;;) {
    std::uint64_t index = 0;
    if (!read_exactly(tasks_fd, &index, sizeof index) || index >= tasks.size()) break;
    if (edges != nullptr && !receive_inputs(tasks_fd, tasks[index], *edges)) break;
    const std::string report = run_and_encode(tasks[index], slot, lane, false, edges);
    const bool sent =
        send_report(reports_fd, report,
                    edges != nullptr ? edges->own_output(tasks[index]) : std::string_view());
    if (edges != nullptr) edges->forget(tasks[index]);  // the worker keeps nothing between tasks
    if (!sent) ::_exit(0);                              // the parent is gone
  }
  // End of input: the batch is over. The worker's memory, read once, is its last message.
  const memory_report memory = encode_memory();
  (void)write_all(reports_fd, reinterpret_cast<const char*>(&memory), sizeof memory);
  ::_exit(0);
}

class process_pool_executor final : public executor {
 public:
  [[nodiscard]] std::string_view name() const noexcept override { return "process-pool"; }

 protected:
  void execute(std::span<const task> tasks, const run_options& options,
               run_result& result) override {
    auto& records = result.records;
    const std::size_t count = std::min(options.workers, tasks.size());
    std::vector<worker_process> workers;  // destroyed on the way out: every worker reaped
    workers.reserve(count);
    received_events received;
    if (lane(0) != nullptr) received.events.reserve(tasks.size() * 16);

    // All workers first, then the first task each: the pool exists before any task runs.
    for (std::size_t w = 0; w < count; ++w) workers.push_back(spawn(tasks, w));
    // A graph's tasks go out as they become ready; one a worker could not take waits for the
    // next free worker (a held task: the worker was gone, its channel will say so).
    dispatch_order order(tasks, !result.after.empty());
    std::optional<std::size_t> held;
    auto all_done = [&] {
      return order.exhausted() && !held &&
             std::none_of(workers.begin(), workers.end(),
                          [](const worker_process& w) { return w.running.has_value(); });
    };
    auto dispatch = [&](worker_process& w) {
      if (w.running) return;
      if (!held) held = order.next(records);
      if (!held) return;
      const std::uint64_t index = *held;
      if (!send_all(w.process.commands_fd(), as_bytes(index)) || !send_inputs(w, tasks[index])) {
        return;  // the worker is gone: its report channel will say so; the task goes elsewhere
      }
      held.reset();
      w.running = index;
      w.sent_ns = monotonic_ns();
    };
    // The worker that ran it takes the next task; in a graph, the tasks a finished one released
    // go to every idle worker too (in a bag no other worker is idle while tasks remain).
    const bool graph = !result.after.empty();
    auto finished = [&](std::size_t i, worker_process& ran) {
      order.finished(i, records[i].ok);
      dispatch(ran);
      if (graph) {
        for (auto& w : workers) dispatch(w);
      }
    };
    for (auto& w : workers) dispatch(w);

    std::vector<pollfd> polled(workers.size());
    while (!all_done()) {
      for (std::size_t k = 0; k < workers.size(); ++k)
        polled[k] = {workers[k].process.reports_fd(), POLLIN, 0};
      if (poll_or_interrupt(polled, -1) <= 0) continue;
      for (std::size_t k = 0; k < workers.size(); ++k) {
        if (polled[k].revents == 0) continue;
        worker_process& w = workers[k];
        char buffer[16384];
        const ssize_t n = ::read(w.process.reports_fd(), buffer, sizeof buffer);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (n > 0) {
          w.bytes.append(buffer, static_cast<std::size_t>(n));
          // One report per task; a worker has at most one task in flight. One carrying a
          // graph's data gets its whole size at once (doubling would touch twice the pages).
          const std::size_t size = report_size(w.bytes);
          if (size > w.bytes.capacity()) w.bytes.reserve(size);
          if (size != 0 && w.bytes.size() >= size && w.running) {
            task_record& rec = records[*w.running];
            rec.worker = w.slot;
            rec.pid = w.process.pid();
            process_memory unread;  // a pool worker reads its memory once, at the end
            if (!decode_report(std::string_view(w.bytes).substr(0, size), rec, received, unread)) {
              rec.ok = false;
              rec.failure = failure_kind::threw;
              rec.message =
                  "process-pool: malformed report from worker " + std::to_string(w.process.pid());
            }
            if (edge_data* data = edges(); data != nullptr) {
              std::string output = take_output(w.bytes, size);  // the report leaves w.bytes
              data->child_finished(tasks[*w.running], rec.ok ? std::move(output) : std::string());
            } else {
              w.bytes.erase(0, size);
            }
            const std::size_t ended = *w.running;
            w.running.reset();
            finished(ended, w);
          }
          continue;
        }
        // End of file: the worker died. Report its task, replace it, carry on.
        w.process.close_commands();
        w.process.close_reports();
        const child_exit how = w.process.wait();
        const pid_t dead = w.process.pid();
        const std::optional<std::size_t> lost = w.running;
        w.running.reset();
        if (lost) {
          record_death(records[*lost], dead, w.slot, w.sent_ns, how,
                       "worker process " + std::to_string(dead), received);
          if (edge_data* data = edges(); data != nullptr) data->child_finished(tasks[*lost], {});
        }
        if (!all_done()) w = spawn(tasks, w.slot);
        if (lost) {
          finished(*lost, w);
        } else {
          dispatch(w);
        }
      }
    }
    // Closing a worker's task channel is its signal to exit: it sends its memory, read once
    // for its whole batch, and ends; then reap each one.
    for (auto& w : workers) w.process.close_commands();
    children_memory memory;
    for (auto& w : workers) {
      memory_report m;
      if (w.bytes.empty() && read_exactly(w.process.reports_fd(), &m, sizeof m)) {
        memory.add(decode_memory(m));
      }
    }
    for (auto& w : workers) (void)w.process.wait();
    if (memory.processes != 0) result.children = memory;
    store_received(received, [this](std::size_t w) { return lane(w); });
  }

 private:
  static std::string_view as_bytes(const std::uint64_t& n) noexcept {
    return {reinterpret_cast<const char*>(&n), sizeof n};
  }

  /// A graph handing data along its edges: each predecessor's output (its length, then its
  /// bytes, sent from where the parent keeps it) follows the task's number. The worker is a
  /// process of its own: the bytes are copied to it. False when the worker is gone.
  bool send_inputs(worker_process& w, const task& t) noexcept {
    edge_data* data = edges();
    if (data == nullptr) return true;
    for (std::size_t p : t.after) {
      const std::string_view bytes = data->output(p);
      const std::uint64_t length = bytes.size();
      if (!send_all(w.process.commands_fd(), as_bytes(length)) ||
          !send_all(w.process.commands_fd(), bytes)) {
        return false;
      }
      data->count_copied(length);
    }
    return true;
  }

  /// Forks worker `slot`. Throws std::system_error if the kernel refuses. The other workers'
  /// channels do not come along (child_process closes inherited descriptors): a worker holding
  /// them would keep the others from ever seeing end of input.
  worker_process spawn(std::span<const task> tasks, std::size_t slot) {
    event_lane* slot_lane = lane(slot);
    worker_process w;
    w.process = child_process(
        name(), {.reports = true, .commands = true}, [&](const child_process::ends& ends) -> int {
          worker_loop(tasks, slot, ends.commands, ends.reports, slot_lane, edges());
        });
    w.slot = slot;
    return w;
  }
};

}  // namespace

std::unique_ptr<executor> make_process_pool() { return std::make_unique<process_pool_executor>(); }

}  // namespace parlab::detail
