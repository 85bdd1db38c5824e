#include <parlab/clock.hpp>
#include <parlab/experiment.hpp>
#include <parlab/timeline_analysis.hpp>

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <map>
#include <optional>
#include <utility>
#include <vector>

namespace parlab {
namespace {

using busy_interval = std::pair<std::int64_t, std::int64_t>;

/// Sweeps intervals into a step function.
std::vector<step_point> count_over_time(const std::vector<busy_interval>& intervals) {
  // (time, delta); at equal times -1 sorts before +1: half-open intervals.
  std::vector<std::pair<std::int64_t, int>> edges;
  edges.reserve(intervals.size() * 2);
  for (const auto& [start, end] : intervals) {
    edges.emplace_back(start, +1);
    edges.emplace_back(std::max(end, start), -1);
  }
  std::sort(edges.begin(), edges.end());
  std::vector<step_point> out;
  std::int64_t count = 0;
  for (const auto& [t, delta] : edges) {
    count += delta;
    const auto c = static_cast<std::size_t>(std::max<std::int64_t>(count, 0));
    if (!out.empty() && out.back().t_ns == t) {
      out.back().count = c;
    } else if (out.empty() || out.back().count != c) {
      out.push_back({t, c});
    }
  }
  return out;
}

double seconds_of(std::int64_t ns) { return to_seconds(std::max<std::int64_t>(ns, 0)); }

/// The reason an event gives the time it covers, or nullopt (queued instants, holds).
std::optional<time_reason> reason_of(const event& e) noexcept {
  switch (e.kind) {
    case event_kind::slice:
      return time_reason::running;
    case event_kind::preempted:
      return time_reason::preempted;
    case event_kind::ready:
      return time_reason::ready;
    case event_kind::lock_wait:
      return time_reason::lock;
    case event_kind::gil_wait:
      return time_reason::gil;
    case event_kind::wait:
      if (e.wait == wait_kind::futex) return time_reason::lock;  // a watched thread's futex
      return e.wait == wait_kind::sleep ? time_reason::sleep : time_reason::io;
    case event_kind::task:
      return time_reason::other;
    case event_kind::queued:
    case event_kind::gil_hold:
    case event_kind::lock_hold:
      break;
  }
  return std::nullopt;
}

/// Splits [from, to) by the reasons of `events`: at each instant the first reason (in
/// time_reason's order) that some event gives it, else `rest`. Sums to to - from.
time_split split_window(std::span<const event* const> events, std::int64_t from, std::int64_t to,
                        time_reason rest) {
  time_split out;
  if (to <= from) return out;
  std::vector<std::pair<std::int64_t, int>> edges;  // (time, +-(reason + 1))
  edges.reserve(events.size() * 2);
  for (const event* e : events) {
    const auto reason = reason_of(*e);
    const std::int64_t a = std::max(e->start_ns, from);
    const std::int64_t b = std::min(e->end_ns, to);
    if (!reason || b <= a) continue;
    const int r = static_cast<int>(*reason) + 1;
    edges.emplace_back(a, r);
    edges.emplace_back(b, -r);
  }
  std::sort(edges.begin(), edges.end());
  std::array<int, time_reason_count> open{};
  const auto current = [&] {
    for (std::size_t i = 0; i < open.size(); ++i) {
      if (open[i] > 0) return static_cast<time_reason>(i);
    }
    return rest;
  };
  std::int64_t at = from;
  for (const auto& [t, change] : edges) {
    if (t > at) {
      out[current()] += t - at;
      at = t;
    }
    open[static_cast<std::size_t>(std::abs(change) - 1)] += change > 0 ? 1 : -1;
  }
  out[current()] += to - at;
  return out;
}

// Worker ids above this in a timeline (from a file) are not lanes anyone can draw.
constexpr std::uint32_t kMaxLanes = 1U << 16U;

}  // namespace

std::string_view to_string(time_reason reason) noexcept {
  constexpr std::array<std::string_view, time_reason_count> names = {
      "running", "preempted", "ready", "lock", "gil", "sleep", "io", "other", "idle"};
  const auto i = static_cast<std::size_t>(reason);
  return i < names.size() ? names[i] : "unknown";
}

std::int64_t time_split::total() const noexcept {
  std::int64_t sum = 0;
  for (const std::int64_t v : ns) sum += v;
  return sum;
}

time_split& time_split::operator+=(const time_split& other) noexcept {
  for (std::size_t i = 0; i < ns.size(); ++i) ns[i] += other.ns[i];
  return *this;
}

time_split summed(std::span<const time_split> splits) noexcept {
  time_split all;
  for (const auto& s : splits) all += s;
  return all;
}

std::vector<time_split> worker_time_split(std::span<const event> events, std::size_t workers,
                                          std::int64_t from, std::int64_t to) {
  std::vector<std::vector<const event*>> by_worker(std::min<std::size_t>(workers, kMaxLanes));
  for (const auto& e : events) {
    if (e.worker == no_id || e.worker >= kMaxLanes) continue;
    if (e.worker >= by_worker.size()) by_worker.resize(e.worker + std::size_t{1});
    by_worker[e.worker].push_back(&e);
  }
  std::vector<time_split> out;
  out.reserve(by_worker.size());
  for (const auto& mine : by_worker) out.push_back(split_window(mine, from, to, time_reason::idle));
  return out;
}

std::vector<std::pair<std::uint32_t, time_split>> task_time_split(std::span<const event> events) {
  struct one_task {
    std::optional<std::int64_t> queued;
    std::optional<std::pair<std::int64_t, std::int64_t>> life;
    std::vector<const event*> events;
  };
  std::map<std::uint32_t, one_task> tasks;
  for (const auto& e : events) {
    if (e.task == no_id) continue;
    one_task& t = tasks[e.task];
    if (e.kind == event_kind::queued) {
      t.queued = e.start_ns;
    } else if (e.kind == event_kind::task) {
      t.life = std::pair{e.start_ns, e.end_ns};
    } else {
      t.events.push_back(&e);
    }
  }
  std::vector<std::pair<std::uint32_t, time_split>> out;
  out.reserve(tasks.size());
  for (const auto& [id, t] : tasks) {
    if (!t.life) continue;  // never started (a run cut short)
    time_split split = split_window(t.events, t.life->first, t.life->second, time_reason::other);
    if (t.queued && *t.queued < t.life->first)
      split[time_reason::idle] += t.life->first - *t.queued;
    out.emplace_back(id, split);
  }
  return out;
}

std::vector<step_point> tasks_in_flight(std::span<const event> events) {
  std::vector<busy_interval> tasks;
  for (const auto& e : events) {
    if (e.kind == event_kind::task) tasks.emplace_back(e.start_ns, e.end_ns);
  }
  return count_over_time(tasks);
}

std::vector<step_point> tasks_running(std::span<const event> events) {
  // Per CPU, the union of its slices; slices of an unknown CPU count one by one.
  std::map<std::int16_t, std::vector<busy_interval>> by_cpu;
  std::vector<busy_interval> busy;
  for (const auto& e : events) {
    if (e.kind != event_kind::slice) continue;
    if (e.cpu < 0) {
      busy.emplace_back(e.start_ns, e.end_ns);
    } else {
      by_cpu[e.cpu].emplace_back(e.start_ns, std::max(e.end_ns, e.start_ns));
    }
  }
  for (auto& [cpu, slices] : by_cpu) {
    std::sort(slices.begin(), slices.end());
    busy_interval current = slices.front();
    for (const auto& s : slices) {
      if (s.first < current.second) {
        current.second = std::max(current.second, s.second);
      } else {
        busy.push_back(current);
        current = s;
      }
    }
    busy.push_back(current);
  }
  return count_over_time(busy);
}

std::vector<double> cores_busy_shares(std::span<const event> events, std::int64_t from,
                                      std::int64_t to) {
  if (to <= from) return {};
  const auto steps = tasks_running(events);
  std::vector<double> time;  // nanoseconds at each count
  const auto add = [&](std::size_t count, std::int64_t a, std::int64_t b) {
    a = std::max(a, from);
    b = std::min(b, to);
    if (b <= a) return;
    if (time.size() <= count) time.resize(count + 1, 0.0);
    time[count] += static_cast<double>(b - a);
  };
  std::int64_t at = from;
  std::size_t count = 0;
  for (const auto& p : steps) {
    add(count, at, p.t_ns);
    at = std::max(at, p.t_ns);
    count = p.count;
  }
  add(count, at, to);
  const double wall = static_cast<double>(to - from);
  for (double& t : time) t /= wall;
  return time;
}

busy_bands bands_of(std::span<const double> shares, std::size_t cores) noexcept {
  busy_bands b;
  const double n = static_cast<double>(std::max<std::size_t>(cores, 1));
  for (std::size_t k = 0; k < shares.size(); ++k) {
    const double used = static_cast<double>(k) / n;
    if (k == 0) {
      b.idle += shares[k];
    } else if (used <= 0.5) {
      b.poor += shares[k];
    } else if (used <= 0.85) {
      b.ok += shares[k];
    } else {
      b.ideal += shares[k];
    }
  }
  return b;
}

std::vector<lock_stats> lock_statistics(std::span<const event> events) {
  // A lock wait's run-queue delay after the wake-up is the `ready` event that starts where the
  // wait ended, on the same lane.
  std::map<std::pair<std::uint32_t, std::int64_t>, std::int64_t> ready_at;  // (worker, start)
  for (const auto& e : events) {
    if (e.kind == event_kind::ready) ready_at[{e.worker, e.start_ns}] = e.end_ns - e.start_ns;
  }
  struct samples {
    std::vector<std::int64_t> waits, holds;
  };
  std::map<std::uint32_t, samples> by_lock;
  for (const auto& e : events) {
    if (e.object == no_id) continue;
    const std::int64_t d = std::max<std::int64_t>(e.end_ns - e.start_ns, 0);
    if (e.kind == event_kind::lock_hold) {
      by_lock[e.object].holds.push_back(d);
    } else if (e.kind == event_kind::lock_wait) {
      const auto r = ready_at.find({e.worker, e.end_ns});
      by_lock[e.object].waits.push_back(d + (r != ready_at.end() ? r->second : 0));
    }
  }
  const auto summarise = [](std::vector<std::int64_t>& v, std::int64_t& total, std::int64_t& middle,
                            std::int64_t& largest) {
    if (v.empty()) return;
    std::sort(v.begin(), v.end());
    for (const std::int64_t x : v) total += x;
    middle = v[(v.size() - 1) / 2];
    largest = v.back();
  };
  std::vector<lock_stats> out;
  for (auto& [lock, s] : by_lock) {
    lock_stats l;
    l.lock = lock;
    l.acquisitions = s.holds.size();
    l.contended = s.waits.size();
    summarise(s.waits, l.wait_total_ns, l.wait_median_ns, l.wait_max_ns);
    summarise(s.holds, l.hold_total_ns, l.hold_median_ns, l.hold_max_ns);
    out.push_back(std::move(l));
  }
  std::stable_sort(out.begin(), out.end(), [](const lock_stats& a, const lock_stats& b) {
    return a.wait_total_ns > b.wait_total_ns;
  });
  return out;
}

std::size_t peak(std::span<const step_point> steps, std::int64_t min_hold_ns) noexcept {
  std::size_t p = 0;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const bool held = i + 1 == steps.size() || steps[i + 1].t_ns - steps[i].t_ns >= min_hold_ns;
    if (held) p = std::max(p, steps[i].count);
  }
  return p;
}

concurrency_summary summarize(std::span<const event> events, std::size_t workers, std::size_t cores,
                              std::span<const std::int64_t> lane_uncertainty_ns) {
  concurrency_summary s;
  s.from_timeline = true;
  std::int64_t first = std::numeric_limits<std::int64_t>::max();
  std::int64_t last = std::numeric_limits<std::int64_t>::min();
  std::int64_t running = 0, preempted = 0, waiting = 0, gil_wait = 0;
  bool has_gil = false;
  std::map<std::uint32_t, std::int64_t> queued_at;
  std::map<std::uint32_t, std::int64_t> started_at;
  for (const auto& e : events) {
    const std::int64_t d = std::max<std::int64_t>(e.end_ns - e.start_ns, 0);
    switch (e.kind) {
      case event_kind::queued:
        queued_at.emplace(e.task, e.start_ns);
        break;
      case event_kind::task:
        first = std::min(first, e.start_ns);
        last = std::max(last, e.end_ns);
        started_at.emplace(e.task, e.start_ns);
        break;
      case event_kind::slice:
        running += d;
        break;
      case event_kind::preempted:
        preempted += d;
        ++s.preemptions;
        break;
      case event_kind::wait:
        waiting += d;
        break;
      case event_kind::gil_wait:
        gil_wait += d;
        has_gil = true;
        break;
      case event_kind::gil_hold:
        has_gil = true;
        break;
      case event_kind::ready:
      case event_kind::lock_wait:
      case event_kind::lock_hold:
        break;
    }
  }
  // Lanes whose clock is uncertain count in the peaks only with that uncertainty taken off both
  // ends of their events.
  std::vector<event> shrunk;
  std::span<const event> for_peaks = events;
  if (std::any_of(lane_uncertainty_ns.begin(), lane_uncertainty_ns.end(),
                  [](std::int64_t u) { return u > 0; })) {
    shrunk.reserve(events.size());
    for (event e : events) {
      const std::int64_t u = e.worker < lane_uncertainty_ns.size()
                                 ? std::max<std::int64_t>(lane_uncertainty_ns[e.worker], 0)
                                 : 0;
      if (u > 0 && e.kind != event_kind::queued) {
        if (e.end_ns - e.start_ns <= 2 * u) continue;  // too short to place against the others
        e.start_ns += u;
        e.end_ns -= u;
      }
      shrunk.push_back(e);
    }
    for_peaks = shrunk;
  }
  s.peak_in_flight = peak(tasks_in_flight(for_peaks));
  // Overlaps shorter than running_overlap_min_ns may be edge noise; one task running is not.
  const auto running_steps = tasks_running(for_peaks);
  s.peak_running = std::max(peak(running_steps, running_overlap_min_ns),
                            std::min<std::size_t>(peak(running_steps), 1));
  const std::int64_t span = first <= last ? last - first : 0;
  s.span_seconds = seconds_of(span);
  s.avg_parallelism = span > 0 ? static_cast<double>(running) / static_cast<double>(span) : 0.0;
  s.running_seconds = seconds_of(running);
  s.preempted_seconds = seconds_of(preempted);
  s.waiting_seconds = seconds_of(waiting);
  s.result = decide(s.peak_in_flight, s.avg_parallelism, cores);

  std::vector<double> latencies;
  for (const auto& [task, started] : started_at) {
    if (auto q = queued_at.find(task); q != queued_at.end()) {
      latencies.push_back(seconds_of(started - q->second));
    }
  }
  if (!latencies.empty()) {
    s.queue_latency_seconds.max = *std::max_element(latencies.begin(), latencies.end());
    s.queue_latency_seconds.median = median(std::move(latencies));
  }
  if (has_gil && span > 0 && workers > 0) {
    s.gil_wait_fraction =
        std::min(1.0, static_cast<double>(gil_wait) /
                          (static_cast<double>(span) * static_cast<double>(workers)));
  }
  return s;
}

}  // namespace parlab
