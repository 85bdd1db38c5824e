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

/// A futex wait of a thread that ran less than this share of the time around it is a
/// coordinator's (a join, a pool waiting for work), not a turn taken at a lock or a GIL: CPython
/// threads sharing the GIL each run 1/N of the time, over 10% for fewer than ten threads.
constexpr double coordinator_duty = 0.05;

/// Running time on one lane before each instant (its slices never overlap).
class running_before {
 public:
  explicit running_before(std::span<const event> events) {
    for (const auto& e : events) {
      if (e.kind != event_kind::slice) continue;
      starts_.push_back(e.start_ns);
      ends_.push_back(e.end_ns);
      sums_.push_back((sums_.empty() ? 0 : sums_.back()) + (e.end_ns - e.start_ns));
    }
  }
  /// Running time in [0, t).
  [[nodiscard]] std::int64_t at(std::int64_t t) const {
    const auto i = static_cast<std::size_t>(std::upper_bound(starts_.begin(), starts_.end(), t) -
                                            starts_.begin());  // slices starting before t
    if (i == 0) return 0;
    const std::int64_t full = i > 1 ? sums_[i - 2] : 0;
    return full + std::min(ends_[i - 1], t) - starts_[i - 1];
  }

 private:
  std::vector<std::int64_t> starts_, ends_, sums_;
};

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

void watch_tasks(std::vector<event>& events, std::uint32_t& next_task, std::int64_t idle_after_ns,
                 std::span<const time_window> children_alive) {
  // Waits split at the windows' edges, each piece marked as supervising or not.
  std::vector<event> pieces;
  std::vector<bool> supervising;
  pieces.reserve(events.size());
  for (const auto& e : events) {
    if (e.kind != event_kind::wait || children_alive.empty()) {
      pieces.push_back(e);
      supervising.push_back(false);
      continue;
    }
    std::int64_t at = e.start_ns;
    for (const auto& w : children_alive) {
      if (w.to <= at || w.from >= e.end_ns) continue;
      if (w.from > at) {  // before the window
        event part = e;
        part.start_ns = at;
        part.end_ns = w.from;
        pieces.push_back(part);
        supervising.push_back(false);
        at = w.from;
      }
      event part = e;  // inside it
      part.start_ns = at;
      part.end_ns = std::min(w.to, e.end_ns);
      pieces.push_back(part);
      supervising.push_back(true);
      at = part.end_ns;
      if (at >= e.end_ns) break;
    }
    if (at < e.end_ns) {
      event part = e;
      part.start_ns = at;
      pieces.push_back(part);
      supervising.push_back(false);
    }
  }
  // A futex wait is idle when long (a join, an idle worker), or when the thread barely ran over
  // the wait and the idle_after_ns before it (a coordinator joining its workers one by one).
  const running_before ran(pieces);
  const std::int64_t first = pieces.empty() ? 0 : pieces.front().start_ns;
  const auto idle = [&](std::size_t i) {
    const event& e = pieces[i];
    if (supervising[i]) return true;
    if (e.kind != event_kind::wait || e.wait != wait_kind::futex) return false;
    if (e.end_ns - e.start_ns >= idle_after_ns) return true;
    const std::int64_t from = std::max(first, e.start_ns - idle_after_ns);
    const auto span = static_cast<double>(e.end_ns - from);
    return span > 0 &&
           static_cast<double>(ran.at(e.end_ns) - ran.at(from)) < coordinator_duty * span;
  };
  std::vector<event> tasks;
  std::size_t i = 0;
  while (i < pieces.size()) {
    if (idle(i)) {
      ++i;
      continue;
    }
    // A stretch: from here while events follow each other without a gap or an idle wait.
    const std::uint32_t id = next_task++;
    event task;
    task.kind = event_kind::task;
    task.worker = pieces[i].worker;
    task.task = id;
    task.start_ns = pieces[i].start_ns;
    task.end_ns = pieces[i].end_ns;
    for (; i < pieces.size(); ++i) {
      event& e = pieces[i];
      if (idle(i) || e.start_ns > task.end_ns) break;
      e.task = id;
      task.end_ns = std::max(task.end_ns, e.end_ns);
    }
    tasks.push_back(task);
  }
  events = std::move(pieces);
  events.insert(events.end(), tasks.begin(), tasks.end());
}

double watch_result::wall_seconds() const noexcept {
  return to_seconds(std::max<std::int64_t>(end_ns - start_ns, 0));
}

double watch_result::seen_cpu_seconds() const noexcept {
  std::int64_t ns = 0;
  for (const auto& t : threads) ns += t.cpu_ns;
  return to_seconds(ns);
}

double watch_result::sampler_core_share() const noexcept {
  const double wall = wall_seconds();
  return wall > 0 ? sampler_cpu_seconds / wall : 0.0;
}

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
    r.worker_time = worker_time_split(w.events, w.threads.size(), w.start_ns, w.end_ns);
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
