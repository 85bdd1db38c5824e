#include "report/drawing.hpp"

#include <parlab/clock.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

namespace parlab::detail {

std::string short_seconds(double s) {
  if (s < 1e-3) return fmt::format("{:.0f}us", s * 1e6);
  if (s < 1.0) return fmt::format("{:.1f}ms", s * 1e3);
  return fmt::format("{:.2f}s", s);
}

bool has_timeline(const measured_run& run) noexcept {
  return !run.representative.recorded.events.empty();
}

std::size_t lane_count(const measured_run& run) noexcept {
  std::size_t lanes = std::max<std::size_t>(run.workers, 1);
  for (const auto& e : run.representative.recorded.events) {
    if (e.worker != no_id) lanes = std::max<std::size_t>(lanes, std::size_t{e.worker} + 1);
  }
  return lanes;
}

std::int64_t timeline_end(const measured_run& run) noexcept {
  std::int64_t end = run.representative.end_ns;
  for (const auto& e : run.representative.recorded.events) end = std::max(end, e.end_ns);
  return end;
}

std::string_view lane_noun(const measured_run& run) noexcept {
  if (run.executor == "watch") return "thread";
  return run.executor.find("process") != std::string::npos ? "slot" : "worker";
}

std::string lane_label(const measured_run& run, std::size_t worker, std::size_t host_chars) {
  if (worker < run.representative.lane_names.size()) return run.representative.lane_names[worker];
  const auto& cluster = run.representative.cluster;
  const mpi_rank* rank = cluster ? cluster->rank_on_lane(worker) : nullptr;
  if (rank == nullptr || rank->host >= cluster->hosts.size()) {
    return fmt::format("{} {}", lane_noun(run), worker);
  }
  std::string host = cluster->hosts[rank->host].name;
  if (host.size() > host_chars) host = host.substr(0, host_chars > 0 ? host_chars - 1 : 0) + "…";
  return fmt::format("{} · rank {}", host, rank->rank);
}

std::string cluster_caption(const measured_run& run) {
  const auto& cluster = run.representative.cluster;
  if (!cluster) return {};
  std::string hosts;
  for (const auto& h : cluster->hosts) {
    std::string ranks;
    for (std::size_t i = 0; i < h.ranks.size(); ++i) {
      ranks += fmt::format("{}{}", i == 0 ? "" : ",", h.ranks[i]);
    }
    hosts += fmt::format("{}{} (rank{} {}", hosts.empty() ? "" : "; ", h.name,
                         h.ranks.size() == 1 ? "" : "s", ranks);
    if (h.reference) {
      hosts += cluster->hosts.size() > 1 ? ", the reference clock)" : ")";
    } else {
      const double u = h.uncertainty_ns;
      hosts +=
          fmt::format(", clock {:+.3f} ms ± {}, drift {:+.1f} µs/s)", h.offset_ns * 1e-6,
                      u < 1e3 ? fmt::format("{:.0f} ns", u)
                              : (u < 1e6 ? fmt::format("{:.1f} µs", u * 1e-3) : millis(u * 1e-9)),
                      h.drift * 1e6);
    }
  }
  std::string s = fmt::format("{} host{}: {}", cluster->hosts.size(),
                              cluster->hosts.size() == 1 ? "" : "s", hosts);
  for (const auto& r : cluster->ranks) {
    if (r.worker) continue;
    const double wall = run.representative.wall_seconds();
    s += fmt::format("; rank {} managed, using {} of CPU", r.rank, millis(r.usage.cpu_seconds()));
    if (wall > 0) s += fmt::format(" ({:.1f}% of a core)", 100.0 * r.usage.cpu_seconds() / wall);
  }
  s += fmt::format("; {} messages, ", cluster->message_count);
  s += cluster->impossible_messages == 0
           ? std::string("none received before it was sent")
           : fmt::format("{} received before they were sent (clock error beyond the alignment)",
                         cluster->impossible_messages);
  return s;
}

std::vector<int> cpus_used(const measured_run& run) {
  std::set<int> cpus;
  for (const auto& e : run.representative.recorded.events) {
    if (e.kind == event_kind::slice && e.cpu >= 0) cpus.insert(e.cpu);
  }
  return {cpus.begin(), cpus.end()};
}

std::string run_name(const measured_run& run) {
  return fmt::format("{} · {} · W={}", run.executor, run.workload, run.workers);
}

pipeline_occupancy occupancy_of(const measured_run& run) {
  pipeline_occupancy o;
  if (!run.pipeline) return o;
  o.tokens = run.pipeline->tokens;
  o.steps = items_in_flight(run.representative, run.pipeline->stages);
  o.peak = peak(o.steps);
  return o;
}

std::map<std::int32_t, std::vector<const event*>> slices_by_thread(const run_result& rep) {
  std::map<std::int32_t, std::vector<const event*>> slices_of;
  if (!rep.exact) return slices_of;
  // Each CPU's stretches are disjoint: (cpu, time) names one thread.
  std::map<std::int16_t, std::vector<const on_cpu_interval*>> by_cpu;
  for (const auto& i : rep.exact->intervals) by_cpu[i.cpu].push_back(&i);
  for (const auto& e : rep.recorded.events) {
    if (e.kind != event_kind::slice || e.task == no_id) continue;
    const auto cpu = by_cpu.find(e.cpu);
    if (cpu == by_cpu.end()) continue;
    const auto& list = cpu->second;
    const auto it = std::partition_point(list.begin(), list.end(), [&](const on_cpu_interval* i) {
      return i->start_ns <= e.start_ns;
    });
    if (it == list.begin() || (*std::prev(it))->end_ns < e.end_ns) continue;
    slices_of[(*std::prev(it))->tid].push_back(&e);
  }
  return slices_of;
}

thread_labels::thread_labels(const measured_run& run)
    : run_(run), slices_(slices_by_thread(run.representative)) {}

std::string thread_labels::operator()(std::int32_t pid, std::int32_t tid) const {
  const run_result& rep = run_.representative;
  const std::string suffix = fmt::format(" {}", tid);
  for (const auto& lane : rep.lane_names) {
    if (lane.ends_with(suffix)) return lane;
  }
  if (rep.lane_names.empty() && rep.exact && tid == rep.exact->root_tid) {
    return fmt::format("main thread (tid {})", tid);
  }
  if (const auto found = slices_.find(tid); found != slices_.end()) {
    return fmt::format("{} (tid {})", lane_label(run_, found->second.front()->worker), tid);
  }
  std::string name;
  if (rep.exact) {
    for (const auto& n : rep.exact->names) {
      if (n.pid == pid) name = n.name;  // the last exec's
    }
  }
  return name.empty() ? fmt::format("pid {} tid {}", pid, tid)
                      : fmt::format("{} {} tid {}", name, pid, tid);
}

std::vector<path_share> path_shares(const std::vector<path_step>& steps, bool by_thread) {
  std::vector<path_share> out;
  for (const auto& s : steps) {
    const std::int32_t key = by_thread ? s.tid : s.pid;
    auto it =
        std::find_if(out.begin(), out.end(), [&](const path_share& p) { return p.key == key; });
    if (it == out.end()) it = out.insert(out.end(), path_share{key, s.pid, {}});
    it->ns[static_cast<std::size_t>(s.how)] += s.end_ns - s.start_ns;
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const path_share& a, const path_share& b) { return a.total() > b.total(); });
  return out;
}

std::string path_share_in_words(const path_share& share) {
  std::string parts;
  for (const auto kind : {path_step::kind::running, path_step::kind::preempted,
                          path_step::kind::ready, path_step::kind::blocked}) {
    const std::int64_t ns = share.ns[static_cast<std::size_t>(kind)];
    if (ns <= 0) continue;
    parts +=
        fmt::format("{}{} {}", parts.empty() ? "" : " · ", to_string(kind), millis(to_seconds(ns)));
  }
  return parts;
}

program_path program_path_by_thread(const measured_run& run) {
  program_path out;
  const run_result& rep = run.representative;
  if (!rep.exact || !rep.exact->wakers) return out;
  const auto steps = program_critical_path(*rep.exact, rep.start_ns, rep.end_ns);
  for (const auto& st : steps) out.span_ns += st.end_ns - st.start_ns;
  if (out.span_ns <= 0) return out;
  const thread_labels label(run);
  for (const auto& p : path_shares(steps, true)) {
    out.rows.push_back({label(p.pid, p.key),
                        100.0 * static_cast<double>(p.total()) / static_cast<double>(out.span_ns),
                        path_share_in_words(p)});
  }
  return out;
}

namespace {

/// The program's critical path (switch records with every wake-up) on the run's lanes: each
/// running step cut where the lane's slices are (a slice lies on one CPU inside one stretch of
/// its thread, which says whose lane it is).
std::vector<critical_step> program_steps(const measured_run& run) {
  std::vector<critical_step> steps;
  const run_result& rep = run.representative;
  if (!rep.exact || !rep.exact->wakers || rep.exact->intervals.empty()) return steps;
  const switch_schedule& x = *rep.exact;
  const auto slices_of = slices_by_thread(rep);
  std::int64_t previous_end = -1;
  for (const auto& p : program_critical_path(x, rep.start_ns, rep.end_ns)) {
    if (p.how != path_step::kind::running) continue;
    const auto found = slices_of.find(p.tid);
    if (found == slices_of.end()) continue;
    for (const event* e : found->second) {
      const std::int64_t a = std::max(p.start_ns, e->start_ns);
      const std::int64_t b = std::min(p.end_ns, e->end_ns);
      if (b <= a) continue;
      critical_step s;
      s.task = e->task;
      s.worker = e->worker;
      s.start_ns = a;
      s.end_ns = b;
      s.ready_ns = previous_end >= 0 ? std::min(previous_end, a) : a;
      previous_end = b;
      steps.push_back(s);
    }
  }
  return steps;
}

}  // namespace

std::vector<critical_step> critical_steps(const measured_run& run) {
  std::vector<critical_step> steps;
  if (!run.graph) return program_steps(run);
  const auto& records = run.representative.records;
  std::int64_t previous_end = -1;
  for (std::size_t id : run.graph->critical_path) {
    if (id >= records.size()) continue;
    const task_record& r = records[id];
    if ((!r.ok && r.failure == failure_kind::never_ran) || r.end_ns <= r.start_ns) continue;
    critical_step s;
    s.task = static_cast<std::uint32_t>(id);
    s.worker = r.worker;
    s.start_ns = r.start_ns;
    s.end_ns = r.end_ns;
    s.ready_ns = previous_end >= 0 ? std::min(previous_end, r.start_ns) : r.start_ns;
    previous_end = r.end_ns;
    steps.push_back(s);
  }
  return steps;
}

std::string millis(double seconds) {
  const double ms = seconds * 1e3;
  if (ms < 1.0) return fmt::format("{:.2f} ms", ms);
  if (ms < 100.0) return fmt::format("{:.1f} ms", ms);
  return fmt::format("{:.0f} ms", ms);
}

std::string run_figures(const measured_run& run) {
  const auto& c = run.concurrency;
  std::string s =
      fmt::format("{}: avg parallelism {:.2f}, peak {} running / {} in flight, {} tasks, wall {}",
                  to_string(c.result), c.avg_parallelism, c.peak_running, c.peak_in_flight,
                  run.tasks, millis(run.representative.wall_seconds()));
  if (c.preemptions > 0) {
    s += fmt::format(", {} preemptions ({})", c.preemptions, millis(c.preempted_seconds));
  }
  if (c.gil_wait_fraction) s += fmt::format(", GIL wait {:.0f}%", *c.gil_wait_fraction * 100.0);
  if (run.speedup) s += fmt::format(", speedup {:.2f}x", *run.speedup);
  if (run.busy) s += ", cores busy: " + busy_in_words(*run.busy);
  return s;
}

std::string busy_in_words(const busy_bands& b) {
  return fmt::format("ideal {:.0f}% · ok {:.0f}% · poor {:.0f}% · idle {:.0f}%", b.ideal * 100.0,
                     b.ok * 100.0, b.poor * 100.0, b.idle * 100.0);
}

std::optional<time_split> all_workers_time(const measured_run& run) {
  if (run.worker_time.empty()) return std::nullopt;
  return summed(run.worker_time);
}

std::string switch_records_in_words(const switch_schedule& x) {
  const switch_counts& c = x.run;
  return fmt::format(
      "{} migrations; shortest stretch {}; {} records{}", c.migrations,
      c.shortest_ns > 0 ? short_seconds(static_cast<double>(c.shortest_ns) * 1e-9) : "-", x.records,
      x.lost == 0 ? ", none lost" : fmt::format(", {} LOST (a ring buffer was full)", x.lost));
}

std::string time_split_in_words(const time_split& split) {
  const double total = static_cast<double>(std::max<std::int64_t>(split.total(), 1));
  std::vector<std::pair<std::int64_t, time_reason>> order;
  for (std::size_t i = 0; i < time_reason_count; ++i) {
    order.emplace_back(split.ns[i], static_cast<time_reason>(i));
  }
  std::stable_sort(order.begin(), order.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  std::string out;
  for (const auto& [ns, reason] : order) {
    const double share = static_cast<double>(ns) / total * 100.0;
    if (share < 0.5) continue;
    out += fmt::format("{}{} {:.0f}%", out.empty() ? "" : " · ", to_string(reason), share);
  }
  return out;
}

std::string lock_in_words(const lock_stats& l) {
  const auto ms = [](std::int64_t ns) { return millis(to_seconds(ns)); };
  const double contended = l.acquisitions > 0 ? 100.0 * static_cast<double>(l.contended) /
                                                    static_cast<double>(l.acquisitions)
                                              : 0.0;
  std::string out =
      fmt::format("{}: taken {} times, {:.0f}% contended", l.name, l.acquisitions, contended);
  if (l.contended > 0) {
    out += fmt::format(", waited {} (median {}, max {})", ms(l.wait_total_ns), ms(l.wait_median_ns),
                       ms(l.wait_max_ns));
  }
  return out + fmt::format(", held {} (median {})", ms(l.hold_total_ns), ms(l.hold_median_ns));
}

std::string bytes_short(std::int64_t bytes) {
  if (bytes < 0) return "-";
  const double v = static_cast<double>(bytes);
  if (v < 1024.0 * 1024.0) return fmt::format("{:.0f}K", v / 1024.0);
  if (v < 1024.0 * 1024.0 * 1024.0) return fmt::format("{:.1f}M", v / (1024.0 * 1024.0));
  return fmt::format("{:.2f}G", v / (1024.0 * 1024.0 * 1024.0));
}

std::string memory_in_words(const measured_run& run) {
  std::string out = "peak RSS " + bytes_short(run.kernel.peak_rss_bytes);
  if (run.children) {
    out += fmt::format("; {} child processes: RSS {}, PSS {}, USS {}", run.children->processes,
                       bytes_short(run.children->rss_bytes), bytes_short(run.children->pss_bytes),
                       bytes_short(run.children->uss_bytes));
  }
  return out;
}

std::string_view reason_colour(time_reason reason) noexcept {
  switch (reason) {
    case time_reason::running:
      return "#2e7d32";
    case time_reason::preempted:
      return "#9e9e9e";
    case time_reason::ready:
      return "#fbc02d";
    case time_reason::lock:
      return "#ef6c00";
    case time_reason::gil:
      return "#d62728";
    case time_reason::sleep:
      return "#90caf9";
    case time_reason::io:
      return "#1565c0";
    case time_reason::other:
      return "#ce93d8";
    case time_reason::idle:
      break;
  }
  return "#eeeeee";
}

std::string verdict_explanation(const measured_run& run) {
  switch (run.concurrency.result) {
    case verdict::serial:
      return "Serial: one task at a time, one after another - the baseline every speedup divides.";
    case verdict::concurrent:
      if (run.concurrency.gil_wait_fraction && *run.concurrency.gil_wait_fraction > 0.2) {
        return "Concurrent, not parallel: every task was in flight, but the lock let only one "
               "compute at a time - the others waited for it (red), so there is no speedup.";
      }
      if (run.concurrency.waiting_seconds > run.concurrency.running_seconds) {
        return "Concurrent: many tasks in flight at once, mostly waiting (hatched) - waiting "
               "uses no CPU, so their waits overlap even on one core.";
      }
      return "Concurrent, not parallel: several tasks in flight, but they took turns on one "
             "core's worth of CPU - the gaps (grey) are where the kernel ran another task.";
    case verdict::parallel:
      return "Parallel: tasks ran at the same instant on different cores - the CPU lanes are "
             "busy together.";
    case verdict::concurrent_parallel:
      return "Concurrent and parallel: every core was busy at once, and more tasks were in "
             "flight than cores, so they also took turns (gaps) on each core.";
  }
  return {};
}

char task_glyph(std::uint32_t id) noexcept {
  static constexpr char glyphs[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  return glyphs[id % (sizeof glyphs - 1)];
}

std::string_view wait_description(wait_kind kind) noexcept {
  switch (kind) {
    case wait_kind::blocking:
      return "blocking call";
    case wait_kind::async:
      return "asynchronous I/O";
    case wait_kind::futex:
      return "futex (a lock, a condition, a join)";
    case wait_kind::sleep:
    case wait_kind::none:
      break;
  }
  return "sleep";
}

int task_hue(std::uint32_t id) noexcept {
  return static_cast<int>((static_cast<std::uint64_t>(id) * 137 + 200) % 360);
}

}  // namespace parlab::detail
