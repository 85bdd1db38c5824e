#include <parlab/clock.hpp>
#include <parlab/experiment.hpp>
#include <parlab/timeline_analysis.hpp>

#include <algorithm>
#include <limits>
#include <map>
#include <utility>
#include <vector>

namespace parlab {
namespace {

using interval = std::pair<std::int64_t, std::int64_t>;

/// Sweeps intervals into a step function.
std::vector<step_point> count_over_time(const std::vector<interval>& intervals) {
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

}  // namespace

std::vector<step_point> tasks_in_flight(std::span<const event> events) {
  std::vector<interval> tasks;
  for (const auto& e : events) {
    if (e.kind == event_kind::task) tasks.emplace_back(e.start_ns, e.end_ns);
  }
  return count_over_time(tasks);
}

std::vector<step_point> tasks_running(std::span<const event> events) {
  // Per CPU, the union of its slices; slices of an unknown CPU count one by one.
  std::map<std::int16_t, std::vector<interval>> by_cpu;
  std::vector<interval> busy;
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
    interval current = slices.front();
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
