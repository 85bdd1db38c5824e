// process-pool: W worker processes forked once, up front (before the parent starts any thread,
// and while it is small: a fork costs more the more memory the parent has touched). Each worker
// reads task numbers from its own socket and writes one report per task back. A worker that
// dies (a crash, abort, exit, kill -9 from outside) is seen at once as end-of-file on its report
// channel: its task is reported failed with the signal, a new worker replaces it, the other
// tasks finish, and every worker is reaped.

#include <parlab/clock.hpp>

#include "executors/child_report.hpp"
#include "executors/factories.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <system_error>

namespace parlab::detail {
namespace {

/// One worker process as the parent sees it.
struct worker_process {
  pid_t pid = -1;
  int tasks_fd = -1;    // parent -> worker: task numbers (a socket: no SIGPIPE on a dead worker)
  int reports_fd = -1;  // worker -> parent: reports
  std::size_t slot = 0;
  std::optional<std::size_t> running;  // task index in flight
  std::int64_t sent_ns = 0;
  std::string bytes;  // report bytes received so far
};

/// Kills and reaps every worker still alive when execute() leaves (normally they have already
/// exited and been reaped): no zombie, no stray process.
struct pool_reaper {
  std::vector<worker_process>& workers;
  ~pool_reaper() {
    for (auto& w : workers) {
      if (w.pid <= 0) continue;
      ::kill(w.pid, SIGKILL);
      ::close(w.tasks_fd);
      ::close(w.reports_fd);
      reap(w.pid);
    }
  }
};

bool read_exactly(int fd, void* out, std::size_t size) noexcept {
  auto* p = static_cast<char*>(out);
  while (size > 0) {
    const ssize_t n = ::read(fd, p, size);
    if (n == 0) return false;
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

[[noreturn]] void worker_loop(std::span<const task> tasks, std::size_t slot, int tasks_fd,
                              int reports_fd, event_lane* lane) noexcept {
  for (;;) {
    std::uint64_t index = 0;
    if (!read_exactly(tasks_fd, &index, sizeof index) || index >= tasks.size()) break;
    const std::string report = run_and_encode(tasks[index], slot, lane);
    if (!write_all(reports_fd, report.data(), report.size())) break;
  }
  ::_exit(0);  // end of input: the run is over (or the parent is gone)
}

class process_pool_executor final : public executor {
 public:
  [[nodiscard]] std::string_view name() const noexcept override { return "process-pool"; }

 protected:
  void execute(std::span<const task> tasks, const run_options& options,
               run_result& result) override {
    require_no_live_threads(name());
    auto& records = result.records;
    std::vector<worker_process> workers;
    workers.reserve(options.workers);
    pool_reaper reaper{workers};
    received_events received;
    if (lane(0) != nullptr) received.events.reserve(tasks.size() * 16);

    // All workers first, then the first task each: the pool exists before any task runs.
    for (std::size_t w = 0; w < std::min(options.workers, tasks.size()); ++w) {
      workers.push_back(spawn(tasks, w, workers));
    }
    std::size_t next = 0;
    std::size_t done = 0;
    auto dispatch = [&](worker_process& w) {
      if (next >= tasks.size() || w.running) return;
      const std::uint64_t index = next;
      if (::send(w.tasks_fd, &index, sizeof index, MSG_NOSIGNAL) !=
          static_cast<ssize_t>(sizeof index)) {
        return;  // the worker is gone: its report channel will say so; the task goes elsewhere
      }
      ++next;
      w.running = index;
      w.sent_ns = monotonic_ns();
    };
    for (auto& w : workers) dispatch(w);

    while (done < tasks.size()) {
      std::vector<pollfd> polled(workers.size());
      for (std::size_t k = 0; k < workers.size(); ++k)
        polled[k] = {workers[k].reports_fd, POLLIN, 0};
      if (::poll(polled.data(), polled.size(), -1) < 0) {
        if (errno == EINTR) continue;
        throw std::system_error(errno, std::generic_category(), "process-pool: poll");
      }
      for (std::size_t k = 0; k < workers.size(); ++k) {
        if (polled[k].revents == 0) continue;
        worker_process& w = workers[k];
        char buffer[16384];
        const ssize_t n = ::read(w.reports_fd, buffer, sizeof buffer);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (n > 0) {
          w.bytes.append(buffer, static_cast<std::size_t>(n));
          // One report per task; a worker has at most one task in flight.
          const std::size_t size = report_size(w.bytes);
          if (size != 0 && w.bytes.size() >= size && w.running) {
            task_record& rec = records[*w.running];
            rec.worker = w.slot;
            rec.pid = w.pid;
            if (!decode_report(std::string_view(w.bytes).substr(0, size), rec, received)) {
              rec.ok = false;
              rec.message = "process-pool: malformed report from worker " + std::to_string(w.pid);
            }
            w.bytes.erase(0, size);
            w.running.reset();
            ++done;
            dispatch(w);
          }
          continue;
        }
        // End of file: the worker died. Report its task, replace it, carry on.
        ::close(w.tasks_fd);
        ::close(w.reports_fd);
        const int status = reap(w.pid);
        const pid_t dead = w.pid;
        w.pid = -1;
        if (w.running) {
          record_death(records[*w.running], dead, w.slot, w.sent_ns, status,
                       "worker process " + std::to_string(dead), received);
          ++done;
        }
        if (done < tasks.size()) {
          workers[k] = spawn(tasks, w.slot, workers);
          dispatch(workers[k]);
        }
      }
    }
    // Closing a worker's task channel is its signal to exit; then reap each one.
    for (auto& w : workers) {
      if (w.pid <= 0) continue;
      ::close(w.tasks_fd);
      ::close(w.reports_fd);
      reap(w.pid);
      w.pid = -1;
    }
    store_received(received, [this](std::size_t w) { return lane(w); });
  }

 private:
  /// Forks worker `slot`. Throws std::system_error if the kernel refuses.
  worker_process spawn(std::span<const task> tasks, std::size_t slot,
                       const std::vector<worker_process>& others) {
    int task_channel[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, task_channel) != 0) {
      throw std::system_error(errno, std::generic_category(), "process-pool: socketpair");
    }
    int report_channel[2];
    if (::pipe2(report_channel, O_CLOEXEC) != 0) {
      const int err = errno;
      ::close(task_channel[0]);
      ::close(task_channel[1]);
      throw std::system_error(err, std::generic_category(), "process-pool: pipe");
    }
    const pid_t pid = ::fork();
    if (pid < 0) {
      const int err = errno;
      for (int fd : {task_channel[0], task_channel[1], report_channel[0], report_channel[1]}) {
        ::close(fd);
      }
      throw std::system_error(err, std::generic_category(), "process-pool: fork");
    }
    if (pid == 0) {
      // The other workers' channels came along with the fork; holding them would keep those
      // workers from ever seeing end-of-input, so close them.
      for (const auto& o : others) {
        if (o.pid <= 0) continue;
        ::close(o.tasks_fd);
        ::close(o.reports_fd);
      }
      ::close(task_channel[0]);
      ::close(report_channel[0]);
      worker_loop(tasks, slot, task_channel[1], report_channel[1], lane(slot));
    }
    ::close(task_channel[1]);
    ::close(report_channel[1]);
    worker_process w;
    w.pid = pid;
    w.tasks_fd = task_channel[0];
    w.reports_fd = report_channel[0];
    w.slot = slot;
    return w;
  }
};

}  // namespace

std::unique_ptr<executor> make_process_pool() { return std::make_unique<process_pool_executor>(); }

}  // namespace parlab::detail
