#pragma once
/// @file Process-level figures from the kernel (getrusage for the process and its children).

#include <cstdint>
#include <string_view>

namespace parlab {

/// What the kernel says a run cost: CPU time, context switches and peak memory.
struct kernel_figures {
  double user_seconds = 0.0;    ///< user CPU, this process and its reaped children
  double system_seconds = 0.0;  ///< system CPU, this process and its reaped children
  /// A thread gave up the CPU (blocked: sleep, lock, I/O); -1 unknown (a watch of --pid).
  std::int64_t voluntary_switches = 0;
  /// The kernel took the CPU away (time slice over); -1 unknown.
  std::int64_t involuntary_switches = 0;
  /// Peak resident memory during the run (executor::run): this process's high-water mark, reset
  /// at the run's start, or the largest child process reaped during the run, whichever is larger.
  /// From difference() alone: the process's and its children's lifetime high-water marks.
  /// -1 unknown (a watch of --pid).
  std::int64_t peak_rss_bytes = 0;
  /// Page faults served without I/O (first touches, copy-on-write copies): this process and its
  /// children reaped during the run, including what the model itself touched (thread stacks, a
  /// forked child's copies); -1 unknown. Read once per run, never per task.
  std::int64_t minor_faults = 0;

  [[nodiscard]] double cpu_seconds() const noexcept { return user_seconds + system_seconds; }
};

/// A process's memory as the kernel counts it (/proc/PID/smaps_rollup), in bytes; -1 unknown.
/// RSS counts every page the process has in memory, shared ones in full; PSS divides each shared
/// page by the number of processes sharing it (so PSS summed over processes is what they use
/// together); USS is what only this process has (its private pages: what ending it frees).
struct process_memory {
  std::int64_t rss_bytes = -1;
  std::int64_t pss_bytes = -1;
  std::int64_t uss_bytes = -1;
  [[nodiscard]] bool known() const noexcept { return rss_bytes >= 0; }
};

/// The memory of a run's worker processes (process models): each worker's one reading, at the
/// end of its batch (never per task: the kernel walks every mapping to answer), summed over the
/// workers. RSS counts pages shared between them (inherited copy-on-write from the parent, or
/// the program's code) once per worker; PSS splits each shared page between its sharers; USS is
/// what each worker alone has.
struct children_memory {
  std::size_t processes = 0;
  std::int64_t rss_bytes = 0;
  std::int64_t pss_bytes = 0;
  std::int64_t uss_bytes = 0;

  /// Adds one worker's reading (a reading that is not known is left out).
  void add(const process_memory& m) noexcept {
    if (!m.known()) return;
    ++processes;
    rss_bytes += m.rss_bytes;
    pss_bytes += m.pss_bytes;
    uss_bytes += m.uss_bytes;
  }
};

/// Parses the text of /proc/PID/smaps_rollup (Rss, Pss, Private_Clean + Private_Dirty); all -1
/// when a field is missing. Pure.
[[nodiscard]] process_memory parse_smaps_rollup(std::string_view text) noexcept;

/// The calling process's memory now (reads /proc/self/smaps_rollup: the kernel walks the
/// process's page tables, ~0.1 ms for a small process, longer for a large one). Thread-safe.
[[nodiscard]] process_memory own_memory() noexcept;

/// Page faults the calling thread caused that were served without I/O (ru_minflt of
/// RUSAGE_THREAD: first touches, copy-on-write copies), or -1. Thread-safe.
[[nodiscard]] std::int64_t thread_minor_faults() noexcept;

/// A snapshot of getrusage(RUSAGE_SELF) and getrusage(RUSAGE_CHILDREN). Thread-safe.
struct rusage_snapshot {
  kernel_figures self;
  kernel_figures children;

  /// Takes a snapshot now.
  [[nodiscard]] static rusage_snapshot now() noexcept;
};

/// Figures between two snapshots: deltas of times and switches; peak RSS is the later
/// high-water mark of the process and of its largest child (the kernel keeps no per-interval peak).
[[nodiscard]] kernel_figures difference(const rusage_snapshot& before,
                                        const rusage_snapshot& after) noexcept;

}  // namespace parlab
