// When the watch ends: which stretches of each watched thread were work in flight (watch_tasks),
// and the watch's own figures. Pure.

#include <parlab/clock.hpp>
#include <parlab/proc_sampler.hpp>

#include <algorithm>
#include <span>
#include <vector>

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

}  // namespace parlab
