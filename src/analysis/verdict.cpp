#include <parlab/verdict.hpp>

#include <algorithm>
#include <limits>
#include <utility>
#include <vector>

namespace parlab {

std::string_view to_string(verdict v) noexcept {
  switch (v) {
    case verdict::serial:
      return "serial";
    case verdict::concurrent:
      return "concurrent";
    case verdict::parallel:
      return "parallel";
    case verdict::concurrent_parallel:
      return "concurrent+parallel";
  }
  return "unknown";
}

std::optional<verdict> verdict_from_string(std::string_view name) noexcept {
  for (auto v :
       {verdict::serial, verdict::concurrent, verdict::parallel, verdict::concurrent_parallel}) {
    if (to_string(v) == name) return v;
  }
  return std::nullopt;
}

concurrency_summary classify(std::span<const task_interval> intervals, std::size_t cores) {
  concurrency_summary s;
  if (intervals.empty()) return s;

  // Sweep over start (+1) and end (-1) events; at equal times ends come first, so a task that
  // starts exactly when another ends does not count as overlapping it (half-open intervals).
  std::vector<std::pair<std::int64_t, int>> events;
  events.reserve(intervals.size() * 2);
  std::int64_t first = std::numeric_limits<std::int64_t>::max();
  std::int64_t last = std::numeric_limits<std::int64_t>::min();
  std::int64_t cpu = 0;
  for (const auto& i : intervals) {
    events.emplace_back(i.start_ns, +1);
    events.emplace_back(std::max(i.end_ns, i.start_ns), -1);
    first = std::min(first, i.start_ns);
    last = std::max(last, i.end_ns);
    cpu += std::max<std::int64_t>(i.cpu_ns, 0);
  }
  std::sort(events.begin(), events.end());
  std::int64_t in_flight = 0;
  std::int64_t peak = 0;
  for (const auto& [time, delta] : events) {
    in_flight += delta;
    peak = std::max(peak, in_flight);
  }
  s.peak_in_flight = static_cast<std::size_t>(peak);
  const std::int64_t span = std::max<std::int64_t>(last - first, 0);
  s.span_seconds = static_cast<double>(span) * 1e-9;
  s.avg_parallelism = span > 0 ? static_cast<double>(cpu) / static_cast<double>(span) : 0.0;

  s.result = decide(s.peak_in_flight, s.avg_parallelism, cores);
  return s;
}

verdict decide(std::size_t peak_in_flight, double avg_parallelism, std::size_t cores) noexcept {
  if (peak_in_flight <= 1) return verdict::serial;
  if (avg_parallelism > parallel_threshold) {
    return peak_in_flight > std::max<std::size_t>(cores, 1) ? verdict::concurrent_parallel
                                                            : verdict::parallel;
  }
  return verdict::concurrent;
}

}  // namespace parlab
