// Interrupts: one flag, one self-pipe and one table of live children, all usable from a signal
// handler. The first signal sets the flag and makes the pipe readable (every poll in parlab
// watches it, so a parent blocked on its children wakes at once); the second kills and reaps
// the children, removes a half-written output file and the private temporary directories, and
// ends the process.

#include <parlab/interrupt.hpp>

#include "core/interrupt_state.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <climits>
#include <span>
#include <stdexcept>

namespace parlab {
namespace {

constexpr std::array<int, 3> kSignals = {SIGINT, SIGTERM, SIGHUP};

// Lock-free and address-free: touched from handlers. Relaxed is enough for the flag: nothing is
// published through it, and the self-pipe (a system call) orders the wake-up.
std::atomic<int> g_signal{0};
std::atomic<int> g_pipe_read{-1};
std::atomic<int> g_pipe_write{-1};
std::atomic<bool> g_scope_alive{false};

// Children to kill on a second signal. A fixed table: a handler cannot allocate. Beyond its size
// a child is still killed by PR_SET_PDEATHSIG when this process ends.
constexpr std::size_t kMaxTracked = 4096;
std::array<std::atomic<pid_t>, kMaxTracked> g_children{};
// One past the highest slot ever taken: the slots are taken from the front, so a walk stops here
// (a forked child forgets the table without touching, and so copying, its untouched pages).
std::atomic<std::size_t> g_children_used{0};

/// The slots of g_children ever taken.
std::span<std::atomic<pid_t>> tracked_slots() noexcept {
  return std::span(g_children)
      .first(std::min(g_children_used.load(std::memory_order_relaxed), kMaxTracked));
}

// The output file being written (its temporary name), removed if the process must end at once.
std::array<char, PATH_MAX> g_temp_path{};
std::atomic<bool> g_temp_set{false};

// Private temporary directories of flat files, removed with their files if the process must end
// at once. A slot is free (0), being filled (1) or set (2).
// The states sit together, apart from the paths: a forked child forgets them all by reading one
// page instead of eight.
constexpr std::size_t kMaxTempDirs = 8;
std::array<std::atomic<int>, kMaxTempDirs> g_temp_dir_state{};
std::array<std::array<char, PATH_MAX>, kMaxTempDirs> g_temp_dir_path{};

struct sigaction g_previous[kSignals.size()];

/// Removes the files of `path` and then the directory, with system calls only (async-signal-
/// safe). A thread may still be creating files in it: a few passes, then give up.
void remove_flat_dir(const char* path) noexcept {
  for (int pass = 0; pass < 4; ++pass) {
    const int fd = ::open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return;
    alignas(dirent64) char buffer[4096];
    for (;;) {
      const ssize_t n = ::getdents64(fd, buffer, sizeof buffer);
      if (n <= 0) break;
      for (ssize_t at = 0; at < n;) {
        const auto* entry = reinterpret_cast<const dirent64*>(buffer + at);
        const char* name = entry->d_name;
        const bool dots =
            name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'));
        if (!dots) (void)::unlinkat(fd, name, 0);
        at += entry->d_reclen;
      }
    }
    ::close(fd);
    if (::rmdir(path) == 0 || errno == ENOENT) return;
  }
}

void on_signal(int sig) {
  const int saved_errno = errno;
  int expected = 0;
  if (g_signal.compare_exchange_strong(expected, sig, std::memory_order_relaxed)) {
    const int fd = g_pipe_write.load(std::memory_order_relaxed);
    if (fd >= 0) {
      const char byte = 1;
      (void)!::write(fd, &byte, 1);
    }
    errno = saved_errno;
    return;
  }
  // A second signal: end now, but leave nothing behind.
  for (auto& slot : tracked_slots()) {
    const pid_t pid = slot.load(std::memory_order_relaxed);
    if (pid > 0) ::kill(pid, SIGKILL);
  }
  for (auto& slot : tracked_slots()) {
    const pid_t pid = slot.load(std::memory_order_relaxed);
    if (pid <= 0) continue;
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  if (g_temp_set.load(std::memory_order_relaxed)) ::unlink(g_temp_path.data());
  for (std::size_t i = 0; i < kMaxTempDirs; ++i) {
    if (g_temp_dir_state[i].load(std::memory_order_relaxed) == 2) {
      remove_flat_dir(g_temp_dir_path[i].data());
    }
  }
  static const char line[] = "\nparlab: interrupted twice: stopped at once\n";
  (void)!::write(STDERR_FILENO, line, sizeof line - 1);
  // The exit_group system call itself: _exit's interceptors (ThreadSanitizer's) would report the
  // threads this deliberate stop leaves unjoined, and change the exit code.
  ::syscall(SYS_exit_group, 128 + sig);
  ::_exit(128 + sig);  // not reached
}

}  // namespace

interrupted::interrupted(int signal)
    : std::runtime_error("interrupted by " + signal_name(signal)), signal_(signal) {}

std::string signal_name(int signal) {
  const char* abbrev = ::sigabbrev_np(signal);
  return abbrev != nullptr ? std::string("SIG") + abbrev : "signal " + std::to_string(signal);
}

interrupt_scope::interrupt_scope() {
  if (g_scope_alive.exchange(true)) {
    throw std::logic_error("interrupt_scope: one is already alive in this process");
  }
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
    g_scope_alive = false;
    throw std::runtime_error(std::string("interrupt_scope: pipe failed: ") + strerror(errno));
  }
  g_signal.store(0);
  g_pipe_read.store(fds[0]);
  g_pipe_write.store(fds[1]);
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigfillset(&action.sa_mask);   // the handler runs with every other signal held off
  action.sa_flags = SA_RESTART;  // poll and nanosleep still return EINTR; read/write resume
  for (std::size_t i = 0; i < kSignals.size(); ++i) {
    ::sigaction(kSignals[i], &action, &g_previous[i]);
  }
}

interrupt_scope::~interrupt_scope() {
  for (std::size_t i = 0; i < kSignals.size(); ++i) {
    ::sigaction(kSignals[i], &g_previous[i], nullptr);
  }
  ::close(g_pipe_read.exchange(-1));
  ::close(g_pipe_write.exchange(-1));
  g_signal.store(0);
  g_scope_alive.store(false);
}

int interrupt_signal() noexcept { return g_signal.load(std::memory_order_relaxed); }

void throw_if_interrupted() {
  if (const int sig = interrupt_signal(); sig != 0) throw interrupted(sig);
}

namespace detail {

int interrupt_fd() noexcept { return g_pipe_read.load(std::memory_order_relaxed); }

void track_child(pid_t pid) noexcept {
  for (std::size_t i = 0; i < kMaxTracked; ++i) {
    pid_t expected = 0;
    if (!g_children[i].compare_exchange_strong(expected, pid, std::memory_order_relaxed)) continue;
    std::size_t used = g_children_used.load(std::memory_order_relaxed);
    while (used < i + 1 &&
           !g_children_used.compare_exchange_weak(used, i + 1, std::memory_order_relaxed)) {
    }
    return;
  }
}

void untrack_child(pid_t pid) noexcept {
  for (auto& slot : tracked_slots()) {
    pid_t expected = pid;
    if (slot.compare_exchange_strong(expected, 0, std::memory_order_relaxed)) return;
  }
}

bool is_tracked_child(pid_t pid) noexcept {
  if (pid <= 0) return false;
  for (const auto& slot : tracked_slots()) {
    if (slot.load(std::memory_order_relaxed) == pid) return true;
  }
  return false;
}

void track_temp_file(const char* path) noexcept {
  g_temp_set.store(false, std::memory_order_relaxed);
  std::size_t n = 0;
  for (; path[n] != '\0' && n + 1 < g_temp_path.size(); ++n) g_temp_path[n] = path[n];
  g_temp_path[n] = '\0';
  std::atomic_signal_fence(std::memory_order_seq_cst);  // the name is whole before it counts
  g_temp_set.store(true, std::memory_order_relaxed);
}

void untrack_temp_file() noexcept { g_temp_set.store(false, std::memory_order_relaxed); }

void track_temp_dir(const char* path) noexcept {
  for (std::size_t i = 0; i < kMaxTempDirs; ++i) {
    int expected = 0;
    if (!g_temp_dir_state[i].compare_exchange_strong(expected, 1, std::memory_order_relaxed)) {
      continue;
    }
    auto& to = g_temp_dir_path[i];
    std::size_t n = 0;
    for (; path[n] != '\0' && n + 1 < to.size(); ++n) to[n] = path[n];
    to[n] = '\0';
    std::atomic_signal_fence(std::memory_order_seq_cst);  // the name is whole before it counts
    g_temp_dir_state[i].store(2, std::memory_order_relaxed);
    return;
  }
}

void untrack_temp_dir(const char* path) noexcept {
  for (std::size_t i = 0; i < kMaxTempDirs; ++i) {
    if (g_temp_dir_state[i].load(std::memory_order_relaxed) == 2 &&
        ::strcmp(g_temp_dir_path[i].data(), path) == 0) {
      g_temp_dir_state[i].store(0, std::memory_order_relaxed);
      return;
    }
  }
}

void forget_interrupts_in_child() noexcept {
  g_signal.store(0, std::memory_order_relaxed);
  g_pipe_read.store(-1, std::memory_order_relaxed);
  g_pipe_write.store(-1, std::memory_order_relaxed);
  g_temp_set.store(false, std::memory_order_relaxed);
  // Only what is set is written: a fork shares the parent's pages until one is written, and on a
  // VM each page copied costs a fault (the tables span 13 pages, a child needs none of them).
  const auto forget = [](auto& value) {
    if (value.load(std::memory_order_relaxed) != 0) value.store(0, std::memory_order_relaxed);
  };
  for (auto& state : g_temp_dir_state) forget(state);
  for (auto& slot : tracked_slots()) forget(slot);
  g_scope_alive.store(false, std::memory_order_relaxed);
}

void simulate_interrupt(int signal) noexcept { on_signal(signal); }

}  // namespace detail
}  // namespace parlab
