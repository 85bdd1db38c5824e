#pragma once
/// @file Interrupts: a long run that SIGINT, SIGTERM or SIGHUP stops keeps what it measured.
///
/// While an interrupt_scope is alive, the first such signal only sets a flag: every executor
/// stops dispatching, ends and reaps its children, and the run throws parlab::interrupted, so
/// the caller can still write the rows measured before it. A second signal ends the process at
/// once (status 128 + signal), after killing and reaping every child parlab started.

#include <stdexcept>
#include <string>

namespace parlab {

/// Thrown by a run (and anything that waits on one) after an interrupting signal arrived.
class interrupted : public std::runtime_error {
 public:
  explicit interrupted(int signal);
  /// The signal that interrupted (SIGINT, SIGTERM, SIGHUP).
  [[nodiscard]] int signal() const noexcept { return signal_; }
  /// The conventional exit status of a process ended by that signal: 128 + signal.
  [[nodiscard]] int exit_code() const noexcept { return 128 + signal_; }

 private:
  int signal_;
};

/// Catches SIGINT, SIGTERM and SIGHUP for its lifetime and restores the previous handlers after.
/// One at a time per process (a second one throws std::logic_error). Not thread-safe: create it
/// on the main thread before starting any.
class interrupt_scope {
 public:
  interrupt_scope();
  ~interrupt_scope();
  interrupt_scope(const interrupt_scope&) = delete;
  interrupt_scope& operator=(const interrupt_scope&) = delete;
};

/// The signal that interrupted the process, or 0. Thread-safe, lock-free, async-signal-safe.
[[nodiscard]] int interrupt_signal() noexcept;

/// True once an interrupting signal arrived (under an interrupt_scope). Thread-safe, cheap (one
/// relaxed load): compute loops may ask it between chunks.
[[nodiscard]] inline bool interrupt_requested() noexcept { return interrupt_signal() != 0; }

/// Throws parlab::interrupted when an interrupting signal arrived. Thread-safe.
void throw_if_interrupted();

/// "SIGINT", "SIGTERM", or "signal N".
[[nodiscard]] std::string signal_name(int signal);

}  // namespace parlab
