#include <parlab/report.hpp>

#include <fmt/format.h>

#include <string>

namespace parlab {

std::string to_csv(const std::vector<measured_run>& runs) {
  std::string out =
      "workload,executor,workers,tasks,size,repeat,is_baseline,wall_seconds,wall_seconds_min,"
      "wall_seconds_max,speedup,efficiency,cpu_seconds,cpu_utilisation,voluntary_switches,"
      "involuntary_switches,peak_rss_bytes,verdict,peak_in_flight,avg_parallelism,failed_tasks,"
      "peak_running,queue_latency_median_seconds,gil_wait_fraction,minor_faults,child_processes,"
      "children_rss_bytes,children_pss_bytes,children_uss_bytes\n";
  auto optional = [](const std::optional<double>& v) {
    return v ? fmt::format("{:.6g}", *v) : std::string();
  };
  auto count = [](std::int64_t n) { return n >= 0 ? std::to_string(n) : std::string(); };
  for (const auto& r : runs) {
    out += fmt::format(
        "{},{},{},{},{},{},{},{:.6g},{:.6g},{:.6g},{},{},{:.6g},{:.6g},{},{},{},{},{},{:.6g},{},{},"
        "{:.6g},"
        "{},{},{},{},{},{}\n",
        r.workload, r.executor, r.workers, r.tasks, r.size, r.repeat,
        r.is_baseline ? "true" : "false", r.wall_median, r.wall_min, r.wall_max,
        optional(r.speedup), optional(r.efficiency), r.kernel.cpu_seconds(), r.cpu_utilisation,
        count(r.kernel.voluntary_switches), count(r.kernel.involuntary_switches),
        count(r.kernel.peak_rss_bytes), to_string(r.concurrency.result),
        r.concurrency.peak_in_flight, r.concurrency.avg_parallelism, r.failed_tasks,
        r.concurrency.peak_running, r.concurrency.queue_latency_seconds.median,
        optional(r.concurrency.gil_wait_fraction), count(r.minor_faults),
        r.children ? std::to_string(r.children->processes) : std::string(),
        r.children ? std::to_string(r.children->rss_bytes) : std::string(),
        r.children ? std::to_string(r.children->pss_bytes) : std::string(),
        r.children ? std::to_string(r.children->uss_bytes) : std::string());
  }
  return out;
}

}  // namespace parlab
