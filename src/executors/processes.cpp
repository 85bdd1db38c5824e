// processes: fork() one child process per task, at most W alive at once. Each child has its own
// copy of the parent's memory (copy-on-write), runs one task, sends its record back through a
// pipe and exits. A crash in a task kills only its child; the parent reports it and carries on.

#include <parlab/clock.hpp>

#include "core/live_threads.hpp"
#include "executors/factories.hpp"
#include "executors/run_task.hpp"

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
#include <type_traits>

namespace parlab::detail {
namespace {

/// What a child writes to its pipe: this header, then message_length bytes of message, then
/// event_count events (plain bytes: parent and child are the same binary).
struct wire_record {
  std::int64_t pid;
  std::int64_t tid;
  std::int64_t start_ns;
  std::int64_t end_ns;
  std::int64_t cpu_ns;
  std::uint64_t result;
  std::uint64_t events_dropped;
  std::uint32_t ok;
  std::uint32_t message_length;
  std::uint32_t event_count;
  std::uint32_t reserved;
};
static_assert(std::is_trivially_copyable_v<event>);

constexpr std::size_t kMaxMessage = 4096;

void write_all(int fd, const char* data, std::size_t size) noexcept {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // the parent is gone; nothing useful left to do
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
}

std::string signal_name(int sig) {
  const char* abbrev = ::sigabbrev_np(sig);
  return abbrev != nullptr ? std::string("SIG") + abbrev : "signal " + std::to_string(sig);
}

std::string describe_exit(int status) {
  if (WIFSIGNALED(status)) return "child process killed by " + signal_name(WTERMSIG(status));
  if (WIFEXITED(status)) {
    return "child process exited with status " + std::to_string(WEXITSTATUS(status)) +
           " before reporting a result";
  }
  return "child process ended abnormally (wait status " + std::to_string(status) + ")";
}

int reap(pid_t pid) noexcept {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

/// Events the children sent back. Kept apart from the lanes until the run ends: the lanes' pages
/// are shared copy-on-write with the children alive, and each child records into its own copy
/// of its slot's (empty) lane, so writing them meanwhile would copy pages in both processes.
struct received_events {
  std::vector<event> events;
  std::uint64_t dropped = 0;
};

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
  no_hooks hooks;
  task_record record;
  // The child records into its copy-on-write copy of the parent's lane for its slot (its storage
  // is already reserved: no allocation in the child) and sends the new events back after its
  // record; the copy dies with the child.
  const std::size_t first = lane != nullptr ? lane->events().size() : 0;
  const std::uint64_t dropped_before = lane != nullptr ? lane->dropped() : 0;
  run_task(t, slot, hooks, record, lane);
  const std::span<const event> events =
      lane != nullptr ? lane->events().subspan(first) : std::span<const event>{};
  std::string out(sizeof(wire_record), '\0');
  wire_record w{record.pid,
                record.tid,
                record.start_ns,
                record.end_ns,
                record.cpu_ns,
                record.result,
                lane != nullptr ? lane->dropped() - dropped_before : 0,
                record.ok ? 1U : 0U,
                static_cast<std::uint32_t>(std::min(record.message.size(), kMaxMessage)),
                static_cast<std::uint32_t>(events.size()),
                0};
  std::memcpy(out.data(), &w, sizeof w);
  out.append(record.message, 0, w.message_length);
  out.append(reinterpret_cast<const char*>(events.data()), events.size_bytes());
  write_all(fd, out.data(), out.size());
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
    // fork() copies only the calling thread. If another parlab thread held a lock (malloc's,
    // a pool's) at that instant, the child would inherit it locked forever. So fork only from a
    // state where none of parlab's own threads is running.
    if (const std::size_t n = live_threads(); n != 0) {
      throw std::logic_error("processes: refusing to fork while " + std::to_string(n) +
                             " parlab threads are running");
    }
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
    store(received);
  }

 private:
  /// Hands what the children recorded to the lanes (after the last child is gone).
  void store(const received_events& received) {
    for (const auto& e : received.events) {
      if (event_lane* l = lane(e.worker)) l->add(e);
    }
    if (event_lane* l = lane(0)) l->count_dropped(received.dropped);
  }

  static void finish(const child& c, int status, task_record& record, received_events& received) {
    record.worker = c.slot;
    record.pid = c.pid;
    wire_record w{};
    if (c.bytes.size() >= sizeof w) {
      std::memcpy(&w, c.bytes.data(), sizeof w);
      const std::size_t events_at = sizeof w + w.message_length;
      if (c.bytes.size() == events_at + std::size_t{w.event_count} * sizeof(event)) {
        record.tid = w.tid;
        record.start_ns = w.start_ns;
        record.end_ns = w.end_ns;
        record.cpu_ns = w.cpu_ns;
        record.result = w.result;
        record.ok = w.ok != 0;
        record.message = c.bytes.substr(sizeof w, w.message_length);
        for (std::uint32_t k = 0; k < w.event_count; ++k) {
          event e;
          std::memcpy(&e, c.bytes.data() + events_at + k * sizeof(event), sizeof e);
          received.events.push_back(e);
        }
        received.dropped += w.events_dropped;
        return;
      }
    }
    record.tid = c.pid;
    record.start_ns = c.spawned_ns;
    record.end_ns = monotonic_ns();
    record.ok = false;
    record.message = describe_exit(status);
    // A crashed child's events died with it; its lifetime on the worker is still known.
    received.events.push_back({record.start_ns, record.end_ns,
                               static_cast<std::uint32_t>(record.task_id),
                               static_cast<std::uint32_t>(c.slot), -1, event_kind::task});
  }
};

}  // namespace

std::unique_ptr<executor> make_processes() { return std::make_unique<processes_executor>(); }

}  // namespace parlab::detail
