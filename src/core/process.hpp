#pragma once
// Internal: small helpers for the code that forks - the process models, the supervised run and
// the loopback HTTP server: writing a whole buffer, naming how a process ended, reaping it, and
// the guard that refuses to fork while parlab's own threads run.

#include <sys/types.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace parlab::detail {

/// Writes every byte (retrying on EINTR). False if the reader is gone.
bool write_all(int fd, const char* data, std::size_t size) noexcept;

/// "SIGSEGV", or "signal N".
[[nodiscard]] std::string signal_name(int sig);

/// How a process ended, from its wait status: "killed by SIGSEGV", "exited with status 3".
[[nodiscard]] std::string describe_status(int status);

/// Why a child ended without reporting: "<who> killed by SIGKILL", "<who> exited with status 3
/// before reporting a result".
[[nodiscard]] std::string describe_exit(int status, std::string_view who);

/// waitpid(pid) until it returns (retrying on EINTR); the wait status.
int reap(pid_t pid) noexcept;

/// Throws std::logic_error unless no thread parlab started is alive: fork() copies only the
/// calling thread, and a lock another thread held (malloc's, a pool's) would stay locked forever
/// in the child.
void require_no_live_threads(std::string_view model);

}  // namespace parlab::detail
