// Chrome Trace Event Format (the JSON ui.perfetto.dev and chrome://tracing open): a process per
// run, a thread track per worker, complete events for what each worker did, counter tracks.

#include <parlab/pictures.hpp>
#include <parlab/switch_records.hpp>
#include <parlab/timeline_analysis.hpp>

#include "report/drawing.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <optional>
#include <tuple>

namespace parlab {
namespace {

using json = nlohmann::ordered_json;

// Track ids inside a run's process: workers are 0..W-1; GIL holds and the queue get their own.
constexpr std::int64_t kGilTrackBase = 1000;
constexpr std::int64_t kQueueTrack = 999;
constexpr std::int64_t kManagerTrack = 998;
constexpr std::int64_t kCriticalTrack = 997;  // the program's critical path (--exact as root)
constexpr std::int64_t kLockTrackBase =
    2000;  // named locks' holds, per worker  // the mpi model's dynamic manager (rank 0)

double micros(std::int64_t ns) { return static_cast<double>(ns) * 1e-3; }

std::string event_name(const event& e) {
  switch (e.kind) {
    case event_kind::task:
      return fmt::format("task {}", e.task);
    case event_kind::slice:
      return fmt::format("running task {}", e.task);
    case event_kind::preempted:
      return "preempted";
    case event_kind::wait:
      return fmt::format("waiting ({})", detail::wait_description(e.wait));
    case event_kind::gil_wait:
      return "waiting for the GIL";
    case event_kind::gil_hold:
      return "holding the GIL";
    case event_kind::ready:
      return "ready (woken, waiting for a CPU)";
    case event_kind::lock_wait:
      return fmt::format("waiting for lock {}", e.object);
    case event_kind::lock_hold:
      return fmt::format("holding lock {}", e.object);
    case event_kind::queued:
      return fmt::format("task {} queued", e.task);
  }
  return "?";
}

/// An MPI run's messages: a zero-length slice where each send began and where its receive
/// ended, joined by a flow arrow; the dynamic manager (rank 0, no worker lane) gets a track.
void add_messages(json& trace_events, const mpi_cluster& cluster, std::int64_t pid,
                  std::int64_t origin, std::int64_t& flow_id) {
  const auto track_of = [&](int rank) -> std::optional<std::int64_t> {
    if (rank < 0 || static_cast<std::size_t>(rank) >= cluster.ranks.size()) return std::nullopt;
    const auto& r = cluster.ranks[static_cast<std::size_t>(rank)];
    return r.worker ? static_cast<std::int64_t>(*r.worker) : kManagerTrack;
  };
  for (const auto& r : cluster.ranks) {
    if (r.worker || r.host >= cluster.hosts.size()) continue;
    trace_events.push_back(
        {{"ph", "M"},
         {"name", "thread_name"},
         {"pid", pid},
         {"tid", kManagerTrack},
         {"args",
          {{"name", fmt::format("{} · rank {} (manager)", cluster.hosts[r.host].name, r.rank)}}}});
  }
  for (const auto& m : cluster.messages) {
    const auto from = track_of(m.from);
    const auto to = track_of(m.to);
    if (!from || !to) continue;
    ++flow_id;
    json args = {{"from rank", m.from}, {"to rank", m.to}};
    if (m.task != no_id) args["task"] = m.task;
    const std::string what = m.task != no_id ? fmt::format("{} {}", m.kind, m.task) : m.kind;
    for (const bool send : {true, false}) {
      const double ts = micros((send ? m.send_started_ns : m.receive_ended_ns) - origin);
      const std::int64_t tid = send ? *from : *to;
      trace_events.push_back({{"ph", "X"},
                              {"name", fmt::format("{} {}", send ? "send" : "receive", what)},
                              {"cat", "message"},
                              {"pid", pid},
                              {"tid", tid},
                              {"ts", ts},
                              {"dur", 0},
                              {"args", args}});
      trace_events.push_back({{"ph", send ? "s" : "f"},
                              {"name", m.kind},
                              {"cat", "message"},
                              {"id", flow_id},
                              {"pid", pid},
                              {"tid", tid},
                              {"ts", ts},
                              {"bp", "e"}});
    }
  }
}

/// A task graph's edges: a flow arrow from the end of each task to the start of every task that
/// waited for it ("critical path" for the edges of the longest chain, else "dependency").
void add_dependencies(json& trace_events, const run_result& rep,
                      const std::vector<std::size_t>& critical, std::int64_t pid,
                      std::int64_t origin, std::int64_t& flow_id) {
  std::vector<std::size_t> next_on_path(rep.records.size(), SIZE_MAX);
  for (std::size_t k = 0; k + 1 < critical.size(); ++k) {
    if (critical[k] < next_on_path.size()) next_on_path[critical[k]] = critical[k + 1];
  }
  for (std::size_t i = 0; i < rep.records.size(); ++i) {
    const task_record& to = rep.records[i];
    if (to.failure == failure_kind::never_ran) continue;
    for (const std::size_t p : rep.after[i]) {
      if (p >= rep.records.size()) continue;
      const task_record& from = rep.records[p];
      const bool on_path = next_on_path[p] == i;
      const char* name = on_path ? "critical path" : "dependency";
      ++flow_id;
      // The start binds to the predecessor's task slice just before it ends, the finish to the
      // successor's slice where it starts (the enclosing slices, Perfetto's binding points).
      trace_events.push_back(
          {{"ph", "s"},
           {"name", name},
           {"cat", "dependency"},
           {"id", flow_id},
           {"pid", pid},
           {"tid", std::int64_t(from.worker)},
           {"ts", micros(std::max(from.start_ns, from.end_ns - 1000) - origin)}});
      trace_events.push_back({{"ph", "f"},
                              {"name", name},
                              {"cat", "dependency"},
                              {"id", flow_id},
                              {"pid", pid},
                              {"tid", std::int64_t(to.worker)},
                              {"ts", micros(to.start_ns - origin)},
                              {"bp", "e"}});
    }
  }
}

/// The recorded program's critical path (switch records with every wake-up: `--exact` as root)
/// on a track of its own: a slice per step, named by how the thread spent it and which thread.
void add_critical_path(json& trace_events, const measured_run& run, std::int64_t pid,
                       std::int64_t origin) {
  const run_result& rep = run.representative;
  if (!rep.exact || !rep.exact->wakers) return;
  const switch_schedule& x = *rep.exact;
  const auto steps = program_critical_path(x, rep.start_ns, rep.end_ns);
  if (steps.empty()) return;
  trace_events.push_back({{"ph", "M"},
                          {"name", "thread_name"},
                          {"pid", pid},
                          {"tid", kCriticalTrack},
                          {"args", {{"name", "critical path"}}}});
  const detail::thread_labels name_of(run);
  for (const auto& st : steps) {
    trace_events.push_back(
        {{"ph", "X"},
         {"name", fmt::format("{}: {}", to_string(st.how), name_of(st.pid, st.tid))},
         {"cat", "critical path"},
         {"pid", pid},
         {"tid", kCriticalTrack},
         {"ts", micros(st.start_ns - origin)},
         {"dur", micros(std::max<std::int64_t>(st.end_ns - st.start_ns, 0))},
         {"args", {{"pid", st.pid}, {"tid", st.tid}, {"how", std::string(to_string(st.how))}}}});
  }
}

}  // namespace

std::string to_chrome_trace(const machine_info& machine, const std::vector<measured_run>& runs) {
  json trace_events = json::array();
  std::int64_t pid = 0;
  std::int64_t flow_id = 0;
  for (const auto& run : runs) {
    if (!detail::has_timeline(run)) continue;
    ++pid;
    const run_result& rep = run.representative;
    const std::int64_t origin = rep.start_ns;
    trace_events.push_back({{"ph", "M"},
                            {"name", "process_name"},
                            {"pid", pid},
                            {"tid", 0},
                            {"args", {{"name", detail::run_name(run)}}}});
    trace_events.push_back({{"ph", "M"},
                            {"name", "process_sort_index"},
                            {"pid", pid},
                            {"tid", 0},
                            {"args", {{"sort_index", pid}}}});
    const bool gil = run.concurrency.gil_wait_fraction.has_value();
    const bool locks = std::any_of(rep.recorded.events.begin(), rep.recorded.events.end(),
                                   [](const event& e) { return e.kind == event_kind::lock_hold; });
    for (std::size_t w = 0; w < detail::lane_count(run); ++w) {
      const auto tid = static_cast<std::int64_t>(w);
      trace_events.push_back({{"ph", "M"},
                              {"name", "thread_name"},
                              {"pid", pid},
                              {"tid", tid},
                              {"args", {{"name", detail::lane_label(run, w)}}}});
      trace_events.push_back({{"ph", "M"},
                              {"name", "thread_sort_index"},
                              {"pid", pid},
                              {"tid", tid},
                              {"args", {{"sort_index", tid}}}});
      if (gil) {
        trace_events.push_back({{"ph", "M"},
                                {"name", "thread_name"},
                                {"pid", pid},
                                {"tid", kGilTrackBase + tid},
                                {"args", {{"name", detail::lane_label(run, w) + " GIL"}}}});
      }
      if (locks) {
        trace_events.push_back({{"ph", "M"},
                                {"name", "thread_name"},
                                {"pid", pid},
                                {"tid", kLockTrackBase + tid},
                                {"args", {{"name", detail::lane_label(run, w) + " locks"}}}});
      }
    }
    trace_events.push_back({{"ph", "M"},
                            {"name", "thread_name"},
                            {"pid", pid},
                            {"tid", kQueueTrack},
                            {"args", {{"name", "queue"}}}});

    // Per track, events in start order with the longer first at equal starts, so a task's span
    // encloses its slices and waits (proper nesting for the viewers).
    std::vector<event> events(rep.recorded.events.begin(), rep.recorded.events.end());
    std::stable_sort(events.begin(), events.end(), [](const event& a, const event& b) {
      return std::tuple(a.worker, a.start_ns, b.end_ns) <
             std::tuple(b.worker, b.start_ns, a.end_ns);
    });
    for (const auto& e : events) {
      const std::string kind(to_string(e.kind));
      if (e.kind == event_kind::queued) {
        trace_events.push_back({{"ph", "i"},
                                {"name", event_name(e)},
                                {"cat", kind},
                                {"pid", pid},
                                {"tid", kQueueTrack},
                                {"s", "t"},
                                {"ts", micros(e.start_ns - origin)},
                                {"args", {{"task", e.task}}}});
        continue;
      }
      if (e.worker == no_id) continue;
      const std::int64_t track = e.kind == event_kind::gil_hold    ? kGilTrackBase
                                 : e.kind == event_kind::lock_hold ? kLockTrackBase
                                                                   : 0;
      const std::int64_t tid = track + std::int64_t{e.worker};
      json args = json::object();
      if (e.task != no_id) args["task"] = e.task;
      if (e.kind == event_kind::slice) args["cpu"] = e.cpu;
      if (e.wait != wait_kind::none) args["wait"] = std::string(to_string(e.wait));
      if (e.object != no_id) args["lock"] = e.object;
      trace_events.push_back({{"ph", "X"},
                              {"name", event_name(e)},
                              {"cat", kind},
                              {"pid", pid},
                              {"tid", tid},
                              {"ts", micros(e.start_ns - origin)},
                              {"dur", micros(std::max<std::int64_t>(e.end_ns - e.start_ns, 0))},
                              {"args", std::move(args)}});
    }

    if (rep.cluster) add_messages(trace_events, *rep.cluster, pid, origin, flow_id);
    add_critical_path(trace_events, run, pid, origin);
    if (rep.after.size() == rep.records.size() && !rep.recorded.events.empty()) {
      add_dependencies(trace_events, rep,
                       run.graph ? run.graph->critical_path : std::vector<std::size_t>{}, pid,
                       origin, flow_id);
    }

    // Counter tracks: tasks in flight and tasks running.
    const auto counter = [&](const char* name, const std::vector<step_point>& steps) {
      for (const auto& s : steps) {
        trace_events.push_back({{"ph", "C"},
                                {"name", name},
                                {"pid", pid},
                                {"tid", 0},
                                {"ts", micros(s.t_ns - origin)},
                                {"args", {{"tasks", s.count}}}});
      }
    };
    counter("tasks in flight", tasks_in_flight(rep.recorded.events));
    counter("tasks running", tasks_running(rep.recorded.events));
  }
  const json doc = {
      {"traceEvents", std::move(trace_events)},
      {"displayTimeUnit", "ms"},
      {"otherData",
       {{"generator", "parlab " PARLAB_VERSION},
        {"cpu_model", machine.cpu_model},
        {"cores", machine.cores},
        {"hostname", machine.hostname}}},
  };
  return doc.dump(1, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace parlab
