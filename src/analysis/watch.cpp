// What a watch saw, as a run: the tasks (stretches in flight), the summary with peaks held long
// enough for the sampler to resolve them, the verdict by decide(). Pure.

#include <parlab/clock.hpp>
#include <parlab/timeline_analysis.hpp>
#include <parlab/watch.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <limits>

namespace parlab {
namespace {

std::string basename_of(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

/// The largest count the step function reaches for at least `hold_ns` at a stretch, dips shorter
/// than `gap_ns` bridged (a sampler's own wake-up takes a core for microseconds every interval:
/// that does not end a stretch of two threads running). 0 for no steps.
std::size_t held_level(std::span<const step_point> steps, std::int64_t hold_ns,
                       std::int64_t gap_ns) {
  std::size_t top = 0;
  for (const auto& p : steps) top = std::max(top, p.count);
  for (std::size_t k = top; k > 1; --k) {
    std::int64_t from = -1, last_end = -1;
    for (std::size_t i = 0; i < steps.size(); ++i) {
      const std::int64_t end = i + 1 < steps.size() ? steps[i + 1].t_ns : steps[i].t_ns;
      if (steps[i].count < k) continue;
      if (from < 0 || steps[i].t_ns - last_end > gap_ns) from = steps[i].t_ns;  // a new stretch
      last_end = end;
      if (last_end - from >= hold_ns) return k;
    }
  }
  return std::min<std::size_t>(top, 1);
}

/// Peaks with the sampler's resolution - a level held for `min_hold_ns`, dips under an interval
/// bridged - and the verdict from them.
void with_held_peaks(concurrency_summary& s, std::span<const event> events, std::size_t cores,
                     std::int64_t min_hold_ns, std::int64_t interval_ns) {
  s.peak_in_flight = held_level(tasks_in_flight(events), min_hold_ns, interval_ns);
  s.peak_running = held_level(tasks_running(events), min_hold_ns, interval_ns);
  s.result = decide(s.peak_in_flight, s.avg_parallelism, cores);
}

}  // namespace

bool too_short_to_judge(const watch_result& w) noexcept {
  const std::int64_t interval_ns = static_cast<std::int64_t>(w.interval.count()) * 1000;
  if (w.end_ns - w.start_ns < 2 * interval_ns) return true;
  return std::none_of(w.events.begin(), w.events.end(),
                      [](const event& e) { return e.kind == event_kind::task; });
}

std::int64_t watch_min_hold_ns(std::chrono::microseconds interval) noexcept {
  return std::max<std::int64_t>(10 * static_cast<std::int64_t>(interval.count()) * 1000,
                                10'000'000);
}

measured_run watch_run(const watch_result& w, std::int64_t min_hold_ns) {
  measured_run r;
  r.executor = "watch";
  r.workload = w.command.empty() ? "pid " + std::to_string(w.root) : basename_of(w.command[0]);
  r.workers = w.threads.size();
  r.repeat = 1;
  const double wall = w.wall_seconds();
  r.wall_samples = {wall};
  r.wall_median = r.wall_min = r.wall_max = wall;
  r.cpu_utilisation = wall > 0 ? w.seen_cpu_seconds() / wall : 0.0;
  r.kernel.peak_rss_bytes = w.peak_rss_bytes.value_or(-1);
  r.kernel.voluntary_switches = w.voluntary_switches.value_or(-1);
  r.kernel.involuntary_switches = w.involuntary_switches.value_or(-1);
  std::int64_t first = std::numeric_limits<std::int64_t>::max();
  std::int64_t last = std::numeric_limits<std::int64_t>::min();
  for (const auto& e : w.events) {
    if (e.kind != event_kind::task) continue;
    ++r.tasks;
    first = std::min(first, e.start_ns);
    last = std::max(last, e.end_ns);
  }
  run_result& rep = r.representative;
  rep.executor = "watch";
  rep.workers = w.threads.size();
  rep.start_ns = w.start_ns;
  rep.end_ns = w.end_ns;
  rep.recorded.events = w.events;
  rep.recorded.dropped = w.dropped_events;
  rep.exact = w.exact;
  rep.lane_names.reserve(w.threads.size());
  for (const auto& t : w.threads) {
    rep.lane_names.push_back(fmt::format("{} {}", t.name, t.tid));
  }
  r.concurrency = summarize(w.events, w.threads.size(), std::max<std::size_t>(w.cores, 1));
  with_held_peaks(r.concurrency, w.events, std::max<std::size_t>(w.cores, 1), min_hold_ns,
                  static_cast<std::int64_t>(w.interval.count()) * 1000);
  if (first < last) {
    r.cores_busy = cores_busy_shares(w.events, first, last);
    r.busy = bands_of(r.cores_busy, std::max<std::size_t>(w.cores, 1));
  }
  if (w.start_ns < w.end_ns) {
    // Each lane over its thread's life (first to last look, or to its first and last stretch
    // with --exact): a compiler that lived 0.5 s of a 3 s build is not "idle 80%".
    std::vector<std::vector<event>> by_lane(w.threads.size());
    for (const auto& e : w.events) {
      if (e.worker < by_lane.size()) {
        by_lane[e.worker].push_back(e);
        by_lane[e.worker].back().worker = 0;
      }
    }
    r.worker_time.reserve(w.threads.size());
    for (std::size_t i = 0; i < w.threads.size(); ++i) {
      const auto& t = w.threads[i];
      const bool known = t.first_ns < t.last_ns;  // else: the whole watch
      const std::int64_t from =
          known ? std::max(w.start_ns, std::min(t.first_ns, w.end_ns)) : w.start_ns;
      const std::int64_t to = known ? std::max(from, std::min(t.last_ns, w.end_ns)) : w.end_ns;
      r.worker_time.push_back(to > from ? worker_time_split(by_lane[i], 1, from, to).front()
                                        : time_split{});
    }
  }
  return r;
}

concurrency_summary watch_summary(std::span<const event> events, std::size_t lanes,
                                  std::size_t cores, std::int64_t from, std::int64_t to,
                                  std::int64_t min_hold_ns, std::int64_t interval_ns) {
  std::vector<event> clipped;
  for (event e : events) {
    if (e.end_ns <= from || e.start_ns >= to) continue;
    e.start_ns = std::max(e.start_ns, from);
    e.end_ns = std::min(e.end_ns, to);
    clipped.push_back(e);
  }
  cores = std::max<std::size_t>(cores, 1);
  concurrency_summary s = summarize(clipped, lanes, cores);
  with_held_peaks(s, clipped, cores, min_hold_ns, interval_ns);
  return s;
}

}  // namespace parlab
