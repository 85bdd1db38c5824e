// Watching a command parlab starts, or a process it attaches to: the sampling loop, the end of
// the watched program, and Ctrl-C.

#include <parlab/clock.hpp>
#include <parlab/interrupt.hpp>
#include <parlab/proc_sampler.hpp>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <ctime>

#include "core/child_process.hpp"

namespace parlab {
namespace {

/// How long a Ctrl-C'd command gets to end on its own (it got the terminal's signal too), and
/// then after parlab sends it the signal, before it is stopped.
constexpr std::int64_t own_end_grace_ns = 200'000'000;
constexpr std::int64_t forwarded_grace_ns = 2'000'000'000;
/// Between SIGTERM and SIGKILL, for the command stopped and for what it left running.
constexpr std::chrono::milliseconds stop_grace{500};

/// Adds what `ended` says of the processes other than the command itself to `result`.
void note_leftovers(watch_result& result, const detail::tree_end& ended, pid_t command) {
  for (const auto& p : ended.ended) {
    if (p.pid != command) result.leftovers_ended.push_back(p.describe());
  }
  for (const auto& p : ended.left) {
    if (p.pid != command) result.leftovers_running.push_back(p.describe());
  }
}

/// Sleeps until `deadline_ns` on the monotonic clock, whatever signals arrive.
void sleep_until(std::int64_t deadline_ns) {
  const timespec ts{static_cast<std::time_t>(deadline_ns / 1'000'000'000),
                    static_cast<long>(deadline_ns % 1'000'000'000)};
  while (::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
  }
}

/// The child has ended (a zombie now, or gone); does not reap it.
bool has_ended(pid_t pid) {
  siginfo_t info{};
  if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
    return errno == ECHILD;
  }
  return info.si_pid == pid;
}

/// Lets the sampler keep its descriptors per thread for programs with many threads.
void raise_descriptor_limit() {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    (void)::setrlimit(RLIMIT_NOFILE, &lim);
  }
}

/// The sampling loop. `child`: the command parlab started, or nullptr (--pid).
/// `recording`: the switch records were turned on for the watch (options.exact->begin()).
watch_result sample_until_done(proc_sampler& sampler, pid_t pid, detail::child_process* child,
                               const watch_options& options,
                               std::optional<std::chrono::nanoseconds> duration, bool recording) {
  const std::int64_t interval_ns = static_cast<std::int64_t>(options.interval.count()) * 1000;
  bool interrupted = false;
  bool forwarded = false;
  detail::tree_end stopped;
  std::int64_t forward_at = 0, stop_at = 0;
  const std::int64_t began = monotonic_ns();
  std::int64_t next = began;
  const std::int64_t live_every_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(options.live_every).count();
  std::int64_t next_live = began + live_every_ns;
  for (;;) {
    if (!sampler.look()) break;
    if (options.live && monotonic_ns() >= next_live) {
      options.live(sampler.live());
      next_live = std::max(next_live + live_every_ns, monotonic_ns() + live_every_ns / 2);
    }
    if (child != nullptr && has_ended(pid)) {
      (void)sampler.look();  // see it as a zombie: its lanes end here
      break;
    }
    const std::int64_t now = monotonic_ns();
    if (duration && now - began >= duration->count()) break;
    if (interrupted) {
      if (child == nullptr) break;  // --pid: Ctrl-C ends the watch, not the process
      if (!forwarded && now >= forward_at) {
        // It did not end on the terminal's signal (or the signal came from elsewhere): to the
        // command and every process it started.
        detail::signal_tree(pid, interrupt_signal());
        forwarded = true;
      }
      if (now >= stop_at) {
        stopped = detail::end_tree(pid, stop_grace);
        break;
      }
    }
    next += interval_ns;
    if (next < now) next = now + interval_ns / 2;  // fell behind: do not burst to catch up
    if (interrupted) {
      sleep_until(next);
      continue;
    }
    try {
      detail::sleep_or_interrupt(
          std::chrono::nanoseconds(std::max<std::int64_t>(next - monotonic_ns(), 0)));
    } catch (const parlab::interrupted&) {
      interrupted = true;
      forward_at = monotonic_ns() + own_end_grace_ns;
      stop_at = forward_at + forwarded_grace_ns;
    }
  }
  std::optional<switch_schedule> exact;
  if (recording) exact = options.exact->end();
  watch_result result = sampler.finish(std::move(exact));
  result.interrupted = interrupted;
  note_leftovers(result, stopped, pid);
  return result;
}

}  // namespace

watch_result watch_program(const std::vector<std::string>& argv, watch_options options) {
  raise_descriptor_limit();
  options.new_root = true;
  detail::adopt_orphans();  // what the command starts stays below parlab, ended with it
  // Switch records on for parlab itself before the command starts: the command inherits them
  // from its first instruction (parlab's own stretches are left out when the watch ends).
  const bool recording = options.exact != nullptr && options.exact->begin();
  auto child = detail::child_process::exec("the watched command", {false, false, false}, argv);
  proc_sampler sampler(child.pid(), options);
  watch_result result =
      sample_until_done(sampler, child.pid(), &child, options, std::nullopt, recording);
  result.command = argv;
  const auto how = child.wait();
  // What the command left running when it ended (or was stopped) ends with it.
  note_leftovers(result, detail::end_tree(child.pid(), stop_grace), child.pid());
  if (how.known) result.exit_status = how.status;
  if (how.cpu_seconds >= 0) result.tree_cpu_seconds = how.cpu_seconds;
  if (how.max_rss_bytes >= 0) result.peak_rss_bytes = how.max_rss_bytes;
  if (how.voluntary_switches >= 0) result.voluntary_switches = how.voluntary_switches;
  if (how.involuntary_switches >= 0) result.involuntary_switches = how.involuntary_switches;
  return result;
}

watch_result watch_process(pid_t pid, const watch_options& options,
                           std::optional<std::chrono::nanoseconds> duration) {
  raise_descriptor_limit();
  proc_sampler sampler(pid, options);
  // Each of its threads gets an event of its own, and what they start inherits one.
  const bool recording = options.exact != nullptr && options.exact->begin(pid);
  return sample_until_done(sampler, pid, nullptr, options, duration, recording);
}

}  // namespace parlab
