#pragma once
// Internal: what the interrupt handler needs to know about the rest of parlab - the self-pipe
// every poll watches, the children to kill and reap on a second signal, and the temporary file
// and directories to remove then. All of it is async-signal-safe.

#include <sys/types.h>

namespace parlab::detail {

/// The read end of the self-pipe that becomes readable at the first interrupting signal; -1
/// when no interrupt_scope is alive.
[[nodiscard]] int interrupt_fd() noexcept;

/// Adds / removes a child that a second signal must kill and reap (child_process does this).
void track_child(pid_t pid) noexcept;
void untrack_child(pid_t pid) noexcept;
/// `pid` is a child this process started and has not reaped (a child_process).
[[nodiscard]] bool is_tracked_child(pid_t pid) noexcept;

/// The temporary output file being written now (one at a time): removed on a second signal.
void track_temp_file(const char* path) noexcept;
void untrack_temp_file() noexcept;

/// A private temporary directory of flat files (the `file` workload's): on a second signal its
/// files and then the directory are removed. A few at a time; beyond that, one is not removed.
void track_temp_dir(const char* path) noexcept;
void untrack_temp_dir(const char* path) noexcept;

/// In a freshly forked child: forgets the parent's interrupt state (its self-pipe, flag and
/// children), which the child's handlers - reset to the defaults - never use. Async-signal-safe.
void forget_interrupts_in_child() noexcept;

/// For tests: behaves as if `signal` arrived (the first time: sets the flag and wakes polls).
void simulate_interrupt(int signal) noexcept;

}  // namespace parlab::detail
