#include <parlab/executor.hpp>
#include <parlab/experiment.hpp>
#include <parlab/limits.hpp>

#include "core/proc_files.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <fmt/format.h>
#include <charconv>
#include <cstdio>
#include <stdexcept>
#include <string>

namespace parlab {
namespace {

[[noreturn]] void out_of_range(std::string_view what, const std::string& allowed,
                               const std::string& got) {
  throw std::invalid_argument(fmt::format("{} must be {} (got {})", what, allowed, got));
}

void check_count(std::string_view what, std::size_t value, std::size_t low, std::size_t high) {
  if (value < low || value > high) {
    out_of_range(what, fmt::format("in [{}, {}]", low, high), std::to_string(value));
  }
}

/// The kernel's system-wide thread limit, or 0 when it cannot be read.
std::uint64_t threads_max() {
  const std::string text = detail::read_proc_line("/proc/sys/kernel/threads-max");
  std::uint64_t n = 0;
  if (std::from_chars(text.data(), text.data() + text.size(), n).ec != std::errc{}) n = 0;
  return n;
}

}  // namespace

void check_spec(const experiment_spec& spec) {
  check_count("workers", spec.workers, 1, limits::max_workers);
  check_count("tasks", spec.workload.tasks, 1, limits::max_tasks);
  check_count("repeat", spec.repeat, 1, limits::max_repeat);
  const workload_info& info = find_workload(spec.workload.name);
  if (spec.workload.size && *spec.workload.size > info.max_size) {
    out_of_range("size",
                 fmt::format("in [0, {}] for workload '{}' ({})", info.max_size, info.name,
                             info.size_meaning),
                 std::to_string(*spec.workload.size));
  }
  const double interval_ms = static_cast<double>(spec.gil_switch_interval.count()) / 1e6;
  if (interval_ms < limits::min_switch_interval_ms ||
      interval_ms > limits::max_switch_interval_ms) {
    out_of_range("the GIL switch interval",
                 fmt::format("in [{}, {}] milliseconds", limits::min_switch_interval_ms,
                             limits::max_switch_interval_ms),
                 fmt::format("{} ms", interval_ms));
  }
  const auto latency = spec.workload.http.latency.count();
  if (latency < 0 || latency > limits::max_http_latency_ms) {
    out_of_range("the http latency",
                 fmt::format("in [0, {}] milliseconds", limits::max_http_latency_ms),
                 std::to_string(latency));
  }
  const std::uint64_t bandwidth = spec.workload.http.bandwidth_bytes_per_second;
  const auto min_bandwidth = static_cast<std::uint64_t>(limits::min_http_bandwidth_mib * 1048576);
  const auto max_bandwidth = static_cast<std::uint64_t>(limits::max_http_bandwidth_mib * 1048576);
  if (bandwidth != 0 && (bandwidth < min_bandwidth || bandwidth > max_bandwidth)) {
    out_of_range(
        "the http bandwidth",
        fmt::format("0 (unlimited) or in [{}, {}] bytes per second", min_bandwidth, max_bandwidth),
        std::to_string(bandwidth));
  }
  if (!(spec.workload.serial_fraction >= 0.0 && spec.workload.serial_fraction <= 1.0)) {
    out_of_range("the serial fraction", "in [0, 1]",
                 fmt::format("{}", spec.workload.serial_fraction));
  }
  if (!(spec.workload.cpu_fraction >= 0.0 && spec.workload.cpu_fraction <= 1.0)) {
    out_of_range("the cpu fraction", "in [0, 1]", fmt::format("{}", spec.workload.cpu_fraction));
  }
  if (!(spec.workload.critical_fraction >= 0.0 && spec.workload.critical_fraction <= 1.0)) {
    out_of_range("the critical fraction", "in [0, 1]",
                 fmt::format("{}", spec.workload.critical_fraction));
  }
  if (spec.workload.locks == 0 || spec.workload.locks > max_locks) {
    out_of_range("the number of locks", fmt::format("in [1, {}]", max_locks),
                 std::to_string(spec.workload.locks));
  }
  if (spec.workload.fault != fault_mode::none && spec.workload.fault_task >= spec.workload.tasks) {
    throw std::invalid_argument(fmt::format("fault task {} does not exist (tasks are 0..{})",
                                            spec.workload.fault_task, spec.workload.tasks - 1));
  }
  check_graph_shape(spec.workload);
  if (spec.workload.edge_bytes != 0 && !info.graph) {
    throw std::invalid_argument(fmt::format(
        "--edge-bytes is for graph workloads (chain, fork-join, map-reduce, wavefront, pipeline, "
        "layered, --graph FILE; got -w {})",
        info.name));
  }
  if (info.graph) {
    for (const auto& e : spec.executors) {
      if (!find_executor(e).runs_graphs) {
        throw std::invalid_argument(fmt::format(
            "{} does not run task graphs, and workload '{}' is one (models that do: {})", e,
            info.name, models_running_graphs()));
      }
      // What mpi's graphs cannot do yet, said before anything runs (its execute says it too).
      if (e == "mpi" && spec.mpi.schedule != mpi_schedule::dynamic) {
        throw std::invalid_argument(
            "mpi runs a task graph under the dynamic schedule only (rank 0 hands each task out "
            "once its predecessors ended): drop --mpi-schedule static");
      }
    }
  }
}

void check_graph_shape(const workload_spec& w) {
  if (w.stages == 0 || w.stages > limits::max_stages) {
    out_of_range("the pipeline's stages", fmt::format("in [1, {}]", limits::max_stages),
                 std::to_string(w.stages));
  }
  if (w.name == "pipeline" && w.tasks % w.stages != 0) {
    throw std::invalid_argument(fmt::format(
        "pipeline: the tasks ({}) must be a multiple of the stages ({}): each item goes through "
        "every stage",
        w.tasks, w.stages));
  }
  if (w.tokens == 0 || w.tokens > limits::max_tasks) {
    out_of_range("the pipeline's tokens", fmt::format("in [1, {}]", limits::max_tasks),
                 std::to_string(w.tokens));
  }
  if (w.width == 0 || w.width > limits::max_tasks) {
    out_of_range("the layers' width", fmt::format("in [1, {}]", limits::max_tasks),
                 std::to_string(w.width));
  }
  if (!(w.edge_probability >= 0.0 && w.edge_probability <= 1.0)) {
    out_of_range("the edge probability", "in [0, 1]", fmt::format("{}", w.edge_probability));
  }
  if (w.edge_bytes > limits::max_edge_bytes) {
    out_of_range("the bytes along each edge (--edge-bytes)",
                 fmt::format("in [0, {}]", limits::max_edge_bytes), std::to_string(w.edge_bytes));
  }
  if (w.edge_bytes != 0 && w.tasks > limits::max_edge_bytes_total / w.edge_bytes) {
    throw std::invalid_argument(fmt::format(
        "--edge-bytes {} x {} tasks is more data than parlab keeps for one graph (at most {} "
        "bytes in all)",
        w.edge_bytes, w.tasks, limits::max_edge_bytes_total));
  }
}

void check_machine_allows(std::string_view executor, std::size_t workers, std::size_t tasks,
                          std::string_view workload) {
  const std::size_t at_once = std::min(workers, tasks);
  const executor_info model = find_executor(executor);  // its traits, as registered
  const bool makes_threads = model.makes_threads;
  const bool makes_processes = model.makes_processes;
  if (makes_threads || makes_processes) {
    const std::string what = makes_threads ? "threads" : "processes";
    rlimit nproc{};
    // The kernel does not apply RLIMIT_NPROC to root.
    if (::geteuid() != 0 && ::getrlimit(RLIMIT_NPROC, &nproc) == 0 &&
        nproc.rlim_cur != RLIM_INFINITY && at_once + 1 > nproc.rlim_cur) {
      throw std::invalid_argument(fmt::format(
          "{} with {} workers needs {} {} at once, but this user may have at most {} threads and "
          "processes in all (ulimit -u); lower --workers or raise the limit",
          executor, workers, at_once, what, nproc.rlim_cur));
    }
    if (const std::uint64_t max = threads_max(); max != 0 && at_once + 1 > max) {
      throw std::invalid_argument(fmt::format(
          "{} with {} workers needs {} {} at once, but the kernel allows {} threads in all "
          "(/proc/sys/kernel/threads-max); lower --workers",
          executor, workers, at_once, what, max));
    }
  }
  // Descriptors held at once: the model's per worker (a child's pipes) and per download in
  // flight (executor_info); 16 for everything else parlab and the C++ runtime keep open.
  std::size_t fds = 16 + model.fds_per_worker * at_once;
  if (workload == "http") fds += model.fds_per_download * at_once;
  if (workload == "file") fds += at_once;
  rlimit nofile{};
  if (::getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur != RLIM_INFINITY &&
      fds > nofile.rlim_cur) {
    throw std::invalid_argument(fmt::format(
        "{} with {} workers on the {} workload needs about {} open files at once, but this "
        "process may have {} (ulimit -n); lower --workers or raise the limit",
        executor, workers, workload, fds, nofile.rlim_cur));
  }
}

}  // namespace parlab
