#pragma once
// Internal: the shared locks lock steps take (a table of robust, process-shared mutexes in a
// shared anonymous mapping made before any model forks, so threads and forked processes take
// the same lock), and the one place a lock step runs.

#include <parlab/task.hpp>

#include <cstdint>

namespace parlab::detail {

/// Makes the table of shared locks if this process has none yet (idempotent, thread-safe).
void make_shared_locks();

/// Runs lock step `s` on the calling thread: takes lock s.port (at once when free, else as a
/// lock_wait), computes s.amount units holding it (recorded as a lock_hold), lets it go; returns
/// the primes counted. Throws std::invalid_argument for a lock number >= max_locks and
/// std::runtime_error when the lock stays taken for 60 s.
std::uint64_t run_lock_step(task_context& ctx, const step& s);

}  // namespace parlab::detail
