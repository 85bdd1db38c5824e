#include "core/child_process.hpp"
#include "core/proc_files.hpp"

#include <parlab/interrupt.hpp>

#include "core/interrupt_state.hpp"
#include "core/peak_rss.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <utility>

namespace parlab::detail {
namespace {

// Where the child finds its channels: fixed numbers, everything above them closed.
constexpr int kReportsFd = 3;
constexpr int kCommandsFd = 4;

#if defined(__SANITIZE_THREAD__)
constexpr std::size_t kSanitizerThreads = 1;  // ThreadSanitizer's background thread
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
constexpr std::size_t kSanitizerThreads = 1;
#else
constexpr std::size_t kSanitizerThreads = 0;
#endif
#else
constexpr std::size_t kSanitizerThreads = 0;
#endif

[[noreturn]] void fail_system(int err, std::string_view who, std::string_view what) {
  throw std::system_error(err, std::generic_category(),
                          std::string(who) + ": " + std::string(what));
}

void close_quietly(int& fd) noexcept {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

/// In the child: closes every descriptor from `first` up (close_range, or one by one).
void close_from(int first) noexcept {
#ifdef SYS_close_range
  if (::syscall(SYS_close_range, static_cast<unsigned>(first), ~0U, 0U) == 0) return;
#endif
  const long max = ::sysconf(_SC_OPEN_MAX);
  for (long fd = first; fd < (max > 0 ? max : 1024); ++fd) ::close(static_cast<int>(fd));
}

/// In the child: moves `fd` to `target` (clearing close-on-exec unless `cloexec`).
void move_fd(int fd, int target, bool cloexec) noexcept {
  if (fd < 0) return;
  ::dup3(fd, target, cloexec ? O_CLOEXEC : 0);
}

/// In the child, first thing: die with the parent, default interrupt handling, signals back.
void become_child(pid_t parent) noexcept {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(1);  // the parent died before the line above
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::signal(sig, SIG_DFL);
  forget_interrupts_in_child();
}

/// Blocks every signal for its lifetime: a fork in between hands the child a quiet moment to
/// reset its handlers (a Ctrl-C meanwhile waits, then kills it the default way).
class signals_held {
 public:
  signals_held() noexcept {
    sigset_t all;
    sigfillset(&all);
    ::pthread_sigmask(SIG_SETMASK, &all, &previous_);
  }
  ~signals_held() { ::pthread_sigmask(SIG_SETMASK, &previous_, nullptr); }
  signals_held(const signals_held&) = delete;
  signals_held& operator=(const signals_held&) = delete;
  [[nodiscard]] const sigset_t& previous() const noexcept { return previous_; }

 private:
  sigset_t previous_;
};

/// The descriptors of a child's channels, both ends; closes what is left on destruction.
struct channel_fds {
  int reports[2] = {-1, -1};   // [0] parent reads, [1] child writes
  int commands[2] = {-1, -1};  // [0] parent writes, [1] child reads

  channel_fds(std::string_view who, const child_channels& c) {
    if (c.reports && ::pipe2(reports, O_CLOEXEC) != 0) fail_system(errno, who, "pipe");
    if (c.commands && ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, commands) != 0) {
      const int err = errno;
      close_all();
      fail_system(err, who, "socketpair");
    }
  }
  ~channel_fds() { close_all(); }
  channel_fds(const channel_fds&) = delete;
  channel_fds& operator=(const channel_fds&) = delete;
  void close_all() noexcept {
    for (int* fd : {&reports[0], &reports[1], &commands[0], &commands[1]}) close_quietly(*fd);
  }
};

std::string thread_names_except_self() {
  std::string names;
  const pid_t self = ::gettid();
  for (const long tid : proc_numbered_entries("/proc/self/task")) {
    if (tid == self) continue;
    const std::string name = read_proc_line("/proc/self/task/" + std::to_string(tid) + "/comm");
    names += (names.empty() ? "" : ", ") + name + " (" + std::to_string(tid) + ")";
  }
  return names;
}

}  // namespace

bool child_exit::exited() const noexcept { return known && WIFEXITED(status); }
int child_exit::exit_status() const noexcept { return WEXITSTATUS(status); }
bool child_exit::signaled() const noexcept { return known && WIFSIGNALED(status); }
int child_exit::signal() const noexcept { return WTERMSIG(status); }

std::string child_exit::describe() const {
  if (!known) return "ended, but how is unknown (another waiter reaped it: ECHILD)";
  if (signaled()) return "killed by " + signal_name(signal());
  if (exited()) return "exited with status " + std::to_string(exit_status());
  return "ended abnormally (wait status " + std::to_string(status) + ")";
}

std::string describe_exit(const child_exit& how, std::string_view who) {
  std::string out(who);
  out += ' ';
  out += how.describe();
  if (how.exited()) out += " before reporting a result";
  return out;
}

std::size_t thread_count() {
  const std::size_t n = proc_numbered_entries("/proc/self/task").size();
  if (n == 0) return 1;  // not listed: take it as one
  return n > kSanitizerThreads ? n - kSanitizerThreads : 1;
}

void require_single_thread(std::string_view who) {
  // A thread that was just joined can still be listed for a moment (the kernel clears the
  // joiner's futex before it removes the task): give such threads a few milliseconds.
  std::size_t n = thread_count();
  for (int tries = 0; n > 1 && tries < 50; ++tries) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    n = thread_count();
  }
  if (n <= 1) return;
  throw std::logic_error(
      std::string(who) + ": refusing to fork while " + std::to_string(n - 1) + " other thread" +
      (n == 2 ? "" : "s") + " run in this process (" + thread_names_except_self() +
      "): a fork copies only the calling thread, and a lock another thread holds would stay "
      "locked in the child; start the process models before any thread, or end those threads");
}

child_process::child_process(std::string_view who, const child_channels& channels, const body& fn) {
  require_single_thread(who);
  channel_fds fds(who, channels);
  const pid_t parent = ::getpid();
  const signals_held held;
  const pid_t pid = ::fork();
  if (pid < 0) fail_system(errno, who, "fork");
  if (pid == 0) {
    become_child(parent);
    // Both ends out of the way first (either may sit on 3 or 4), then onto 3 and 4.
    const int reports = channels.reports ? ::fcntl(fds.reports[1], F_DUPFD_CLOEXEC, 16) : -1;
    const int commands = channels.commands ? ::fcntl(fds.commands[1], F_DUPFD_CLOEXEC, 16) : -1;
    ends mine;
    if (reports >= 0) move_fd(reports, mine.reports = kReportsFd, true);
    if (commands >= 0) move_fd(commands, mine.commands = kCommandsFd, true);
    close_from(kCommandsFd + 1);
    if (commands < 0) ::close(kCommandsFd);
    if (reports < 0) ::close(kReportsFd);
    ::pthread_sigmask(SIG_SETMASK, &held.previous(), nullptr);
    int code = 1;
    try {
      code = fn(mine);
    } catch (...) {
      code = 1;
    }
    // _exit, not exit: no atexit handlers, no flushing of stdio buffers copied from the parent.
    ::_exit(code);
  }
  pid_ = pid;
  track_child(pid);
  reports_ = std::exchange(fds.reports[0], -1);
  commands_ = std::exchange(fds.commands[0], -1);
}

child_process child_process::exec(std::string_view who, const child_channels& channels,
                                  const std::vector<std::string>& argv,
                                  const std::vector<std::string>& environment) {
  if (argv.empty()) throw std::invalid_argument(std::string(who) + ": no program to start");
  std::vector<std::string> storage = argv;
  std::vector<char*> args;
  for (auto& a : storage) args.push_back(a.data());
  args.push_back(nullptr);
  // The child's environment, built before the fork: this process's, with `environment` set on
  // top (an entry replaces one of the same name).
  std::vector<std::string> env_storage;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string_view entry(*e);
    const auto name = entry.substr(0, entry.find('=') + 1);
    const bool replaced = std::any_of(environment.begin(), environment.end(), [&](const auto& x) {
      return std::string_view(x).substr(0, x.find('=') + 1) == name;
    });
    if (!replaced) env_storage.emplace_back(entry);
  }
  env_storage.insert(env_storage.end(), environment.begin(), environment.end());
  std::vector<char*> envp;
  for (auto& e : env_storage) envp.push_back(e.data());
  envp.push_back(nullptr);
  channel_fds fds(who, channels);
  int exec_error[2];  // close-on-exec: end of file means the exec happened
  if (::pipe2(exec_error, O_CLOEXEC) != 0) fail_system(errno, who, "pipe");
  const pid_t parent = ::getpid();
  pid_t pid = -1;
  {
    const signals_held held;
    pid = ::fork();
    if (pid == 0) {
      // Only async-signal-safe calls from here to exec: other threads may hold locks.
      become_child(parent);
      if (channels.reports) ::dup2(fds.reports[1], STDOUT_FILENO);
      if (channels.reports && channels.errors) ::dup2(fds.reports[1], STDERR_FILENO);
      if (channels.commands) ::dup2(fds.commands[1], STDIN_FILENO);
      move_fd(::fcntl(exec_error[1], F_DUPFD_CLOEXEC, 16), kReportsFd, true);
      close_from(kReportsFd + 1);
      ::pthread_sigmask(SIG_SETMASK, &held.previous(), nullptr);
      ::execve(args[0], args.data(), envp.data());
      const int err = errno;
      (void)write_all(kReportsFd, reinterpret_cast<const char*>(&err), sizeof err);
      ::_exit(127);
    }
  }
  const int fork_errno = errno;
  ::close(exec_error[1]);
  if (pid < 0) {
    ::close(exec_error[0]);
    fail_system(fork_errno, who, "fork");
  }
  child_process child;
  child.pid_ = pid;
  track_child(pid);
  child.reports_ = std::exchange(fds.reports[0], -1);
  child.commands_ = std::exchange(fds.commands[0], -1);
  int err = 0;
  const bool failed = read_exactly(exec_error[0], &err, sizeof err);
  ::close(exec_error[0]);
  if (failed) {
    (void)child.wait();
    fail_system(err, who, "cannot start " + argv[0]);
  }
  return child;
}

child_process::~child_process() { release(); }

child_process::child_process(child_process&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      reports_(std::exchange(other.reports_, -1)),
      commands_(std::exchange(other.commands_, -1)),
      reaped_(std::exchange(other.reaped_, false)),
      exit_(other.exit_) {}

child_process& child_process::operator=(child_process&& other) noexcept {
  if (this != &other) {
    release();
    pid_ = std::exchange(other.pid_, -1);
    reports_ = std::exchange(other.reports_, -1);
    commands_ = std::exchange(other.commands_, -1);
    reaped_ = std::exchange(other.reaped_, false);
    exit_ = other.exit_;
  }
  return *this;
}

void child_process::release() noexcept {
  close_commands();
  close_reports();
  if (started()) {
    kill(SIGKILL);
    (void)wait();
  }
  pid_ = -1;
}

void child_process::close_commands() noexcept { close_quietly(commands_); }
void child_process::close_reports() noexcept { close_quietly(reports_); }

void child_process::kill(int sig) const noexcept {
  if (started()) ::kill(pid_, sig);
}

namespace {

/// How a child ended, with what wait4 said of its resources.
child_exit exit_of(int status, const rusage& usage) noexcept {
  child_exit e{true, status};
  e.cpu_seconds = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                  static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1e-6;
  e.max_rss_bytes = static_cast<std::int64_t>(usage.ru_maxrss) * 1024;  // KiB
  e.voluntary_switches = usage.ru_nvcsw;
  e.involuntary_switches = usage.ru_nivcsw;
  return e;
}

}  // namespace

child_exit child_process::wait() noexcept {
  if (pid_ <= 0 || reaped_) return exit_;
  int status = 0;
  pid_t got = -1;
  rusage usage{};
  while ((got = ::wait4(pid_, &status, 0, &usage)) < 0 && errno == EINTR) {
  }
  exit_ = got == pid_ ? exit_of(status, usage) : child_exit{false, 0};
  if (got == pid_) note_child_peak_rss(exit_.max_rss_bytes);
  reaped_ = true;
  untrack_child(pid_);
  return exit_;
}

child_exit child_process::stop(std::chrono::milliseconds grace) noexcept {
  if (!started()) return exit_;
  kill(SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    rusage usage{};
    const pid_t got = ::wait4(pid_, &status, WNOHANG, &usage);
    if (got == pid_) {
      exit_ = exit_of(status, usage);
      note_child_peak_rss(exit_.max_rss_bytes);
      reaped_ = true;
      untrack_child(pid_);
      return exit_;
    }
    if (got < 0 && errno != EINTR) break;  // ECHILD: wait() below says so
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  kill(SIGKILL);
  return wait();
}

int poll_or_interrupt(std::span<pollfd> fds, int timeout_ms) {
  throw_if_interrupted();
  const int signal_fd = interrupt_fd();
  // The caller's entries, then the self-pipe (one small copy per wait; waits are on children).
  std::vector<pollfd> all(fds.begin(), fds.end());
  if (signal_fd >= 0) all.push_back({signal_fd, POLLIN, 0});
  const int n = ::poll(all.data(), all.size(), timeout_ms);
  if (n < 0) {
    if (errno == EINTR) {
      throw_if_interrupted();
      return 0;
    }
    throw std::system_error(errno, std::generic_category(), "poll");
  }
  throw_if_interrupted();
  for (std::size_t i = 0; i < fds.size(); ++i) fds[i].revents = all[i].revents;
  return n;
}

void sleep_or_interrupt(std::chrono::nanoseconds duration) {
  const auto deadline = std::chrono::steady_clock::now() + duration;
  for (;;) {
    throw_if_interrupted();
    const auto left = deadline - std::chrono::steady_clock::now();
    if (left <= std::chrono::nanoseconds::zero()) return;
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
    const timespec timeout{static_cast<time_t>(ns / 1'000'000'000),
                           static_cast<long>(ns % 1'000'000'000)};
    pollfd signal_pipe{interrupt_fd(), POLLIN, 0};                 // fd -1: poll ignores the entry
    if (::ppoll(&signal_pipe, 1, &timeout, nullptr) == 0) return;  // the time is up
    if ((signal_pipe.revents & POLLNVAL) != 0) {  // no pipe after all: a plain sleep
      std::this_thread::sleep_for(left);
      return;
    }
  }
}

namespace {
/// Calls `put(data, size)` (a write or a send) until every byte went, retrying on EINTR.
template <class Put>
bool put_all(const char* data, std::size_t size, Put&& put) noexcept {
  while (size > 0) {
    const ssize_t n = put(data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}
}  // namespace

bool write_all(int fd, const char* data, std::size_t size) noexcept {
  return put_all(data, size, [fd](const char* d, std::size_t n) { return ::write(fd, d, n); });
}

bool send_all(int fd, std::string_view bytes) noexcept {
  return put_all(bytes.data(), bytes.size(),
                 [fd](const char* d, std::size_t n) { return ::send(fd, d, n, MSG_NOSIGNAL); });
}

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

}  // namespace parlab::detail
