// Reading a parlab.result/1 document back, so `parlab report` can draw a saved run.

#include <parlab/clock.hpp>
#include <parlab/limits.hpp>
#include <parlab/pictures.hpp>
#include <parlab/printable.hpp>
#include <parlab/report.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>
#include <stdexcept>
#include <string>

namespace parlab {
namespace {

// Not `json`: the other report files mean nlohmann::ordered_json by that name (and a unity build
// puts them in one translation unit).
using jvalue = nlohmann::json;

// Every number is checked before it sizes or indexes anything: a saved file is user input.
constexpr double kMaxSeconds = 1e7;    // times in a document: about 115 days either way
constexpr std::size_t kMaxDepth = 64;  // nesting deeper than any parlab document

/// A short description of a value for an error message (never a whole subtree).
std::string shown(const jvalue& v) {
  if (v.is_object()) return "an object";
  if (v.is_array()) return "an array";
  std::string text = v.dump(-1, ' ', false, jvalue::error_handler_t::replace);
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  return text;
}

std::uint64_t whole(const jvalue& v, const char* what, std::uint64_t high) {
  if (v.is_number_unsigned() && v.get<std::uint64_t>() <= high) return v.get<std::uint64_t>();
  if (v.is_number_integer() && v.get<std::int64_t>() >= 0 &&
      static_cast<std::uint64_t>(v.get<std::int64_t>()) <= high) {
    return static_cast<std::uint64_t>(v.get<std::int64_t>());
  }
  throw std::invalid_argument(std::string(what) + " must be a whole number in [0, " +
                              std::to_string(high) + "] (got " + shown(v) + ")");
}

std::uint64_t whole(const jvalue& j, const char* key, std::uint64_t high, std::uint64_t fallback) {
  const auto it = j.find(key);
  return it == j.end() ? fallback : whole(*it, key, high);
}

/// A non-negative count that fits int64 (a pid, a context switch count), 0 when absent.
std::int64_t count64(const jvalue& j, const char* key) {
  return static_cast<std::int64_t>(whole(j, key, static_cast<std::uint64_t>(INT64_MAX), 0));
}

/// count64, or -1 for null (a figure the writer did not know); `absent` when there is no `key`.
std::int64_t count64_or_unknown(const jvalue& j, const char* key, std::int64_t absent = 0) {
  const auto it = j.find(key);
  if (it == j.end()) return absent;
  return it->is_null() ? -1 : count64(j, key);
}

double real(const jvalue& v, const char* what, double low, double high) {
  if (!v.is_number() || !std::isfinite(v.get<double>()) || v.get<double>() < low ||
      v.get<double>() > high) {
    throw std::invalid_argument(std::string(what) + " must be a number in [" + shown(jvalue(low)) +
                                ", " + shown(jvalue(high)) + "] (got " + shown(v) + ")");
  }
  return v.get<double>();
}

double real(const jvalue& j, const char* key, double low, double high, double fallback) {
  const auto it = j.find(key);
  return it == j.end() ? fallback : real(*it, key, low, high);
}

std::int64_t nanos(const jvalue& v, const char* what) {
  return std::llround(real(v, what, -kMaxSeconds, kMaxSeconds) * 1e9);
}

std::optional<double> optional_number(const jvalue& j, const char* key) {
  if (!j.contains(key) || j.at(key).is_null()) return std::nullopt;
  return real(j.at(key), key, 0.0, 1e9);
}

failure_kind failure_kind_from_string(const std::string& name) {
  for (const auto k : {failure_kind::none, failure_kind::threw, failure_kind::killed_by_signal,
                       failure_kind::exited, failure_kind::vanished, failure_kind::lost_with_run,
                       failure_kind::never_ran}) {
    if (to_string(k) == name) return k;
  }
  throw std::invalid_argument("unknown failure kind " + shown(jvalue(name)));
}

std::uint32_t id_of(const jvalue& v, const char* what, std::uint64_t high) {
  return v.is_null() ? no_id : static_cast<std::uint32_t>(whole(v, what, high));
}

std::vector<task_failure> read_failures(const jvalue& j, const char* texts_key,
                                        const char* kinds_key) {
  std::vector<task_failure> out;
  const jvalue texts = j.value(texts_key, jvalue::array());
  const jvalue kinds = j.value(kinds_key, jvalue::array());
  for (std::size_t i = 0; i < texts.size(); ++i) {
    task_failure f;
    const std::string text = texts[i].get<std::string>();
    unsigned long long id = 0;
    int used = 0;
    if (std::sscanf(text.c_str(), "task %llu failed: %n", &id, &used) >= 1 && used > 0) {
      f.task_id = static_cast<std::size_t>(std::min<unsigned long long>(id, limits::max_tasks));
      f.message = text.substr(static_cast<std::size_t>(used));
    } else {
      f.message = text;
    }
    if (i < kinds.size() && kinds[i].is_string()) {
      f.kind = failure_kind_from_string(kinds[i].get<std::string>());
    }
    out.push_back(std::move(f));
  }
  return out;
}

/// An MPI run's hosts, ranks and messages. Every index is checked against what it indexes.
switch_counts read_switch_counts(const jvalue& j) {
  switch_counts c;
  c.intervals = static_cast<std::uint64_t>(count64(j, "intervals"));
  c.preempted = static_cast<std::uint64_t>(count64(j, "preempted"));
  c.voluntary = static_cast<std::uint64_t>(count64(j, "voluntary"));
  c.migrations = static_cast<std::uint64_t>(count64(j, "migrations"));
  c.on_cpu_ns = std::llround(real(j, "on_cpu_seconds", 0.0, kMaxSeconds, 0.0) * 1e9);
  c.shortest_ns = std::llround(real(j, "shortest_seconds", 0.0, kMaxSeconds, 0.0) * 1e9);
  return c;
}

/// The switch records a run was recorded with (`--exact`), times against the run's start.
switch_schedule read_exact(const jvalue& j, std::int64_t origin) {
  switch_schedule x;
  x.records = static_cast<std::uint64_t>(count64(j, "records"));
  x.lost = static_cast<std::uint64_t>(count64(j, "lost"));
  x.buffer_bytes = static_cast<std::size_t>(count64(j, "buffer_bytes"));
  x.threads = static_cast<std::size_t>(count64(j, "threads_attached"));
  x.wakers = j.value("wakers", false);
  x.root_tid = static_cast<std::int32_t>(whole(j, "root_tid", INT32_MAX, 0));
  x.start_ns =
      origin + std::llround(real(j, "recorded_from_seconds", -kMaxSeconds, kMaxSeconds, 0.0) * 1e9);
  x.end_ns =
      origin + std::llround(real(j, "recorded_to_seconds", -kMaxSeconds, kMaxSeconds, 0.0) * 1e9);
  if (const auto run = j.find("run"); run != j.end() && run->is_object()) {
    x.run = read_switch_counts(*run);
  }
  for (const auto& v : j.value("intervals", jvalue::array())) {
    if (!v.is_array() || v.size() != 7) {
      throw std::invalid_argument(
          "an exact interval must be [start, end, pid, tid, cpu, how, "
          "started_before] (got " +
          shown(v) + ")");
    }
    on_cpu_interval i;
    i.start_ns = origin + nanos(v[0], "an interval's start");
    i.end_ns = origin + nanos(v[1], "an interval's end");
    i.pid = static_cast<std::int32_t>(whole(v[2], "an interval's pid", INT32_MAX));
    i.tid = static_cast<std::int32_t>(whole(v[3], "an interval's tid", INT32_MAX));
    i.cpu = static_cast<std::int16_t>(whole(v[4], "an interval's cpu", 4095));
    const std::string how = v[5].is_string() ? v[5].get<std::string>() : std::string();
    if (how != "preempted" && how != "blocked" && how != "exited" && how != "recording ended") {
      throw std::invalid_argument(
          "an interval ends preempted, blocked, exited or recording ended (got " + shown(v[5]) +
          ")");
    }
    i.preempted = how == "preempted";
    i.exited = how == "exited";
    i.ended_after = how == "recording ended";
    i.started_before = v[6].is_boolean() && v[6].get<bool>();
    x.intervals.push_back(i);
  }
  const auto ids = [&](const jvalue& v, std::size_t at, const char* what) {
    return static_cast<std::int32_t>(whole(v[at], what, INT32_MAX));
  };
  for (const auto& v : j.value("wakeups", jvalue::array())) {
    if (!v.is_array() || v.size() != 5) {
      throw std::invalid_argument(
          "an exact wake-up must be [time, waker pid, waker tid, wakee pid, wakee tid] (got " +
          shown(v) + ")");
    }
    x.wakeups.push_back({origin + nanos(v[0], "a wake-up's time"), ids(v, 1, "a waker's pid"),
                         ids(v, 2, "a waker's tid"), ids(v, 3, "a wakee's pid"),
                         ids(v, 4, "a wakee's tid")});
  }
  for (const auto& v : j.value("starts", jvalue::array())) {
    if (!v.is_array() || v.size() != 5) {
      throw std::invalid_argument(
          "an exact start must be [time, parent pid, parent tid, pid, tid] (got " + shown(v) + ")");
    }
    x.starts.push_back({origin + nanos(v[0], "a start's time"), ids(v, 1, "a parent's pid"),
                        ids(v, 2, "a parent's tid"), ids(v, 3, "a started pid"),
                        ids(v, 4, "a started tid")});
  }
  for (const auto& v : j.value("names", jvalue::array())) {
    if (!v.is_array() || v.size() != 3 || !v[2].is_string()) {
      throw std::invalid_argument("an exact name must be [pid, tid, name] (got " + shown(v) + ")");
    }
    x.names.push_back({ids(v, 0, "a name's pid"), ids(v, 1, "a name's tid"),
                       v[2].get<std::string>().substr(0, 15)});
  }
  return x;
}

mpi_cluster read_cluster(const jvalue& j, std::size_t workers) {
  constexpr std::uint64_t kMaxRanks = limits::max_workers + 1;
  mpi_cluster c;
  for (const auto& h : j.value("hosts", jvalue::array())) {
    if (c.hosts.size() >= kMaxRanks) throw std::invalid_argument("more hosts than ranks");
    mpi_host host;
    host.name = h.value("name", std::string());
    host.cores = whole(h, "cores", 65536, 0);
    for (const auto& r : h.value("ranks", jvalue::array())) {
      host.ranks.push_back(static_cast<int>(whole(r, "ranks", kMaxRanks - 1)));
    }
    host.reference = h.value("reference", false);
    host.offset_ns = real(h, "offset_ns", -kMaxSeconds * 1e9, kMaxSeconds * 1e9, 0.0);
    host.drift = real(h, "drift", -1.0, 1.0, 0.0);
    host.at_remote_ns = real(h, "at_remote_ns", -kMaxSeconds * 1e9, kMaxSeconds * 1e9, 0.0);
    host.uncertainty_ns = real(h, "uncertainty_ns", 0.0, kMaxSeconds * 1e9, 0.0);
    host.round_trip_ns = real(h, "round_trip_ns", 0.0, kMaxSeconds * 1e9, 0.0);
    c.hosts.push_back(std::move(host));
  }
  for (const auto& r : j.value("ranks", jvalue::array())) {
    if (c.ranks.size() >= kMaxRanks) throw std::invalid_argument("too many ranks");
    mpi_rank rank;
    rank.rank = static_cast<int>(whole(r.at("rank"), "rank", kMaxRanks - 1));
    rank.host = whole(r.at("host"), "host", c.hosts.empty() ? 0 : c.hosts.size() - 1);
    if (c.hosts.empty()) throw std::invalid_argument("a rank on no host");
    if (r.contains("worker") && !r.at("worker").is_null()) {
      rank.worker = whole(r.at("worker"), "worker", workers == 0 ? 0 : workers - 1);
    }
    rank.usage.user_seconds = real(r, "cpu_user_seconds", 0.0, kMaxSeconds, 0.0);
    rank.usage.system_seconds = real(r, "cpu_system_seconds", 0.0, kMaxSeconds, 0.0);
    c.ranks.push_back(rank);
  }
  for (const auto& m : j.value("messages", jvalue::array())) {
    mpi_message msg;
    msg.kind = m.value("kind", std::string());
    msg.from = static_cast<int>(whole(m.at("from"), "from", kMaxRanks - 1));
    msg.to = static_cast<int>(whole(m.at("to"), "to", kMaxRanks - 1));
    msg.task = m.contains("task") ? id_of(m.at("task"), "task", limits::max_tasks) : no_id;
    msg.send_started_ns = nanos(m.at("send_seconds"), "send_seconds");
    msg.receive_ended_ns = nanos(m.at("receive_seconds"), "receive_seconds");
    c.messages.push_back(std::move(msg));
  }
  c.message_count = whole(j, "message_count", UINT64_MAX, c.messages.size());
  c.impossible_messages = whole(j, "impossible_messages", UINT64_MAX, 0);
  return c;
}

measured_run read_run(const jvalue& j) {
  measured_run r;
  r.workload = j.at("workload").get<std::string>();
  r.executor = j.at("executor").get<std::string>();
  r.workers = whole(j.at("workers"), "workers", limits::max_workers);
  r.tasks = whole(j.at("tasks"), "tasks", limits::max_tasks);
  r.size = whole(j, "size", UINT64_MAX, 0);
  r.seed = whole(j, "seed", UINT64_MAX, 0);
  if (const auto p = j.find("parameters"); p != j.end() && p->is_object()) {
    for (const auto& [name, value] : p->items()) {
      if (value.is_number() && std::isfinite(value.get<double>())) {
        r.parameters.emplace_back(name, value.get<double>());
      }
    }
  }
  r.repeat = whole(j, "repeat", limits::max_repeat, 0);
  r.is_baseline = j.value("is_baseline", false);
  r.wall_median = real(j.at("wall_seconds"), "wall_seconds", 0.0, kMaxSeconds);
  r.wall_min = real(j, "wall_seconds_min", 0.0, kMaxSeconds, r.wall_median);
  r.wall_max = real(j, "wall_seconds_max", 0.0, kMaxSeconds, r.wall_median);
  for (const auto& w : j.value("wall_seconds_samples", jvalue::array())) {
    r.wall_samples.push_back(real(w, "wall_seconds_samples", 0.0, kMaxSeconds));
  }
  r.speedup = optional_number(j, "speedup");
  r.efficiency = optional_number(j, "efficiency");
  r.kernel.user_seconds = real(j, "cpu_user_seconds", 0.0, kMaxSeconds, 0.0);
  r.kernel.system_seconds = real(j, "cpu_system_seconds", 0.0, kMaxSeconds, 0.0);
  if (j.contains("context_switches")) {
    const jvalue& cs = j["context_switches"];
    r.kernel.voluntary_switches = count64_or_unknown(cs, "voluntary");
    r.kernel.involuntary_switches = count64_or_unknown(cs, "involuntary");
  }
  r.kernel.peak_rss_bytes = count64_or_unknown(j, "peak_rss_bytes");
  r.cpu_utilisation = real(j, "cpu_utilisation", 0.0, 1e6, 0.0);
  r.others_cores = optional_number(j, "others_cores");

  auto& c = r.concurrency;
  const auto v = verdict_from_string(j.at("verdict").get<std::string>());
  if (!v)
    throw std::invalid_argument("unknown verdict '" + j.at("verdict").get<std::string>() + "'");
  c.result = *v;
  c.peak_in_flight = whole(j, "peak_in_flight", limits::max_tasks, 0);
  c.peak_running = whole(j, "peak_running", limits::max_tasks, 0);
  c.avg_parallelism = real(j, "avg_parallelism", 0.0, 1e6, 0.0);
  c.from_timeline = j.value("from_timeline", false);
  if (j.contains("queue_latency_seconds")) {
    const jvalue& q = j["queue_latency_seconds"];
    c.queue_latency_seconds.median = real(q, "median", 0.0, kMaxSeconds, 0.0);
    c.queue_latency_seconds.max = real(q, "max", 0.0, kMaxSeconds, 0.0);
  }
  c.gil_wait_fraction = optional_number(j, "gil_wait_fraction");
  if (const auto busy = j.find("cores_busy"); busy != j.end() && busy->is_array()) {
    if (busy->size() > 65537) throw std::invalid_argument("cores_busy has more entries than CPUs");
    for (const auto& share : *busy) r.cores_busy.push_back(real(share, "cores_busy", 0.0, 1.0));
  }
  if (const auto bands = j.find("cores_busy_bands"); bands != j.end() && bands->is_object()) {
    busy_bands b;
    b.idle = real(*bands, "idle", 0.0, 1.0, 0.0);
    b.poor = real(*bands, "poor", 0.0, 1.0, 0.0);
    b.ok = real(*bands, "ok", 0.0, 1.0, 0.0);
    b.ideal = real(*bands, "ideal", 0.0, 1.0, 0.0);
    r.busy = b;
  }
  for (const auto& w : j.value("worker_time_seconds", jvalue::array())) {
    if (r.worker_time.size() >= limits::max_workers) {
      throw std::invalid_argument("worker_time_seconds has more entries than workers");
    }
    time_split split;
    for (std::size_t i = 0; i < time_reason_count; ++i) {
      const std::string name(to_string(static_cast<time_reason>(i)));
      split.ns[i] = std::llround(real(w, name.c_str(), 0.0, kMaxSeconds, 0.0) * 1e9);
    }
    r.worker_time.push_back(split);
  }
  r.steal_cores = optional_number(j, "steal_cores");
  r.cpu_after_run_seconds = optional_number(j, "cpu_after_run_seconds");
  for (const auto& h : j.value("hazards", jvalue::array())) {
    if (r.hazards.size() >= 64) throw std::invalid_argument("hazards has more than 64 entries");
    r.hazards.push_back({h.value("kind", std::string()), h.value("message", std::string()),
                         h.value("intended", false)});
  }
  r.minor_faults = count64_or_unknown(j, "minor_faults", -1);
  if (const auto mem = j.find("children_memory"); mem != j.end() && mem->is_object()) {
    children_memory m;
    m.processes = whole(*mem, "processes", limits::max_tasks, 0);
    m.rss_bytes = count64(*mem, "rss_bytes");
    m.pss_bytes = count64(*mem, "pss_bytes");
    m.uss_bytes = count64(*mem, "uss_bytes");
    r.children = m;
  }
  for (const auto& l : j.value("locks", jvalue::array())) {
    if (r.locks.size() >= max_locks) throw std::invalid_argument("locks has more than 256 entries");
    lock_stats s;
    s.lock = static_cast<std::uint32_t>(whole(l.at("lock"), "lock", max_locks - 1));
    s.name = l.value("name", "lock " + std::to_string(s.lock));
    s.acquisitions = whole(l, "acquisitions", UINT64_MAX, 0);
    s.contended = whole(l, "contended", s.acquisitions, 0);
    const auto ns = [&](const char* group, const char* key) {
      return l.contains(group) ? std::llround(real(l.at(group), key, 0.0, kMaxSeconds, 0.0) * 1e9)
                               : std::int64_t{0};
    };
    s.wait_total_ns = ns("wait_seconds", "total");
    s.wait_median_ns = ns("wait_seconds", "median");
    s.wait_max_ns = ns("wait_seconds", "max");
    s.hold_total_ns = ns("hold_seconds", "total");
    s.hold_median_ns = ns("hold_seconds", "median");
    s.hold_max_ns = ns("hold_seconds", "max");
    r.locks.push_back(std::move(s));
  }
  c.running_seconds = real(j, "running_seconds", 0.0, kMaxSeconds, 0.0);
  c.waiting_seconds = real(j, "waiting_seconds", 0.0, kMaxSeconds, 0.0);
  c.preemptions = whole(j, "preemptions", UINT64_MAX, 0);
  c.preempted_seconds = real(j, "preempted_seconds", 0.0, kMaxSeconds, 0.0);
  r.failed_tasks = whole(j, "failed_tasks", limits::max_tasks, 0);
  // Failures: "task K failed: message" texts, with their kinds beside them (absent in older
  // documents: read as threw).
  r.failures = read_failures(j, "failures", "failure_kinds");
  r.warm_up_failures = read_failures(j, "warm_up_failures", "warm_up_failure_kinds");
  r.gil_forced_switches = whole(j, "gil_forced_switches", UINT64_MAX, 0);

  // The representative run, on a clock that starts at 0 (times in the document are relative).
  run_result& rep = r.representative;
  rep.executor = r.executor;
  rep.workers = r.workers;
  rep.start_ns = 0;
  rep.end_ns = std::llround(r.wall_median * 1e9);
  rep.kernel = r.kernel;
  rep.gil_forced_switches = r.gil_forced_switches;
  rep.recorded.dropped = whole(j, "events_dropped", UINT64_MAX, 0);
  for (const auto& t : j.value("task_records", jvalue::array())) {
    task_record rec;
    rec.task_id = whole(t.at("task_id"), "task_id", limits::max_tasks);
    rec.worker = whole(t.at("worker"), "worker", limits::max_workers);
    rec.pid = count64(t, "pid");
    rec.tid = count64(t, "tid");
    rec.start_ns = nanos(t.at("start_seconds"), "start_seconds");
    rec.end_ns = nanos(t.at("end_seconds"), "end_seconds");
    rec.cpu_ns = std::llround(real(t, "cpu_seconds", 0.0, kMaxSeconds, 0.0) * 1e9);
    rec.ok = t.value("ok", false);
    rec.failure = rec.ok ? failure_kind::none
                         : failure_kind_from_string(t.value("failure", std::string("threw")));
    rec.message = t.value("message", std::string());
    rec.result = whole(t, "result", UINT64_MAX, 0);
    // (Files of earlier versions carry each task's minor_faults and memory: no longer read -
    // faults are the run's, memory each worker process's, both read once.)
    if (const auto after = t.find("after"); after != t.end()) {
      if (!after->is_array()) throw std::invalid_argument("task_records: after is not an array");
      if (rep.after.size() != rep.records.size()) {
        throw std::invalid_argument(
            "task_records: every record of a task graph carries 'after' (the first one did not)");
      }
      auto& preds = rep.after.emplace_back();
      for (const auto& p : *after) preds.push_back(whole(p, "after", limits::max_tasks));
    } else if (!rep.after.empty()) {
      throw std::invalid_argument("task_records: record " + std::to_string(rep.records.size()) +
                                  " of a task graph has no 'after'");
    }
    rep.records.push_back(std::move(rec));
  }
  if (!rep.after.empty()) check_dependencies(rep.after);  // a cycle, an edge to nowhere
  if (const auto g = j.find("graph"); g != j.end() && g->is_object()) {
    graph_figures f;
    f.tasks = whole(*g, "tasks", limits::max_tasks, 0);
    f.edges = whole(*g, "edges", UINT64_MAX, 0);
    f.work_seconds = real(*g, "work_seconds", 0.0, kMaxSeconds, 0.0);
    f.span_seconds = real(*g, "span_seconds", 0.0, kMaxSeconds, 0.0);
    f.parallelism = real(*g, "parallelism", 0.0, 1e9, 0.0);
    for (const auto& k : g->value("critical_path", jvalue::array())) {
      f.critical_path.push_back(whole(k, "critical_path", limits::max_tasks));
    }
    for (const auto& k : g->value("critical_path_labels", jvalue::array())) {
      if (!k.is_string()) throw std::invalid_argument("critical_path_labels holds strings");
      f.critical_labels.push_back(k.get<std::string>());
    }
    f.processors = whole(*g, "processors", limits::max_workers, 1);
    f.lower_bound_seconds = real(*g, "brent_lower_seconds", 0.0, kMaxSeconds, 0.0);
    f.upper_bound_seconds = real(*g, "brent_upper_seconds", 0.0, kMaxSeconds, 0.0);
    f.wall_seconds = real(*g, "wall_seconds", 0.0, kMaxSeconds, 0.0);
    for (const auto& k : g->value("last_chain", jvalue::array())) {
      f.last_chain.push_back(whole(k, "last_chain", limits::max_tasks));
    }
    f.last_chain_running_seconds = real(*g, "last_chain_running_seconds", 0.0, kMaxSeconds, 0.0);
    f.last_chain_waiting_seconds = real(*g, "last_chain_waiting_seconds", 0.0, kMaxSeconds, 0.0);
    f.start_seconds = real(*g, "start_seconds", 0.0, kMaxSeconds, 0.0);
    f.per_task_cost_seconds = real(*g, "per_task_cost_seconds", 0.0, kMaxSeconds, 0.0);
    f.burdened_span_seconds = real(*g, "burdened_span_seconds", 0.0, kMaxSeconds, 0.0);
    f.burdened_parallelism = real(*g, "burdened_parallelism", 0.0, 1e9, 0.0);
    f.burdened_upper_bound_seconds = real(*g, "burdened_upper_seconds", 0.0, kMaxSeconds, 0.0);
    if (const auto k = g->find("runner"); k != g->end() && k->is_string()) {
      f.runner = k->get<std::string>();
    }
    if (const auto e = g->find("edge_bytes"); e != g->end() && e->is_object()) {
      f.edge_bytes.produced = whole(*e, "produced", UINT64_MAX, 0);
      f.edge_bytes.read = whole(*e, "read", UINT64_MAX, 0);
      f.edge_bytes.copied = whole(*e, "copied", UINT64_MAX, 0);
      f.edge_bytes.peak_held = whole(*e, "peak_held", UINT64_MAX, 0);
    }
    for (const auto& t : j.value("task_records", jvalue::array())) {
      if (const auto slack = t.find("slack_seconds"); slack != t.end()) {
        f.slack_seconds.push_back(real(t, "slack_seconds", 0.0, kMaxSeconds, 0.0));
      }
    }
    r.graph = std::move(f);
  }
  if (const auto pl = j.find("pipeline"); pl != j.end() && pl->is_object()) {
    pipeline_figures f;
    f.items = whole(*pl, "items", limits::max_tasks, 0);
    f.stages = whole(*pl, "stages", limits::max_stages, 1);
    f.tokens = whole(*pl, "tokens", limits::max_tasks, 1);
    f.throughput = real(*pl, "throughput", 0.0, 1e12, 0.0);
    f.serial_limit = real(*pl, "serial_limit", 0.0, 1e12, 0.0);
    f.token_limit = real(*pl, "token_limit", 0.0, 1e12, 0.0);
    f.core_limit = real(*pl, "core_limit", 0.0, 1e12, 0.0);
    f.peak_in_flight = whole(*pl, "peak_in_flight", limits::max_tasks, 0);
    f.mean_in_flight = real(*pl, "mean_in_flight", 0.0, 1e9, 0.0);
    r.pipeline = f;
  }
  for (const auto& h : j.value("lock_holds", jvalue::array())) {
    rep.lock_holds.push_back({whole(h.at("worker"), "worker", limits::max_workers),
                              nanos(h.at("start_seconds"), "start_seconds"),
                              nanos(h.at("end_seconds"), "end_seconds")});
  }
  for (const auto& e : j.value("events", jvalue::array())) {
    const std::string kind = e.at("kind").get<std::string>();
    const auto k = event_kind_from_string(kind);
    if (!k) throw std::invalid_argument("unknown event kind '" + kind + "'");
    event ev;
    ev.kind = *k;
    ev.task = id_of(e.at("task"), "task", limits::max_tasks);
    ev.worker = id_of(e.at("worker"), "worker", limits::max_workers);
    ev.cpu = e.contains("cpu") && !e.at("cpu").is_null() && e.at("cpu") != -1
                 ? static_cast<std::int16_t>(whole(e.at("cpu"), "cpu", 4095))
                 : std::int16_t{-1};
    if (e.contains("wait")) {
      const std::string wait = e.at("wait").get<std::string>();
      const auto w = wait_kind_from_string(wait);
      if (!w) throw std::invalid_argument("unknown wait kind '" + wait + "'");
      ev.wait = *w;
    }
    if (e.contains("lock")) ev.object = id_of(e.at("lock"), "lock", limits::max_tasks);
    ev.start_ns = nanos(e.at("start_seconds"), "start_seconds");
    ev.end_ns = nanos(e.at("end_seconds"), "end_seconds");
    rep.end_ns = std::max(rep.end_ns, ev.end_ns);
    rep.recorded.events.push_back(ev);
  }
  if (const auto cl = j.find("cluster"); cl != j.end() && cl->is_object()) {
    rep.cluster = read_cluster(*cl, r.workers);
  }
  if (const auto x = j.find("exact"); x != j.end() && x->is_object()) {
    rep.exact = read_exact(*x, rep.start_ns);
  }
  return r;
}

}  // namespace

saved_result read_result_json(const std::string& text) {
  jvalue doc;
  try {
    // Refuse deep nesting while parsing (the parser keeps its own stack; the checks and error
    // messages after it would recurse).
    // And a key given twice in one object: JSON leaves it undefined, the parser keeps the
    // last, and a reader's later "key not found" would not say why.
    bool too_deep = false;
    std::vector<std::set<std::string>> keys;  // of each object being parsed
    std::string twice;
    doc = jvalue::parse(text, [&](int depth, jvalue::parse_event_t event, jvalue& parsed) {
      if (static_cast<std::size_t>(depth) > kMaxDepth) too_deep = true;
      if (event == jvalue::parse_event_t::object_start) keys.emplace_back();
      if (event == jvalue::parse_event_t::object_end && !keys.empty()) keys.pop_back();
      if (event == jvalue::parse_event_t::key && !keys.empty() && twice.empty() &&
          !keys.back().insert(parsed.get<std::string>()).second) {
        twice = parsed.get<std::string>();
      }
      return !too_deep && twice.empty();
    });
    if (too_deep) {
      throw std::invalid_argument("nested more than " + std::to_string(kMaxDepth) +
                                  " levels deep (not a parlab result)");
    }
    if (!twice.empty()) {
      throw std::invalid_argument("key \"" + printable(twice.substr(0, 40)) +
                                  "\" appears twice in one object (each key once)");
    }
  } catch (const jvalue::exception& e) {
    throw std::invalid_argument(std::string("not a JSON document (") + e.what() + ")");
  }
  if (!doc.is_object() || !doc.contains("schema")) {
    throw std::invalid_argument(std::string("not a parlab result (no \"schema\" key; expected ") +
                                result_schema + ")");
  }
  // A watch (parlab.watch/1) carries its run as a parlab.result/1 run, and its lanes' names.
  const bool watch = doc["schema"] == "parlab.watch/1";
  if (doc["schema"] != result_schema && !watch) {
    throw std::invalid_argument("unsupported schema " + shown(doc["schema"]) + " (expected " +
                                result_schema + " or parlab.watch/1)");
  }
  try {
    saved_result out;
    const jvalue& m = doc.at("machine");
    out.machine.cores = whole(m, "cores", 65536, 1);
    if (out.machine.cores == 0) throw std::invalid_argument("cores must be at least 1 (got 0)");
    out.machine.online_cpus = whole(m, "online_cpus", 65536, out.machine.cores);
    for (const auto& cpu : m.value("affinity", jvalue::array())) {
      out.machine.affinity.push_back(static_cast<int>(whole(cpu, "affinity", 65535)));
    }
    out.interrupted = doc.value("interrupted", false);
    out.machine.cpu_model = m.value("cpu_model", std::string());
    out.machine.kernel = m.value("kernel", std::string());
    out.machine.hostname = m.value("hostname", std::string());
    if (!watch) {
      const jvalue& runs = doc.at("runs");
      if (!runs.is_array()) {
        throw std::invalid_argument("\"runs\" must be an array of runs (got " + shown(runs) + ")");
      }
      if (runs.empty() && !out.interrupted) {
        throw std::invalid_argument("\"runs\" is empty (a finished run has at least one)");
      }
      for (const auto& r : runs) {
        out.runs.push_back(read_run(r));
        for (const auto& [count, what] : {std::pair{out.runs.back().workers, "workers"},
                                          std::pair{out.runs.back().tasks, "tasks"}}) {
          if (count == 0) {
            throw std::invalid_argument(std::string(what) + " must be at least 1 in a run (got 0)");
          }
        }
      }
      return out;
    }
    measured_run run = read_run(doc.at("run"));
    auto& names = run.representative.lane_names;
    names.resize(run.workers);
    for (const auto& t : doc.at("threads")) {
      if (run.workers == 0) break;
      const auto lane = whole(t.at("lane"), "lane", run.workers == 0 ? 0 : run.workers - 1);
      const auto tid = whole(t.at("tid"), "tid", 4'194'304);
      names[lane] = t.at("name").get<std::string>().substr(0, 64) + " " + std::to_string(tid);
    }
    out.runs.push_back(std::move(run));
    return out;
  } catch (const jvalue::exception& e) {
    throw std::invalid_argument(std::string("malformed parlab result: ") + e.what());
  }
}

}  // namespace parlab
