// Reading a parlab.result/1 document back, so `parlab report` can draw a saved run.

#include <parlab/clock.hpp>
#include <parlab/pictures.hpp>
#include <parlab/report.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace parlab {
namespace {

using json = nlohmann::json;

std::int64_t nanos(double seconds) { return std::llround(seconds * 1e9); }

std::optional<double> optional_number(const json& j, const char* key) {
  if (!j.contains(key) || j.at(key).is_null()) return std::nullopt;
  return j.at(key).get<double>();
}

std::uint32_t id_of(const json& v) { return v.is_null() ? no_id : v.get<std::uint32_t>(); }

measured_run read_run(const json& j) {
  measured_run r;
  r.workload = j.at("workload").get<std::string>();
  r.executor = j.at("executor").get<std::string>();
  r.workers = j.at("workers").get<std::size_t>();
  r.tasks = j.at("tasks").get<std::size_t>();
  r.size = j.value("size", std::uint64_t{0});
  r.seed = j.value("seed", std::uint64_t{0});
  if (const auto p = j.find("parameters"); p != j.end() && p->is_object()) {
    for (const auto& [name, value] : p->items()) {
      if (value.is_number()) r.parameters.emplace_back(name, value.get<double>());
    }
  }
  r.repeat = j.value("repeat", std::size_t{0});
  r.is_baseline = j.value("is_baseline", false);
  r.wall_median = j.at("wall_seconds").get<double>();
  r.wall_min = j.value("wall_seconds_min", r.wall_median);
  r.wall_max = j.value("wall_seconds_max", r.wall_median);
  r.wall_samples = j.value("wall_seconds_samples", std::vector<double>{});
  r.speedup = optional_number(j, "speedup");
  r.efficiency = optional_number(j, "efficiency");
  r.kernel.user_seconds = j.value("cpu_user_seconds", 0.0);
  r.kernel.system_seconds = j.value("cpu_system_seconds", 0.0);
  if (j.contains("context_switches")) {
    r.kernel.voluntary_switches = j["context_switches"].value("voluntary", std::int64_t{0});
    r.kernel.involuntary_switches = j["context_switches"].value("involuntary", std::int64_t{0});
  }
  r.kernel.peak_rss_bytes = j.value("peak_rss_bytes", std::int64_t{0});
  r.cpu_utilisation = j.value("cpu_utilisation", 0.0);

  auto& c = r.concurrency;
  const auto v = verdict_from_string(j.at("verdict").get<std::string>());
  if (!v)
    throw std::invalid_argument("unknown verdict '" + j.at("verdict").get<std::string>() + "'");
  c.result = *v;
  c.peak_in_flight = j.value("peak_in_flight", std::size_t{0});
  c.peak_running = j.value("peak_running", std::size_t{0});
  c.avg_parallelism = j.value("avg_parallelism", 0.0);
  c.from_timeline = j.value("from_timeline", false);
  if (j.contains("queue_latency_seconds")) {
    c.queue_latency_seconds.median = j["queue_latency_seconds"].value("median", 0.0);
    c.queue_latency_seconds.max = j["queue_latency_seconds"].value("max", 0.0);
  }
  c.gil_wait_fraction = optional_number(j, "gil_wait_fraction");
  c.running_seconds = j.value("running_seconds", 0.0);
  c.waiting_seconds = j.value("waiting_seconds", 0.0);
  c.preemptions = j.value("preemptions", std::size_t{0});
  c.preempted_seconds = j.value("preempted_seconds", 0.0);
  r.failed_tasks = j.value("failed_tasks", std::size_t{0});
  r.failures = j.value("failures", std::vector<std::string>{});
  r.gil_forced_switches = j.value("gil_forced_switches", std::uint64_t{0});

  // The representative run, on a clock that starts at 0 (times in the document are relative).
  run_result& rep = r.representative;
  rep.executor = r.executor;
  rep.workers = r.workers;
  rep.start_ns = 0;
  rep.end_ns = nanos(r.wall_median);
  rep.kernel = r.kernel;
  rep.gil_forced_switches = r.gil_forced_switches;
  rep.recorded.dropped = j.value("events_dropped", std::uint64_t{0});
  for (const auto& t : j.value("task_records", json::array())) {
    task_record rec;
    rec.task_id = t.at("task_id").get<std::size_t>();
    rec.worker = t.at("worker").get<std::size_t>();
    rec.pid = t.value("pid", std::int64_t{0});
    rec.tid = t.value("tid", std::int64_t{0});
    rec.start_ns = nanos(t.at("start_seconds").get<double>());
    rec.end_ns = nanos(t.at("end_seconds").get<double>());
    rec.cpu_ns = nanos(t.value("cpu_seconds", 0.0));
    rec.ok = t.value("ok", false);
    rec.message = t.value("message", std::string());
    rec.result = t.value("result", std::uint64_t{0});
    rep.records.push_back(std::move(rec));
  }
  for (const auto& h : j.value("lock_holds", json::array())) {
    rep.lock_holds.push_back({h.at("worker").get<std::size_t>(),
                              nanos(h.at("start_seconds").get<double>()),
                              nanos(h.at("end_seconds").get<double>())});
  }
  for (const auto& e : j.value("events", json::array())) {
    const std::string kind = e.at("kind").get<std::string>();
    const auto k = event_kind_from_string(kind);
    if (!k) throw std::invalid_argument("unknown event kind '" + kind + "'");
    event ev;
    ev.kind = *k;
    ev.task = id_of(e.at("task"));
    ev.worker = id_of(e.at("worker"));
    ev.cpu = e.value("cpu", std::int16_t{-1});
    if (e.contains("wait")) {
      const std::string wait = e.at("wait").get<std::string>();
      const auto w = wait_kind_from_string(wait);
      if (!w) throw std::invalid_argument("unknown wait kind '" + wait + "'");
      ev.wait = *w;
    }
    ev.start_ns = nanos(e.at("start_seconds").get<double>());
    ev.end_ns = nanos(e.at("end_seconds").get<double>());
    rep.end_ns = std::max(rep.end_ns, ev.end_ns);
    rep.recorded.events.push_back(ev);
  }
  return r;
}

}  // namespace

saved_result read_result_json(const std::string& text) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::exception& e) {
    throw std::invalid_argument(std::string("not a JSON document (") + e.what() + ")");
  }
  if (!doc.is_object() || !doc.contains("schema")) {
    throw std::invalid_argument(std::string("not a parlab result (no \"schema\" key; expected ") +
                                result_schema + ")");
  }
  if (doc["schema"] != result_schema) {
    throw std::invalid_argument("unsupported schema " + doc["schema"].dump() + " (expected " +
                                result_schema + ")");
  }
  try {
    saved_result out;
    const json& m = doc.at("machine");
    out.machine.cores = m.value("cores", std::size_t{1});
    out.machine.online_cpus = m.value("online_cpus", out.machine.cores);
    out.machine.affinity = m.value("affinity", std::vector<int>{});
    out.machine.cpu_model = m.value("cpu_model", std::string());
    out.machine.kernel = m.value("kernel", std::string());
    out.machine.hostname = m.value("hostname", std::string());
    for (const auto& r : doc.at("runs")) out.runs.push_back(read_run(r));
    return out;
  } catch (const json::exception& e) {
    throw std::invalid_argument(std::string("malformed parlab result: ") + e.what());
  }
}

}  // namespace parlab
