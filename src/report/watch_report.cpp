// What `parlab watch` prints and writes: the summary lines and parlab.watch/1. Pure.

#include <parlab/clock.hpp>
#include <parlab/interrupt.hpp>
#include <parlab/report.hpp>
#include <parlab/timeline_analysis.hpp>
#include <parlab/watch.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <sys/wait.h>
#include <algorithm>
#include <array>
#include <numeric>

#include "report/drawing.hpp"
#include "report/machine_json.hpp"

namespace parlab {
namespace {

using json = nlohmann::ordered_json;

std::string joined(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

std::string exit_in_words(int status) {
  if (WIFEXITED(status)) return fmt::format("exited with status {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "killed by " + signal_name(WTERMSIG(status));
  return "ended";
}

/// "cc1 8005": a process's name as the watch knew it.
std::string process_name(const watch_result& w, std::int32_t pid) {
  for (const auto& t : w.threads) {
    if (t.pid == pid) return fmt::format("{} {}", t.name, pid);
  }
  if (w.exact) {
    for (const auto& n : w.exact->names) {
      if (n.pid == pid) return fmt::format("{} {}", n.name, pid);
    }
  }
  return fmt::format("pid {}", pid);
}

/// Who woke whom, the wake-up latency, and the critical path (records per CPU: root).
std::string format_watch_waits(const watch_result& w) {
  const switch_schedule& x = *w.exact;
  if (!x.wakers) {
    return "wakers: not recorded (they need root or CAP_PERFMON, and tracefs for the "
           "sched_waking tracepoint)\n";
  }
  std::string out;
  const path_end end = program_end(x, w.end_ns);
  const auto steps = critical_path(x, end.tid, w.start_ns, end.at_ns);
  std::int64_t span = 0;
  for (const auto& s : steps) span += s.end_ns - s.start_ns;
  if (span > 0 && end.first_thread) {
    out += fmt::format(
        "critical path ({} of {}, from its end back through its waits and the threads that ended "
        "them):\n",
        detail::millis(to_seconds(span)), process_name(w, w.root));
  } else if (span > 0) {
    out += fmt::format(
        "critical path ({} of {}, from the last stretch of tid {}, the thread that ran last: its "
        "first thread did not run while watched; back through the waits and the threads that "
        "ended them):\n",
        detail::millis(to_seconds(span)), process_name(w, w.root), end.tid);
  }
  if (span > 0) {
    const auto shares = detail::path_shares(steps, false);
    for (std::size_t k = 0; k < std::min<std::size_t>(shares.size(), 8); ++k) {
      const auto& p = shares[k];
      out += fmt::format("  {:>5.1f}%  {:<24} {}\n",
                         100.0 * static_cast<double>(p.total()) / static_cast<double>(span),
                         process_name(w, p.pid), detail::path_share_in_words(p));
    }
    if (shares.size() > 8) out += fmt::format("  ... and {} more processes\n", shares.size() - 8);
  }
  std::vector<std::string> edges;
  for (const auto& e : wait_graph(x)) {
    if (edges.size() == 5) break;
    edges.push_back(
        fmt::format("{} -> {} {}",
                    e.waker_tid == 0 ? std::string("interrupt/idle") : process_name(w, e.waker_pid),
                    process_name(w, e.wakee_pid), e.count));
  }
  if (!edges.empty()) out += fmt::format("who woke whom (wake-ups): {}\n", fmt::join(edges, ", "));
  std::vector<std::string> latencies;
  for (const auto& l : wakeup_latencies(x)) {
    if (latencies.size() == 4) break;
    latencies.push_back(fmt::format(
        "{} tid {}: {} wake-ups, mean {}, max {}", process_name(w, l.pid), l.tid, l.wakeups,
        detail::short_seconds(to_seconds(l.total_ns) / static_cast<double>(l.wakeups)),
        detail::short_seconds(to_seconds(l.max_ns))));
  }
  if (!latencies.empty()) {
    out += fmt::format("wake-up latency (woken to running): {}\n", fmt::join(latencies, "; "));
  }
  return out;
}

/// The switch records of a watch: the counts beside the kernel's, and how far the sampled
/// picture of each busy thread was from them.
std::string format_watch_exact(const watch_result& w) {
  const switch_schedule& x = *w.exact;
  const switch_counts& c = x.run;
  std::string out = fmt::format(
      "exact: {} on-CPU stretches of the watched threads; {} switch-outs preempted, {} blocked or "
      "ended",
      c.intervals, c.preempted, c.voluntary);
  if (w.involuntary_switches && w.voluntary_switches) {
    out += fmt::format(
        " (the kernel's counts for the command and the children it waited for: {} "
        "involuntary, {} voluntary)",
        *w.involuntary_switches, *w.voluntary_switches);
  }
  out += "; " + detail::switch_records_in_words(x) + "\n";
  out += format_watch_waits(w);
  // The sampling error of the threads that ran longest.
  std::vector<const watched_thread*> busy;
  for (const auto& t : w.threads) {
    if (t.lane < w.sampling_errors.size() && w.sampling_errors[t.lane].exact_running_ns > 0) {
      busy.push_back(&t);
    }
  }
  if (busy.empty()) return out;
  std::stable_sort(busy.begin(), busy.end(), [&](const auto* a, const auto* b) {
    return w.sampling_errors[a->lane].exact_running_ns >
           w.sampling_errors[b->lane].exact_running_ns;
  });
  out += fmt::format(
      "sampled vs exact ({} looks; misplaced = time the sampled timeline put a thread on a CPU "
      "when it was not, or off when it was):\n",
      detail::millis(static_cast<double>(w.interval.count()) * 1e-6));
  out += fmt::format("  {:<24} {:>10} {:>10} {:>10} {:>9} {:>9}\n", "thread", "sampled", "exact",
                     "misplaced", "stretches", "shorter");
  const std::size_t shown = std::min<std::size_t>(busy.size(), 8);
  for (std::size_t k = 0; k < shown; ++k) {
    const auto& t = *busy[k];
    const sampling_error& e = w.sampling_errors[t.lane];
    out += fmt::format(
        "  {:<24} {:>10} {:>10} {:>9.0f}% {:>9} {:>9}\n", fmt::format("{} {}", t.name, t.tid),
        detail::millis(to_seconds(e.sampled_running_ns)),
        detail::millis(to_seconds(e.exact_running_ns)),
        100.0 * static_cast<double>(e.misplaced_ns) / static_cast<double>(e.exact_running_ns),
        e.stretches, e.short_stretches);
  }
  return out;
}

}  // namespace

std::string watch_to_json(const machine_info& machine, const watch_result& w,
                          const measured_run& run) {
  const bool short_run = too_short_to_judge(w);
  json exit = nullptr;
  if (w.exit_status) {
    const int st = *w.exit_status;
    exit = {{"exited", WIFEXITED(st)},
            {"status", WIFEXITED(st) ? json(WEXITSTATUS(st)) : json(nullptr)},
            {"signal", WIFSIGNALED(st) ? json(signal_name(WTERMSIG(st))) : json(nullptr)}};
  }
  json threads = json::array();
  for (const auto& t : w.threads) {
    threads.push_back({{"lane", t.lane},
                       {"pid", t.pid},
                       {"tid", t.tid},
                       {"name", t.name},
                       {"command", t.command},
                       {"first_seconds", to_seconds(t.first_ns - w.start_ns)},
                       {"last_seconds", to_seconds(t.last_ns - w.start_ns)},
                       {"cpu_seconds", to_seconds(t.cpu_ns)},
                       {"run_delay_seconds", to_seconds(t.run_delay_ns)},
                       {"timeslices", t.timeslices}});
    if (t.lane < w.sampling_errors.size()) {
      const sampling_error& e = w.sampling_errors[t.lane];
      threads.back()["sampling_error"] = {
          {"sampled_running_seconds", to_seconds(e.sampled_running_ns)},
          {"exact_running_seconds", to_seconds(e.exact_running_ns)},
          {"misplaced_seconds", to_seconds(e.misplaced_ns)},
          {"stretches", e.stretches},
          {"short_stretches", e.short_stretches}};
    }
  }
  json doc = {
      {"schema", "parlab.watch/1"},
      {"parlab_version", PARLAB_VERSION},
      {"build", detail::build_to_json()},
      {"machine", detail::machine_to_json(machine)},
      {"command", w.command},
      {"pid", w.root},
      {"cores", w.cores},
      {"interval_ms", static_cast<double>(w.interval.count()) / 1000.0},
      {"samples", w.samples},
      {"wall_seconds", w.wall_seconds()},
      {"exit", exit},
      {"interrupted", w.interrupted},
      {"too_short", short_run},
      {"verdict", short_run ? json(nullptr) : json(std::string(to_string(run.concurrency.result)))},
      {"processes", w.processes},
      {"seen_cpu_seconds", w.seen_cpu_seconds()},
      {"tree_cpu_seconds", w.tree_cpu_seconds ? json(*w.tree_cpu_seconds) : json(nullptr)},
      {"peak_rss_bytes", w.peak_rss_bytes ? json(*w.peak_rss_bytes) : json(nullptr)},
      {"sampler", {{"cpu_seconds", w.sampler_cpu_seconds}, {"core_share", w.sampler_core_share()}}},
      {"dropped", {{"threads", w.dropped_threads}, {"events", w.dropped_events}}},
      {"threads", std::move(threads)},
      {"run", detail::run_to_json(run)},
  };
  if (w.exact && w.exact->wakers) {
    const auto to_s = [&](std::int64_t ns) { return to_seconds(ns - w.start_ns); };
    json steps = json::array();
    for (const auto& s : program_critical_path(*w.exact, w.start_ns, w.end_ns)) {
      steps.push_back({{"pid", s.pid},
                       {"tid", s.tid},
                       {"name", process_name(w, s.pid)},
                       {"kind", std::string(to_string(s.how))},
                       {"start_seconds", to_s(s.start_ns)},
                       {"end_seconds", to_s(s.end_ns)}});
    }
    doc["critical_path"] = std::move(steps);
    json edges = json::array();
    for (const auto& e : wait_graph(*w.exact)) {
      edges.push_back({{"waker_pid", e.waker_pid},
                       {"waker_tid", e.waker_tid},
                       {"wakee_pid", e.wakee_pid},
                       {"wakee_tid", e.wakee_tid},
                       {"count", e.count}});
    }
    doc["wait_graph"] = std::move(edges);
    json latencies = json::array();
    for (const auto& l : wakeup_latencies(*w.exact)) {
      latencies.push_back({{"pid", l.pid},
                           {"tid", l.tid},
                           {"wakeups", l.wakeups},
                           {"total_seconds", to_seconds(l.total_ns)},
                           {"max_seconds", to_seconds(l.max_ns)}});
    }
    doc["wakeup_latency"] = std::move(latencies);
  }
  return doc.dump(2) + "\n";
}

std::string format_watch_summary(const watch_result& w, const measured_run& run) {
  std::string out;
  const std::string what = w.command.empty() ? fmt::format("pid {}", w.root) : joined(w.command);
  std::size_t pids = 0;
  {
    std::vector<pid_t> seen;
    for (const auto& t : w.threads) seen.push_back(t.pid);
    std::sort(seen.begin(), seen.end());
    pids = static_cast<std::size_t>(std::unique(seen.begin(), seen.end()) - seen.begin());
  }
  out += fmt::format("watched: {} · {} thread{} in {} process{} · {} · {} looks every {}\n", what,
                     w.threads.size(), w.threads.size() == 1 ? "" : "s", pids,
                     pids == 1 ? "" : "es", detail::millis(w.wall_seconds()), w.samples,
                     detail::millis(static_cast<double>(w.interval.count()) * 1e-6));
  if (w.samples > 1 && w.interval.count() > 0) {
    const double every = w.wall_seconds() / static_cast<double>(w.samples - 1);
    const double asked = static_cast<double>(w.interval.count()) * 1e-6;
    if (every > 1.5 * asked) {
      out += fmt::format(
          "looks were late: every {} on average, {} asked (the cores were busy: the sampler waited "
          "for one like any thread)\n",
          detail::millis(every), detail::millis(asked));
    }
  }
  if (w.exit_status) out += fmt::format("the command {}\n", exit_in_words(*w.exit_status));
  if (w.interrupted) out += "interrupted: what was seen until then\n";
  if (too_short_to_judge(w)) {
    out += fmt::format(
        "verdict: none - too short to judge (under two intervals of {} seen, or no thread "
        "seen working)\n",
        detail::millis(static_cast<double>(w.interval.count()) * 1e-6));
  } else {
    const auto& c = run.concurrency;
    out += fmt::format(
        "verdict: {} - {} in flight and {} running at most (held for {} or more), average "
        "parallelism {:.2f} on {} core{}\n",
        to_string(c.result), c.peak_in_flight, c.peak_running,
        detail::millis(to_seconds(watch_min_hold_ns(w.interval))), c.avg_parallelism, w.cores,
        w.cores == 1 ? "" : "s");
    if (run.busy) out += "cores busy: " + detail::busy_in_words(*run.busy) + "\n";
  }
  out += fmt::format("CPU: {:.3f} s seen", w.seen_cpu_seconds());
  if (w.tree_cpu_seconds && *w.tree_cpu_seconds > 0) {
    out +=
        fmt::format(" of {:.3f} s the kernel accounted to the command and its children ({:.1f}%)",
                    *w.tree_cpu_seconds, 100.0 * w.seen_cpu_seconds() / *w.tree_cpu_seconds);
  }
  out += "\n";
  // The threads that used the most CPU.
  std::vector<const watched_thread*> by_cpu;
  for (const auto& t : w.threads) by_cpu.push_back(&t);
  std::stable_sort(by_cpu.begin(), by_cpu.end(),
                   [](const auto* a, const auto* b) { return a->cpu_ns > b->cpu_ns; });
  const std::size_t shown = std::min<std::size_t>(by_cpu.size(), 8);
  for (std::size_t i = 0; i < shown; ++i) {
    const auto& t = *by_cpu[i];
    const std::string lane = t.lane < run.representative.lane_names.size()
                                 ? run.representative.lane_names[t.lane]
                                 : std::to_string(t.tid);
    std::string line = fmt::format("  {:<24} CPU {:>9}  run-queue wait {:>9}  {} timeslices", lane,
                                   detail::millis(to_seconds(t.cpu_ns)),
                                   detail::millis(to_seconds(t.run_delay_ns)), t.timeslices);
    if (t.lane < run.worker_time.size()) {
      line += "  · " + detail::time_split_in_words(run.worker_time[t.lane]);
    }
    out += line + "\n";
  }
  if (by_cpu.size() > shown) out += fmt::format("  ... and {} more\n", by_cpu.size() - shown);
  out += fmt::format("sampler: {} of CPU, {:.1f}% of one core\n",
                     detail::millis(w.sampler_cpu_seconds), 100.0 * w.sampler_core_share());
  if (w.exact) out += format_watch_exact(w);
  if (w.dropped_threads > 0 || w.dropped_events > 0) {
    out += fmt::format(
        "dropped: {} thread{} or process{} past the limit of lanes (--max-threads: counted, not "
        "drawn; their CPU is not in 'seen'), {} event{} past the event budget\n",
        w.dropped_threads, w.dropped_threads == 1 ? "" : "s", w.dropped_threads == 1 ? "" : "es",
        w.dropped_events, w.dropped_events == 1 ? "" : "s");
  }
  return out;
}

}  // namespace parlab
