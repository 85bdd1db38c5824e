#include <parlab/clock.hpp>

#include "core/proc_files.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <charconv>
#include <ctime>

namespace parlab {
namespace {
std::int64_t read(clockid_t id) noexcept {
  timespec ts{};
  ::clock_gettime(id, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// The calling thread's /proc/thread-self/schedstat, opened at its first use and closed when the
// thread ends; fd -2: not tried yet, -1: cannot be read. A forked child inherits the descriptor
// of its parent's thread (whose figures it would read), so the child closes it and opens its own.
struct schedstat_file {
  int fd = -2;
  schedstat_file() = default;
  schedstat_file(const schedstat_file&) = delete;
  schedstat_file& operator=(const schedstat_file&) = delete;
  ~schedstat_file() { forget(); }
  void forget() noexcept {
    if (fd >= 0) ::close(fd);
    fd = -2;
  }
};
thread_local schedstat_file own_schedstat;

int schedstat() noexcept {
  if (own_schedstat.fd == -2) {
    static const bool registered = [] {
      return ::pthread_atfork(nullptr, nullptr, [] { own_schedstat.forget(); }) == 0;
    }();
    (void)registered;
    own_schedstat.fd = detail::open_proc("/proc/thread-self/schedstat");
  }
  return own_schedstat.fd;
}
}  // namespace

std::int64_t monotonic_ns() noexcept { return read(CLOCK_MONOTONIC); }
std::int64_t thread_cpu_ns() noexcept { return read(CLOCK_THREAD_CPUTIME_ID); }

std::int64_t thread_run_delay_ns() noexcept {
  const int fd = schedstat();
  if (fd < 0) return -1;
  char buf[96];
  const std::string_view text = detail::pread_proc(fd, buf);
  if (text.empty()) return -1;
  // "on-CPU ns  run-queue ns  timeslices\n"
  const char* end = text.data() + text.size();
  const char* p = text.data();
  while (p < end && *p != ' ') ++p;
  while (p < end && *p == ' ') ++p;
  std::int64_t delay = -1;
  if (std::from_chars(p, end, delay).ec != std::errc{}) return -1;
  return delay;
}

}  // namespace parlab
