#pragma once
// Internal: the one way parlab starts a process. Every child - a task's process, a pool worker,
// the supervised run, the loopback HTTP server, CPython - is a child_process, which
//   - refuses to fork while another thread runs (counted by the kernel, /proc/self/task: a
//     fork copies only the calling thread, and a lock another thread holds - malloc's, a
//     pool's, TBB's - would stay locked forever in the child);
//   - gives the child its channels (a report pipe child -> parent, optionally a command socket
//     parent -> child) and closes every other inherited descriptor in it;
//   - sets PR_SET_PDEATHSIG so the child never outlives parlab, and re-checks the parent after;
//   - resets SIGINT/SIGTERM/SIGHUP to their defaults in the child;
//   - kills and reaps the child when destroyed, saying truthfully how it ended (EINTR retried;
//     ECHILD reported as unknown, never as "exited with status 0").
// poll_or_interrupt() is the one wait on children: it also wakes for an interrupting signal.

#include <poll.h>
#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace parlab::detail {

/// How a child ended.
struct child_exit {
  bool known = true;  ///< false: it was reaped by someone else (waitpid said ECHILD)
  int status = 0;     ///< the wait status, when known
  /// What wait4 said of it and the children it waited for, when known (else -1): CPU time (user
  /// + system), the largest resident set among them, and their context switches.
  double cpu_seconds = -1.0;
  std::int64_t max_rss_bytes = -1;
  std::int64_t voluntary_switches = -1;
  std::int64_t involuntary_switches = -1;

  [[nodiscard]] bool exited() const noexcept;
  [[nodiscard]] int exit_status() const noexcept;  ///< when exited()
  [[nodiscard]] bool signaled() const noexcept;
  [[nodiscard]] int signal() const noexcept;  ///< when signaled()
  /// "killed by SIGSEGV", "exited with status 3", or "ended, but how is unknown (...)".
  [[nodiscard]] std::string describe() const;
};

/// Which channels a child gets besides standard input, output and error.
struct child_channels {
  bool reports = true;    ///< a pipe the child writes and the parent reads
  bool commands = false;  ///< a socket the parent writes and the child reads (no SIGPIPE)
  bool errors = false;    ///< exec only: standard error goes to the report channel too
};

class child_process {
 public:
  /// The child's side of its channels (-1 when not asked for).
  struct ends {
    int reports = -1;
    int commands = -1;
  };
  using body = std::function<int(const ends&)>;

  /// A child that was never started (or was moved from).
  child_process() = default;

  /// Forks a child that runs `fn` and then _exits with what it returned (1 if it threw). `who`
  /// names it in errors ("processes", "the loopback HTTP server"). Throws std::logic_error while
  /// another thread runs and std::system_error when the kernel refuses a pipe or the fork.
  child_process(std::string_view who, const child_channels& channels, const body& fn);

  /// Starts the program argv[0] (a path; PATH is not searched) with the arguments; its standard
  /// output goes to the report channel when channels.reports. No fork-time thread check (only
  /// async-signal-safe calls run between fork and exec). Throws std::system_error, naming the
  /// program, when it cannot be started.
  /// `environment`: "NAME=value" entries set for the child only, on top of this process's own.
  [[nodiscard]] static child_process exec(std::string_view who, const child_channels& channels,
                                          const std::vector<std::string>& argv,
                                          const std::vector<std::string>& environment = {});

  /// Kills (SIGKILL) and reaps the child if it is still there. Never throws.
  ~child_process();
  child_process(child_process&& other) noexcept;
  child_process& operator=(child_process&& other) noexcept;
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  [[nodiscard]] pid_t pid() const noexcept { return pid_; }
  /// Alive or not yet reaped.
  [[nodiscard]] bool started() const noexcept { return pid_ > 0 && !reaped_; }
  [[nodiscard]] int reports_fd() const noexcept { return reports_; }
  [[nodiscard]] int commands_fd() const noexcept { return commands_; }

  /// Closes the parent's end of a channel (for the child: end of input / nobody reads).
  void close_commands() noexcept;
  void close_reports() noexcept;

  /// Sends `sig` unless the child was already reaped.
  void kill(int sig) const noexcept;

  /// Blocks until the child ended and reaps it (EINTR retried); afterwards returns the same.
  child_exit wait() noexcept;

  /// SIGTERM, up to `grace` for the child to end, then SIGKILL; reaps it.
  child_exit stop(std::chrono::milliseconds grace) noexcept;

 private:
  void release() noexcept;

  pid_t pid_ = -1;
  int reports_ = -1;
  int commands_ = -1;
  bool reaped_ = false;
  child_exit exit_;
};

/// Threads of this process now, as the kernel counts them (/proc/self/task), not counting a
/// sanitizer's own background thread.
[[nodiscard]] std::size_t thread_count();

/// Throws std::logic_error naming `who`, the number of threads and why, unless the calling
/// thread is the only one (threads that were just joined get a few milliseconds to vanish).
void require_single_thread(std::string_view who);

/// poll() over `fds` and the interrupt self-pipe: returns the number of ready entries (0 on
/// timeout or EINTR); throws parlab::interrupted once an interrupting signal arrived, and
/// std::system_error if poll fails.
int poll_or_interrupt(std::span<pollfd> fds, int timeout_ms);

/// Sleeps for `duration` (ppoll: nanosecond timeout) unless an interrupting signal arrives
/// first; then throws parlab::interrupted.
void sleep_or_interrupt(std::chrono::nanoseconds duration);

/// Writes every byte (retrying on EINTR). False if the reader is gone.
bool write_all(int fd, const char* data, std::size_t size) noexcept;

/// The same on a socket, with MSG_NOSIGNAL: a peer that is gone is a false, not a SIGPIPE
/// (a pool worker's command channel).
bool send_all(int fd, std::string_view bytes) noexcept;

/// Reads exactly `size` bytes (retrying on EINTR). False on end of file or error.
bool read_exactly(int fd, void* out, std::size_t size) noexcept;

/// Why a child ended without reporting: "<who> killed by SIGKILL", "<who> exited with status 3
/// before reporting a result".
[[nodiscard]] std::string describe_exit(const child_exit& how, std::string_view who);

// ---- The processes a started program leaves behind -----------------------------------------
// A program parlab starts (a watched command, mpirun) may start processes of its own that
// outlive it: in a session of their own (setsid), double-forked, ignoring every signal. parlab
// makes itself the reaper of the orphans among its descendants (PR_SET_CHILD_SUBREAPER), so every
// such process stays its descendant - found through the parent links in /proc - and is ended.

/// Makes this process the reaper of the orphans among its descendants, from now on.
void adopt_orphans() noexcept;

/// A process of a tree.
struct tree_process {
  pid_t pid = 0;
  std::string name;  ///< its comm
  /// "1234 (sleep)".
  [[nodiscard]] std::string describe() const;
};

/// The processes under `root` - a child this process started and has not reaped, itself
/// included while it runs - and every orphan this process adopted (a process it did not start
/// whose parent it now is), each with its descendants. Zombies are left out.
[[nodiscard]] std::vector<tree_process> process_tree(pid_t root);

/// Sends `sig` to every process of process_tree(root).
void signal_tree(pid_t root, int sig) noexcept;

/// What end_tree did.
struct tree_end {
  std::vector<tree_process> ended;  ///< signalled and gone
  std::vector<tree_process> left;   ///< still running (not this user's to end)
};

/// Ends process_tree(root): SIGTERM and up to `grace` for them to end (none when zero), then
/// SIGKILL, again for any process that appears meanwhile, for up to 2 s (after anything was
/// signalled, until the tree has stayed empty for 100 ms); reaps the orphans it adopted (never a
/// child_process's child: its owner reaps it).
tree_end end_tree(pid_t root, std::chrono::milliseconds grace);

}  // namespace parlab::detail
