#include <parlab/build_info.hpp>
#include <parlab/clock.hpp>
#include <parlab/executor.hpp>
#include <parlab/report.hpp>
#include <parlab/timeline_analysis.hpp>

#include <nlohmann/json.hpp>

#include <map>

#include "report/machine_json.hpp"

namespace parlab {
namespace {

using json = nlohmann::ordered_json;  // keeps keys in the documented order

json optional_number(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

/// A count, or null when it is not known (-1).
json known_count(std::int64_t n) { return n >= 0 ? json(n) : json(nullptr); }

json parameters_to_json(const std::vector<std::pair<std::string, double>>& parameters) {
  json j = json::object();
  for (const auto& [name, value] : parameters) j[name] = value;
  return j;
}

json failure_texts(const std::vector<task_failure>& failures) {
  json out = json::array();
  for (const auto& f : failures) out.push_back(f.describe());
  return out;
}

json failure_kinds(const std::vector<task_failure>& failures) {
  json out = json::array();
  for (const auto& f : failures) out.push_back(to_string(f.kind));
  return out;
}

json cluster_to_json(const mpi_cluster& c, std::int64_t origin) {
  json hosts = json::array();
  for (const auto& h : c.hosts) {
    hosts.push_back({{"name", h.name},
                     {"cores", h.cores},
                     {"ranks", h.ranks},
                     {"reference", h.reference},
                     {"offset_ns", h.offset_ns},
                     {"drift", h.drift},
                     {"at_remote_ns", h.at_remote_ns},
                     {"uncertainty_ns", h.uncertainty_ns},
                     {"round_trip_ns", h.round_trip_ns}});
  }
  json ranks = json::array();
  for (const auto& r : c.ranks) {
    ranks.push_back({{"rank", r.rank},
                     {"host", r.host},
                     {"worker", r.worker ? json(*r.worker) : json(nullptr)},
                     {"cpu_user_seconds", r.usage.user_seconds},
                     {"cpu_system_seconds", r.usage.system_seconds}});
  }
  json messages = json::array();
  for (const auto& m : c.messages) {
    messages.push_back({{"kind", m.kind},
                        {"from", m.from},
                        {"to", m.to},
                        {"task", m.task == no_id ? json(nullptr) : json(m.task)},
                        {"send_seconds", to_seconds(m.send_started_ns - origin)},
                        {"receive_seconds", to_seconds(m.receive_ended_ns - origin)}});
  }
  return {{"hosts", std::move(hosts)},
          {"ranks", std::move(ranks)},
          {"message_count", c.message_count},
          {"impossible_messages", c.impossible_messages},
          {"messages", std::move(messages)}};
}

/// A split of time by reason, in seconds: {"running": s, "preempted": s, ...}.
/// Rows of a model with an emulated interpreter lock carry its forced switches (a row of a name
/// not registered here - CPython's, a watch's - has none).
bool has_interpreter_lock(const std::string& executor) {
  for (const auto& e : executors()) {
    if (e.name == executor) return e.has_interpreter_lock;
  }
  return false;
}

json counts_to_json(const switch_counts& c) {
  return {{"intervals", c.intervals},
          {"preempted", c.preempted},
          {"voluntary", c.voluntary},
          {"migrations", c.migrations},
          {"on_cpu_seconds", to_seconds(c.on_cpu_ns)},
          {"shortest_seconds", to_seconds(c.shortest_ns)}};
}

}  // namespace

/// The switch records: their counts over the run, each thread's, and every stretch.
nlohmann::ordered_json detail::exact_to_json(const switch_schedule& x, std::int64_t origin,
                                             std::int64_t end) {
  json j = {{"records", x.records},
            {"lost", x.lost},
            {"buffer_bytes", x.buffer_bytes},
            {"threads_attached", x.threads},
            {"wakers", x.wakers},
            {"root_tid", x.root_tid},
            {"recorded_from_seconds", to_seconds(x.start_ns - origin)},
            {"recorded_to_seconds", to_seconds(x.end_ns - origin)},
            {"run", counts_to_json(x.run)}};
  if (x.intervals.empty()) return j;
  std::map<std::int32_t, std::int32_t> pid_of;
  for (const auto& i : x.intervals) pid_of.emplace(i.tid, i.pid);
  json threads = json::array();
  for (const auto& [tid, pid] : pid_of) {
    json one = {{"pid", pid}, {"tid", tid}};
    one.update(counts_to_json(count_switches(x.intervals, origin, end, tid)));
    threads.push_back(std::move(one));
  }
  j["threads"] = std::move(threads);
  json stretches = json::array();
  for (const auto& i : x.intervals) {
    std::string how = i.preempted ? "preempted" : i.exited ? "exited" : "blocked";
    if (i.ended_after) how = "recording ended";
    stretches.push_back(json::array({to_seconds(i.start_ns - origin), to_seconds(i.end_ns - origin),
                                     i.pid, i.tid, i.cpu, how, i.started_before}));
  }
  j["intervals"] = std::move(stretches);
  // Who woke whom, who started whom, and the names taken at exec: what the critical path is
  // computed from again when a saved result is read back (parlab report).
  json wakeups = json::array();
  for (const auto& w : x.wakeups) {
    wakeups.push_back(json::array(
        {to_seconds(w.time_ns - origin), w.waker_pid, w.waker_tid, w.wakee_pid, w.wakee_tid}));
  }
  j["wakeups"] = std::move(wakeups);
  json starts = json::array();
  for (const auto& t : x.starts) {
    starts.push_back(
        json::array({to_seconds(t.time_ns - origin), t.parent_pid, t.parent_tid, t.pid, t.tid}));
  }
  j["starts"] = std::move(starts);
  json names = json::array();
  for (const auto& n : x.names) names.push_back(json::array({n.pid, n.tid, n.name}));
  j["names"] = std::move(names);
  return j;
}

namespace {

json split_to_json(const time_split& split) {
  json j = json::object();
  for (std::size_t i = 0; i < time_reason_count; ++i) {
    j[std::string(to_string(static_cast<time_reason>(i)))] = to_seconds(split.ns[i]);
  }
  return j;
}

}  // namespace

namespace detail {
nlohmann::ordered_json run_to_json(const measured_run& r) {
  json j = {
      {"workload", r.workload},
      {"executor", r.executor},
      {"workers", r.workers},
      {"tasks", r.tasks},
      {"size", r.size},
      {"seed", r.seed},
      {"parameters", parameters_to_json(r.parameters)},
      {"repeat", r.repeat},
      {"is_baseline", r.is_baseline},
      {"wall_seconds", r.wall_median},
      {"wall_seconds_min", r.wall_min},
      {"wall_seconds_max", r.wall_max},
      {"wall_seconds_samples", r.wall_samples},
      {"start_monotonic_ns", r.representative.start_ns},
      {"speedup", optional_number(r.speedup)},
      {"efficiency", optional_number(r.efficiency)},
      {"cpu_seconds", r.kernel.cpu_seconds()},
      {"cpu_user_seconds", r.kernel.user_seconds},
      {"cpu_system_seconds", r.kernel.system_seconds},
      {"cpu_utilisation", r.cpu_utilisation},
      {"others_cores", optional_number(r.others_cores)},
      {"context_switches",
       {{"voluntary", known_count(r.kernel.voluntary_switches)},
        {"involuntary", known_count(r.kernel.involuntary_switches)}}},
      {"peak_rss_bytes", known_count(r.kernel.peak_rss_bytes)},
      {"minor_faults", r.minor_faults >= 0 ? json(r.minor_faults) : json(nullptr)},
      {"verdict", std::string(to_string(r.concurrency.result))},
      {"peak_in_flight", r.concurrency.peak_in_flight},
      {"peak_running", r.concurrency.peak_running},
      {"avg_parallelism", r.concurrency.avg_parallelism},
      {"queue_latency_seconds",
       {{"median", r.concurrency.queue_latency_seconds.median},
        {"max", r.concurrency.queue_latency_seconds.max}}},
      {"running_seconds", r.concurrency.running_seconds},
      {"waiting_seconds", r.concurrency.waiting_seconds},
      {"preemptions", r.concurrency.preemptions},
      {"preempted_seconds", r.concurrency.preempted_seconds},
      {"from_timeline", r.concurrency.from_timeline},
      {"events_dropped", r.representative.recorded.dropped},
      {"failed_tasks", r.failed_tasks},
      {"failures", failure_texts(r.failures)},
      {"failure_kinds", failure_kinds(r.failures)},
      {"warm_up_failures", failure_texts(r.warm_up_failures)},
      {"warm_up_failure_kinds", failure_kinds(r.warm_up_failures)},
  };
  if (r.concurrency.gil_wait_fraction) j["gil_wait_fraction"] = *r.concurrency.gil_wait_fraction;
  if (!r.cores_busy.empty()) j["cores_busy"] = r.cores_busy;
  if (r.busy) {
    j["cores_busy_bands"] = {{"idle", r.busy->idle},
                             {"poor", r.busy->poor},
                             {"ok", r.busy->ok},
                             {"ideal", r.busy->ideal}};
  }
  if (has_interpreter_lock(r.executor)) j["gil_forced_switches"] = r.gil_forced_switches;
  if (r.steal_cores) j["steal_cores"] = *r.steal_cores;
  if (r.cpu_after_run_seconds) j["cpu_after_run_seconds"] = *r.cpu_after_run_seconds;
  {
    json hazards = json::array();
    for (const auto& h : r.hazards)
      hazards.push_back({{"kind", h.kind}, {"message", h.message}, {"intended", h.intended}});
    j["hazards"] = std::move(hazards);
  }
  if (r.children) {
    j["children_memory"] = {{"processes", r.children->processes},
                            {"rss_bytes", r.children->rss_bytes},
                            {"pss_bytes", r.children->pss_bytes},
                            {"uss_bytes", r.children->uss_bytes}};
  }
  if (!r.worker_time.empty()) {
    json workers = json::array();
    for (std::size_t w = 0; w < r.worker_time.size(); ++w) {
      json one = {{"worker", w}};
      one.update(split_to_json(r.worker_time[w]));
      workers.push_back(std::move(one));
    }
    j["worker_time_seconds"] = std::move(workers);
  }
  if (!r.locks.empty()) {
    json locks = json::array();
    for (const auto& l : r.locks) {
      locks.push_back({{"lock", l.lock},
                       {"name", l.name},
                       {"acquisitions", l.acquisitions},
                       {"contended", l.contended},
                       {"wait_seconds",
                        {{"total", to_seconds(l.wait_total_ns)},
                         {"median", to_seconds(l.wait_median_ns)},
                         {"max", to_seconds(l.wait_max_ns)}}},
                       {"hold_seconds",
                        {{"total", to_seconds(l.hold_total_ns)},
                         {"median", to_seconds(l.hold_median_ns)},
                         {"max", to_seconds(l.hold_max_ns)}}}});
    }
    j["locks"] = std::move(locks);
  }

  if (r.graph) {
    const graph_figures& g = *r.graph;
    j["graph"] = {{"tasks", g.tasks},
                  {"edges", g.edges},
                  {"work_seconds", g.work_seconds},
                  {"span_seconds", g.span_seconds},
                  {"parallelism", g.parallelism},
                  {"critical_path", g.critical_path},
                  {"critical_path_labels", g.critical_labels},
                  {"processors", g.processors},
                  {"brent_lower_seconds", g.lower_bound_seconds},
                  {"brent_upper_seconds", g.upper_bound_seconds},
                  {"wall_seconds", g.wall_seconds},
                  {"last_chain", g.last_chain},
                  {"last_chain_running_seconds", g.last_chain_running_seconds},
                  {"last_chain_waiting_seconds", g.last_chain_waiting_seconds},
                  {"start_seconds", g.start_seconds},
                  {"per_task_cost_seconds", g.per_task_cost_seconds},
                  {"burdened_span_seconds", g.burdened_span_seconds},
                  {"burdened_parallelism", g.burdened_parallelism},
                  {"burdened_upper_seconds", g.burdened_upper_bound_seconds},
                  {"runner", g.runner.empty() ? nlohmann::ordered_json(nullptr)
                                              : nlohmann::ordered_json(g.runner)},
                  {"edge_bytes",
                   {{"produced", g.edge_bytes.produced},
                    {"read", g.edge_bytes.read},
                    {"copied", g.edge_bytes.copied},
                    {"peak_held", g.edge_bytes.peak_held}}}};
  }

  if (r.pipeline) {
    const pipeline_figures& f = *r.pipeline;
    j["pipeline"] = {{"items", f.items},
                     {"stages", f.stages},
                     {"tokens", f.tokens},
                     {"throughput", f.throughput},
                     {"serial_limit", f.serial_limit},
                     {"token_limit", f.token_limit},
                     {"core_limit", f.core_limit},
                     {"binding", f.binding()},
                     {"peak_in_flight", f.peak_in_flight},
                     {"mean_in_flight", f.mean_in_flight}};
  }

  const run_result& rep = r.representative;
  if (!rep.records.empty()) {
    json records = json::array();
    const bool graph = rep.after.size() == rep.records.size();
    for (std::size_t i = 0; i < rep.records.size(); ++i) {
      const task_record& rec = rep.records[i];
      records.push_back({
          {"task_id", rec.task_id},
          {"worker", rec.worker},
          {"pid", rec.pid},
          {"tid", rec.tid},
          {"start_seconds", to_seconds(rec.start_ns - rep.start_ns)},
          {"end_seconds", to_seconds(rec.end_ns - rep.start_ns)},
          {"cpu_seconds", to_seconds(rec.cpu_ns)},
          {"ok", rec.ok},
          {"failure", to_string(rec.failure)},
          {"failure_code", rec.failure_code},
          {"message", rec.message},
          {"result", rec.result},
      });
      if (graph) {
        records.back()["after"] = rep.after[i];
        if (r.graph && i < r.graph->slack_seconds.size()) {
          records.back()["slack_seconds"] = r.graph->slack_seconds[i];
        }
      }
    }
    j["task_records"] = std::move(records);
    if (!rep.lock_holds.empty()) {
      json holds = json::array();
      for (const auto& h : rep.lock_holds) {
        holds.push_back({{"worker", h.worker},
                         {"start_seconds", to_seconds(h.start_ns - rep.start_ns)},
                         {"end_seconds", to_seconds(h.end_ns - rep.start_ns)}});
      }
      j["lock_holds"] = std::move(holds);
    }
  }
  if (!rep.recorded.events.empty()) {
    auto id = [](std::uint32_t v) { return v == no_id ? json(nullptr) : json(v); };
    json events = json::array();
    for (const auto& e : rep.recorded.events) {
      json one = {{"kind", std::string(to_string(e.kind))},
                  {"task", id(e.task)},
                  {"worker", id(e.worker)},
                  {"cpu", e.cpu},
                  {"start_seconds", to_seconds(e.start_ns - rep.start_ns)},
                  {"end_seconds", to_seconds(e.end_ns - rep.start_ns)}};
      if (e.wait != wait_kind::none) one["wait"] = std::string(to_string(e.wait));
      if (e.object != no_id) one["lock"] = e.object;
      events.push_back(std::move(one));
    }
    j["events"] = std::move(events);
    json tasks = json::array();
    for (const auto& [task, split] : task_time_split(rep.recorded.events)) {
      json one = {{"task", task}};
      one.update(split_to_json(split));
      tasks.push_back(std::move(one));
    }
    j["task_time_seconds"] = std::move(tasks);
  }
  if (rep.cluster) j["cluster"] = cluster_to_json(*rep.cluster, rep.start_ns);
  if (rep.exact) j["exact"] = detail::exact_to_json(*rep.exact, rep.start_ns, rep.end_ns);
  return j;
}

nlohmann::ordered_json build_to_json() {
  const build_info b = this_build();
  return {{"version", b.version},
          {"commit", b.commit},
          {"build_type", b.build_type},
          {"compiler", b.compiler},
          {"sanitizers", b.sanitizers},
          {"models", b.models},
          {"models_not_built", b.models_not_built}};
}

nlohmann::ordered_json machine_to_json(const machine_info& machine) {
  return {{"cores", machine.cores},       {"online_cpus", machine.online_cpus},
          {"affinity", machine.affinity}, {"cpu_model", machine.cpu_model},
          {"kernel", machine.kernel},     {"hostname", machine.hostname}};
}
}  // namespace detail

std::string to_json(const machine_info& machine, const std::vector<measured_run>& runs, int indent,
                    bool interrupted) {
  json runs_json = json::array();
  for (const auto& r : runs) runs_json.push_back(detail::run_to_json(r));
  const json doc = {
      {"schema", result_schema},          {"parlab_version", PARLAB_VERSION},
      {"build", detail::build_to_json()}, {"machine", detail::machine_to_json(machine)},
      {"interrupted", interrupted},       {"runs", std::move(runs_json)},
  };
  // replace: a task's message may hold bytes that are not UTF-8; never fail the whole document.
  return doc.dump(indent, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace parlab
