// processes: fork() one child process per task, at most W alive at once. Each child has its own
// copy of the parent's memory (copy-on-write), runs one task, sends its record back through a
// pipe and exits. A crash in a task kills only its child; the parent reports it and carries on.

#include <parlab/clock.hpp>

#include "executors/child_report.hpp"
#include "executors/factories.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <numeric>
#include <span>
#include <stdexcept>
#include <string>
#include <system_error>

namespace parlab::detail {
namespace {

/// A child in flight: its pipe and what it has sent so far.
struct child {
  pid_t pid = -1;
  int fd = -1;
  std::size_t index = 0;  // task index in the batch
  std::size_t slot = 0;   // worker slot
  std::int64_t spawned_ns = 0;
  std::string bytes;
};

/// Kills and reaps any children still alive if execute() leaves early (an exception): no zombies.
struct child_reaper {
  std::vector<child>& alive;
  ~child_reaper() {
    for (auto& c : alive) {
      ::kill(c.pid, SIGKILL);
      ::close(c.fd);
      reap(c.pid);
    }
  }
};

[[noreturn]] void run_in_child(const task& t, std::size_t slot, int fd, event_lane* lane) noexcept {
  // The child records into its copy-on-write copy of the parent's lane for its slot (its storage
  // is already reserved: no allocation in the child); the copy dies with the child.
  const std::string report = run_and_encode(t, slot, lane);
  (void)write_all(fd, report.data(), report.size());  // false: the parent is gone
  // _exit, not exit: no atexit handlers, no flushing of stdio buffers inherited from the parent.
  ::_exit(0);
}

class processes_executor final : public executor {
 public:
  [[nodiscard]] std::string_view name() const noexcept override { return "processes"; }

 protected:
  void execute(std::span<const task> tasks, const run_options& options,
               run_result& result) override {
    auto& records = result.records;
    require_no_live_threads(name());
    std::vector<std::size_t> free_slots(options.workers);
    std::iota(free_slots.rbegin(), free_slots.rend(), std::size_t{0});
    std::vector<child> alive;
    child_reaper reaper{alive};
    received_events received;
    if (lane(0) != nullptr) received.events.reserve(tasks.size() * 16);

    auto fail = [&](std::size_t i, std::size_t slot, std::string why) {
      records[i].ok = false;
      records[i].worker = slot;
      records[i].start_ns = records[i].end_ns = monotonic_ns();
      records[i].message = std::move(why);
    };

    std::size_t next = 0;
    while (next < tasks.size() || !alive.empty()) {
      while (next < tasks.size() && alive.size() < options.workers) {
        const std::size_t i = next++;
        const std::size_t slot = free_slots.back();
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0) {
          fail(i, slot, std::string("pipe failed: ") + std::strerror(errno));
          continue;
        }
        const std::int64_t spawned = monotonic_ns();
        const pid_t pid = ::fork();
        if (pid < 0) {
          fail(i, slot, std::string("fork failed: ") + std::strerror(errno));
          ::close(fds[0]);
          ::close(fds[1]);
          continue;
        }
        if (pid == 0) {
          ::close(fds[0]);
          run_in_child(tasks[i], slot, fds[1], lane(slot));
        }
        ::close(fds[1]);
        free_slots.pop_back();
        alive.push_back({pid, fds[0], i, slot, spawned, {}});
      }
      if (alive.empty()) continue;

      std::vector<pollfd> polled(alive.size());
      for (std::size_t k = 0; k < alive.size(); ++k) polled[k] = {alive[k].fd, POLLIN, 0};
      if (::poll(polled.data(), polled.size(), -1) < 0) {
        if (errno == EINTR) continue;
        throw std::system_error(errno, std::generic_category(), "processes: poll");
      }
      for (std::size_t k = alive.size(); k-- > 0;) {
        if (polled[k].revents == 0) continue;
        child& c = alive[k];
        char buffer[16384];
        const ssize_t n = ::read(c.fd, buffer, sizeof buffer);
        if (n > 0) {
          c.bytes.append(buffer, static_cast<std::size_t>(n));
          continue;
        }
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        // End of file: the child closed its pipe by exiting (normally or not).
        ::close(c.fd);
        const int status = reap(c.pid);
        finish(c, status, records[c.index], received);
        free_slots.push_back(c.slot);
        alive.erase(alive.begin() + static_cast<std::ptrdiff_t>(k));
      }
    }
    store_received(received, [this](std::size_t w) { return lane(w); });
  }

 private:
  static void finish(const child& c, int status, task_record& record, received_events& received) {
    record.worker = c.slot;
    record.pid = c.pid;
    if (decode_report(c.bytes, record, received)) return;
    record_death(record, c.pid, c.slot, c.spawned_ns, status, "child process", received);
  }
};

}  // namespace

std::unique_ptr<executor> make_processes() { return std::make_unique<processes_executor>(); }

}  // namespace parlab::detail
