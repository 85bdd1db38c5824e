#include "core/process.hpp"

#include "core/live_threads.hpp"

#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

namespace parlab::detail {

bool write_all(int fd, const char* data, std::size_t size) noexcept {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

std::string signal_name(int sig) {
  const char* abbrev = ::sigabbrev_np(sig);
  return abbrev != nullptr ? std::string("SIG") + abbrev : "signal " + std::to_string(sig);
}

std::string describe_status(int status) {
  if (WIFSIGNALED(status)) return "killed by " + signal_name(WTERMSIG(status));
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  return "ended abnormally (wait status " + std::to_string(status) + ")";
}

std::string describe_exit(int status, std::string_view who) {
  std::string out(who);
  out += ' ';
  out += describe_status(status);
  if (WIFEXITED(status)) out += " before reporting a result";
  return out;
}

int reap(pid_t pid) noexcept {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

void require_no_live_threads(std::string_view model) {
  if (const std::size_t n = live_threads(); n != 0) {
    throw std::logic_error(std::string(model) + ": refusing to fork while " + std::to_string(n) +
                           " parlab threads are running");
  }
}

}  // namespace parlab::detail
