// The kernel's switch records made useful (pure): counting switches, and turning a run's or a
// watched lane's estimated slices into the exact stretches. The collector that reads the records
// is src/core/switch_collector.cpp.

#include <parlab/switch_records.hpp>

#include <parlab/timeline.hpp>

#include <algorithm>
#include <map>
#include <unordered_map>
#include <utility>

namespace parlab {

// ---- Counting and refining (pure) -------------------------------------------------------------

switch_counts count_switches(std::span<const on_cpu_interval> intervals, std::int64_t from,
                             std::int64_t to, std::optional<std::int32_t> tid) {
  switch_counts c;
  std::unordered_map<std::int32_t, std::int16_t> last_cpu;
  for (const auto& i : intervals) {
    if (tid && i.tid != *tid) continue;
    if (i.end_ns <= from || i.start_ns >= to) continue;
    ++c.intervals;
    c.on_cpu_ns += std::min(i.end_ns, to) - std::max(i.start_ns, from);
    if (!i.ended_after && !i.exited && i.end_ns < to) {
      if (i.preempted) {
        ++c.preempted;
      } else {
        ++c.voluntary;
      }
    }
    if (!i.started_before && !i.ended_after) {
      const std::int64_t len = i.end_ns - i.start_ns;
      if (c.shortest_ns == 0 || len < c.shortest_ns) c.shortest_ns = len;
    }
    const auto [it, first] = last_cpu.try_emplace(i.tid, i.cpu);
    if (!first) {
      if (it->second != i.cpu) ++c.migrations;
      it->second = i.cpu;
    }
  }
  return c;
}

namespace {

bool running_kind(event_kind k) noexcept {
  return k == event_kind::slice || k == event_kind::preempted;
}

}  // namespace

std::size_t refine_with_switches(timeline& recorded, std::span<const task_thread> threads,
                                 const switch_schedule& schedule) {
  // Each thread's stretches, in start order (the schedule is ordered by start).
  std::unordered_map<std::int32_t, std::vector<const on_cpu_interval*>> by_tid;
  for (const auto& i : schedule.intervals) by_tid[i.tid].push_back(&i);
  // A task whose process the records hold under another number (a rank on another host whose
  // thread id is also one here) is not this host's thread: it keeps its own events.
  std::unordered_map<std::uint32_t, std::int32_t> tid_of;
  for (const auto& t : threads) {
    const auto found = by_tid.find(t.tid);
    if (found != by_tid.end() && found->second.front()->pid == t.pid) tid_of[t.task] = t.tid;
  }

  // The running events of each (task, worker), split into spans of events that touch: what the
  // recorder saw as the task running (or preempted) without waiting in between.
  std::map<std::pair<std::uint32_t, std::uint32_t>, std::vector<event>> running;
  std::vector<event> kept;
  kept.reserve(recorded.events.size());
  for (const auto& e : recorded.events) {
    const auto tid = tid_of.find(e.task);
    if (running_kind(e.kind) && e.task != no_id && tid != tid_of.end()) {
      running[{e.task, e.worker}].push_back(e);
    } else {
      kept.push_back(e);
    }
  }
  std::size_t refined = 0;
  for (auto& [key, events] : running) {
    const auto& mine = by_tid[tid_of[key.first]];
    std::sort(events.begin(), events.end(),
              [](const event& a, const event& b) { return a.start_ns < b.start_ns; });
    const auto add = [&](std::int64_t from, std::int64_t to, event_kind kind, std::int16_t cpu) {
      if (to <= from) return;
      event e{from, to, key.first, key.second, cpu, kind};
      if (kind == event_kind::wait) e.wait = wait_kind::blocking;
      kept.push_back(e);
    };
    // The thread off the CPU between `from` and `to`: taken away, or blocked.
    const auto off = [&](std::int64_t from, std::int64_t to, const on_cpu_interval* before) {
      add(from, to,
          before == nullptr || before->preempted ? event_kind::preempted : event_kind::wait, -1);
    };
    std::size_t k = 0;
    while (k < events.size()) {
      const std::int64_t from = events[k].start_ns;
      std::int64_t to = events[k].end_ns;
      for (++k; k < events.size() && events[k].start_ns <= to; ++k) {
        to = std::max(to, events[k].end_ns);
      }
      // The thread's stretches within [from, to].
      auto it =
          std::lower_bound(mine.begin(), mine.end(), from,
                           [](const on_cpu_interval* i, std::int64_t t) { return i->end_ns <= t; });
      std::int64_t at = from;
      const on_cpu_interval* before = nullptr;
      for (; it != mine.end() && (*it)->start_ns < to; ++it) {
        const auto& i = **it;
        const std::int64_t a = std::max(from, i.start_ns);
        const std::int64_t b = std::min(to, i.end_ns);
        if (a > at) off(at, a, before);
        add(a, b, event_kind::slice, i.cpu);
        at = std::max(at, b);
        before = &i;
      }
      if (at < to) off(at, to, before);
    }
    ++refined;
  }
  std::stable_sort(kept.begin(), kept.end(),
                   [](const event& a, const event& b) { return a.start_ns < b.start_ns; });
  recorded.events = std::move(kept);
  return refined;
}

namespace {

using span_list = std::vector<std::pair<std::int64_t, std::int64_t>>;

/// Sorted, disjoint: adjacent or overlapping spans merged.
span_list merged(span_list spans) {
  std::sort(spans.begin(), spans.end());
  span_list out;
  for (const auto& s : spans) {
    if (s.second <= s.first) continue;
    if (!out.empty() && s.first <= out.back().second) {
      out.back().second = std::max(out.back().second, s.second);
    } else {
      out.push_back(s);
    }
  }
  return out;
}

std::int64_t length(const span_list& spans, std::int64_t from, std::int64_t to) {
  std::int64_t n = 0;
  for (const auto& [a, b] : spans)
    n += std::max<std::int64_t>(0, std::min(b, to) - std::max(a, from));
  return n;
}

/// The parts of [a, b) outside `covered` (sorted, disjoint).
span_list outside(std::int64_t a, std::int64_t b, const span_list& covered) {
  span_list out;
  auto it = std::lower_bound(covered.begin(), covered.end(), a,
                             [](const auto& s, std::int64_t t) { return s.second <= t; });
  std::int64_t at = a;
  for (; it != covered.end() && it->first < b; ++it) {
    if (it->first > at) out.emplace_back(at, it->first);
    at = std::max(at, it->second);
  }
  if (at < b) out.emplace_back(at, b);
  return out;
}

}  // namespace

sampling_error refine_watch_lane(std::vector<event>& lane, std::span<const on_cpu_interval> mine,
                                 std::uint32_t worker, std::int64_t from, std::int64_t to,
                                 std::int64_t short_ns) {
  sampling_error err;
  span_list sampled, exact;
  for (const auto& e : lane) {
    if (e.kind == event_kind::slice) sampled.emplace_back(e.start_ns, e.end_ns);
  }
  std::vector<event> out;
  span_list covered;  // on a CPU, or preempted
  for (std::size_t k = 0; k < mine.size(); ++k) {
    const auto& i = mine[k];
    exact.emplace_back(i.start_ns, i.end_ns);
    out.push_back({i.start_ns, i.end_ns, no_id, worker, i.cpu, event_kind::slice});
    covered.emplace_back(i.start_ns, i.end_ns);
    if (i.preempted && k + 1 < mine.size() && mine[k + 1].start_ns > i.end_ns) {
      out.push_back({i.end_ns, mine[k + 1].start_ns, no_id, worker, -1, event_kind::preempted});
      covered.emplace_back(i.end_ns, mine[k + 1].start_ns);
    }
    if (i.end_ns > from && i.start_ns < to && !i.started_before && !i.ended_after) {
      ++err.stretches;
      if (i.end_ns - i.start_ns < short_ns) ++err.short_stretches;
    }
  }
  covered = merged(std::move(covered));
  for (const auto& e : lane) {
    if (running_kind(e.kind)) continue;
    if (e.start_ns == e.end_ns) {  // an instant
      out.push_back(e);
      continue;
    }
    for (const auto& [a, b] : outside(e.start_ns, e.end_ns, covered)) {
      event piece = e;
      piece.start_ns = a;
      piece.end_ns = b;
      out.push_back(piece);
    }
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const event& a, const event& b) { return a.start_ns < b.start_ns; });
  lane = std::move(out);
  sampled = merged(std::move(sampled));
  exact = merged(std::move(exact));
  err.sampled_running_ns = length(sampled, from, to);
  err.exact_running_ns = length(exact, from, to);
  // |S \ E| + |E \ S| = |S| + |E| - 2 |S n E|.
  std::int64_t both = 0;
  for (const auto& [a, b] : sampled) {
    for (const auto& [c, d] : outside(a, b, exact))
      both -= std::max<std::int64_t>(0, std::min(d, to) - std::max(c, from));
    both += std::max<std::int64_t>(0, std::min(b, to) - std::max(a, from));
  }
  err.misplaced_ns = err.sampled_running_ns + err.exact_running_ns - 2 * both;
  return err;
}

std::string_view to_string(path_step::kind k) noexcept {
  switch (k) {
    case path_step::kind::running:
      return "running";
    case path_step::kind::preempted:
      return "preempted";
    case path_step::kind::ready:
      return "ready";
    case path_step::kind::blocked:
      return "blocked";
  }
  return "running";
}

std::vector<path_step> critical_path(const switch_schedule& s, std::int32_t tid, std::int64_t from,
                                     std::int64_t to) {
  std::unordered_map<std::int32_t, std::vector<const on_cpu_interval*>> stretches;
  for (const auto& i : s.intervals) stretches[i.tid].push_back(&i);
  std::unordered_map<std::int32_t, std::vector<const wakeup*>> woken;
  for (const auto& w : s.wakeups) woken[w.wakee_tid].push_back(&w);
  std::unordered_map<std::int32_t, const thread_start*> started;
  for (const auto& st : s.starts) started.emplace(st.tid, &st);
  std::unordered_map<std::int32_t, std::int32_t> pid_of;
  for (const auto& i : s.intervals) pid_of.emplace(i.tid, i.pid);

  std::vector<path_step> steps;
  const auto add = [&](std::int64_t a, std::int64_t b, path_step::kind how) {
    a = std::max(a, from);
    if (b <= a) return;
    const auto p = pid_of.find(tid);
    steps.push_back({a, b, p == pid_of.end() ? 0 : p->second, tid, how});
  };
  std::int64_t t = to;
  // Each turn moves t back, or moves to another thread at the same t once (a wake-up or a start
  // is strictly inside the waker's or starter's life); the bound only guards a cycle in
  // inconsistent records.
  std::size_t turns = 4 * (s.intervals.size() + s.wakeups.size() + s.starts.size()) + 16;
  while (t > from && turns-- > 0) {
    const auto& mine = stretches[tid];
    // The last stretch that began before t.
    const auto it = std::partition_point(mine.begin(), mine.end(),
                                         [&](const on_cpu_interval* i) { return i->start_ns < t; });
    if (it == mine.begin()) {  // before its first stretch: whoever started it
      const auto st = started.find(tid);
      if (st == started.end() || st->second->time_ns >= t) break;
      add(st->second->time_ns, t, path_step::kind::ready);
      t = st->second->time_ns;
      tid = st->second->parent_tid;
      continue;
    }
    const on_cpu_interval& i = **std::prev(it);
    if (i.end_ns >= t) {  // on a CPU at t
      add(i.start_ns, t, path_step::kind::running);
      t = i.start_ns;
      continue;
    }
    if (i.preempted) {
      add(i.end_ns, t, path_step::kind::preempted);
      t = i.end_ns;
      continue;
    }
    // Blocked from i.end_ns: the last wake-up before t ended the wait.
    const wakeup* w = nullptr;
    if (const auto ws = woken.find(tid); ws != woken.end()) {
      const auto& list = ws->second;
      const auto wit = std::partition_point(list.begin(), list.end(),
                                            [&](const wakeup* x) { return x->time_ns <= t; });
      if (wit != list.begin() && (*std::prev(wit))->time_ns > i.end_ns) w = *std::prev(wit);
    }
    if (w != nullptr && w->waker_tid != 0 && w->waker_tid != tid &&
        stretches.contains(w->waker_tid)) {
      add(w->time_ns, t, path_step::kind::ready);
      t = w->time_ns;
      tid = w->waker_tid;
      continue;
    }
    add(i.end_ns, t, path_step::kind::blocked);
    t = i.end_ns;
  }
  std::reverse(steps.begin(), steps.end());
  return steps;
}

path_end program_end(const switch_schedule& s, std::int64_t until) noexcept {
  path_end root{s.root_tid, 0, true};
  path_end latest{0, 0, false};
  for (const auto& i : s.intervals) {
    if (i.tid == s.root_tid) root.at_ns = std::max(root.at_ns, i.end_ns);
    if (i.end_ns > latest.at_ns) latest = {i.tid, i.end_ns, false};
  }
  path_end end = root.at_ns > 0 ? root : latest.at_ns > 0 ? latest : path_end{s.root_tid, until};
  end.at_ns = std::min(until, end.at_ns);
  return end;
}

std::vector<path_step> program_critical_path(const switch_schedule& s, std::int64_t from,
                                             std::int64_t until) {
  const path_end end = program_end(s, until);
  return critical_path(s, end.tid, from, end.at_ns);
}

std::vector<wakeup_latency> wakeup_latencies(const switch_schedule& s) {
  std::unordered_map<std::int32_t, std::vector<const on_cpu_interval*>> stretches;
  for (const auto& i : s.intervals) stretches[i.tid].push_back(&i);
  std::map<std::int32_t, wakeup_latency> by_tid;
  for (const auto& w : s.wakeups) {
    const auto found = stretches.find(w.wakee_tid);
    if (found == stretches.end()) continue;
    const auto& mine = found->second;
    const auto it = std::partition_point(mine.begin(), mine.end(), [&](const on_cpu_interval* i) {
      return i->start_ns < w.time_ns;
    });
    if (it != mine.begin() && (*std::prev(it))->end_ns > w.time_ns) continue;  // running then
    if (it == mine.end()) continue;  // never ran again while recorded
    const std::int64_t waited = (*it)->start_ns - w.time_ns;
    auto& l = by_tid[w.wakee_tid];
    l.pid = w.wakee_pid;
    l.tid = w.wakee_tid;
    ++l.wakeups;
    l.total_ns += waited;
    l.max_ns = std::max(l.max_ns, waited);
  }
  std::vector<wakeup_latency> out;
  for (const auto& [tid, l] : by_tid) out.push_back(l);
  std::stable_sort(out.begin(), out.end(), [](const wakeup_latency& a, const wakeup_latency& b) {
    return a.total_ns > b.total_ns;
  });
  return out;
}

std::vector<wait_edge> wait_graph(const switch_schedule& s) {
  std::map<std::pair<std::int32_t, std::int32_t>, wait_edge> edges;
  for (const auto& w : s.wakeups) {
    auto& e = edges[{w.waker_tid, w.wakee_tid}];
    e.waker_pid = w.waker_pid;
    e.waker_tid = w.waker_tid;
    e.wakee_pid = w.wakee_pid;
    e.wakee_tid = w.wakee_tid;
    ++e.count;
  }
  std::vector<wait_edge> out;
  for (const auto& [key, e] : edges) out.push_back(e);
  std::stable_sort(out.begin(), out.end(),
                   [](const wait_edge& a, const wait_edge& b) { return a.count > b.count; });
  return out;
}

}  // namespace parlab
