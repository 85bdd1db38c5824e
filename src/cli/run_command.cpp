// parlab run: a workload under the models asked for, with the sequential baseline.

#include "cli/commands.hpp"

#include "cli/session.hpp"

#include <parlab/limits.hpp>
#include <parlab/mpi.hpp>
#include <parlab/pictures.hpp>
#include <parlab/report.hpp>

#include <fmt/format.h>

#include <algorithm>

namespace parlab::cli {
namespace {
constexpr std::uintmax_t kMaxGraphBytes = std::uintmax_t{256} << 20U;  // a million tasks and more
}  // namespace

experiment_spec run_spec(const run_command& o) {
  experiment_spec spec;
  const std::vector<std::string> executors =
      o.executors ? split_names(*o.executors, "--executor")
                  : std::vector<std::string>{"threads", "thread-pool", "processes", "gil-threads"};
  (void)find_workload(o.workload);  // unknown name: invalid_argument, before the models
  for (const auto& e : executors) (void)make_executor(e);
  spec.workload.name = o.workload;
  spec.executors = executors;
  spec.workers =
      o.workers ? parse_count(*o.workers, "--workers", 1, limits::max_workers) : usable_cores();
  if (o.graph) {
    // Your own graph: the file says what the tasks are and how many.
    if (o.workload != "cpu" && o.workload != "graph") {
      throw usage_error(
          fmt::format("--graph gives the workload (a graph of your own): drop "
                      "-w {}",
                      o.workload));
    }
    if (o.tasks || o.size) {
      throw usage_error(
          fmt::format("{} does not go with --graph: the file gives every task and "
                      "its compute",
                      o.tasks ? "--tasks" : "--size"));
    }
    spec.workload.name = "graph";
    spec.workload.graph_source = *o.graph;
    spec.workload.graph_text =
        read_input_file(*o.graph, kMaxGraphBytes, "run", "a task graph in JSON or Graphviz DOT");
    spec.workload.tasks = parse_graph_file(spec.workload.graph_text, *o.graph).size();
    if (o.seed) spec.workload.seed = parse_count(*o.seed, "--seed", 0, UINT64_MAX);
  } else {
    if (o.workload == "graph") throw usage_error("workload 'graph' needs --graph FILE");
    parse_workload_counts(o.tasks, o.size, o.seed, spec.workload);
  }
  spec.repeat = repeat_option(o.repeat);
  spec.baseline = !o.no_baseline;
  spec.keep_records = o.records || o.outputs.wants_timelines();
  if (o.switch_interval_ms) {
    const double ms = parse_number(*o.switch_interval_ms, "--switch-interval (milliseconds)",
                                   limits::min_switch_interval_ms, limits::max_switch_interval_ms);
    spec.gil_switch_interval = std::chrono::nanoseconds(static_cast<std::int64_t>(ms * 1e6));
  }
  if (o.http_latency_ms) {
    spec.workload.http.latency = std::chrono::milliseconds(
        parse_count(*o.http_latency_ms, "--http-latency (milliseconds)", 0,
                    static_cast<std::uint64_t>(limits::max_http_latency_ms)));
  }
  if (o.http_bandwidth_mib) {
    const double mib = parse_number(*o.http_bandwidth_mib, "--http-bandwidth (MiB/s, 0: unlimited)",
                                    0.0, limits::max_http_bandwidth_mib);
    if (mib != 0.0 && mib < limits::min_http_bandwidth_mib) {
      throw usage_error(fmt::format(
          "--http-bandwidth (MiB/s, 0: unlimited) must be 0 or a number in [{}, {}] (got '{}')",
          limits::min_http_bandwidth_mib, limits::max_http_bandwidth_mib, *o.http_bandwidth_mib));
    }
    spec.workload.http.bandwidth_bytes_per_second =
        static_cast<std::uint64_t>(mib * 1024.0 * 1024.0);
  }
  if (o.serial_fraction) {
    spec.workload.serial_fraction = parse_number(*o.serial_fraction, "--serial-fraction", 0.0, 1.0);
  }
  if (o.cpu_fraction) {
    spec.workload.cpu_fraction = parse_number(*o.cpu_fraction, "--cpu-fraction", 0.0, 1.0);
  }
  if (o.critical_fraction) {
    spec.workload.critical_fraction =
        parse_number(*o.critical_fraction, "--critical-fraction", 0.0, 1.0);
  }
  if (o.locks) {
    spec.workload.locks = static_cast<std::size_t>(parse_count(*o.locks, "--locks", 1, max_locks));
  }
  // A graph shape's own options, each only with its shape.
  const auto require_shape = [&](const char* option, const char* shape) {
    if (spec.workload.name != shape) {
      throw usage_error(
          fmt::format("{} is for the {} workload (got -w {})", option, shape, spec.workload.name));
    }
  };
  const auto shape_option = [&](const std::optional<std::string>& text, const char* option,
                                const char* shape,
                                std::uint64_t high) -> std::optional<std::size_t> {
    if (!text) return std::nullopt;
    require_shape(option, shape);
    return static_cast<std::size_t>(parse_count(*text, option, 1, high));
  };
  if (auto n = shape_option(o.stages, "--stages", "pipeline", limits::max_stages)) {
    spec.workload.stages = *n;
  }
  if (auto n = shape_option(o.tokens, "--tokens", "pipeline", limits::max_tasks)) {
    spec.workload.tokens = *n;
  }
  if (auto n = shape_option(o.width, "--width", "layered", limits::max_tasks)) {
    spec.workload.width = *n;
  }
  if (o.edge_probability) {
    require_shape("--edge-probability", "layered");
    spec.workload.edge_probability =
        parse_number(*o.edge_probability, "--edge-probability", 0.0, 1.0);
  }
  if (o.edge_bytes) {  // only for a graph workload: check_spec says so
    spec.workload.edge_bytes =
        parse_bytes(*o.edge_bytes, "--edge-bytes", 0, limits::max_edge_bytes);
  }
  if (o.fault) {
    require_value(o.fault, "--fault", "throw, abort, segv or exit");
    try {
      spec.workload.fault = fault_mode_from_string(*o.fault);
    } catch (const std::invalid_argument& e) {
      throw usage_error(std::string("--fault: ") + e.what());
    }
  }
  if (o.fault_task) {
    if (!o.fault) throw usage_error("--fault-task needs --fault (throw, abort, segv or exit)");
    spec.workload.fault_task =
        parse_count(*o.fault_task, "--fault-task", 0, spec.workload.tasks - 1);
  }
  if (o.mpi_schedule) {
    try {
      spec.mpi.schedule = mpi_schedule_from_string(*o.mpi_schedule);
    } catch (const std::invalid_argument& e) {
      throw usage_error(std::string("--mpi-schedule: ") + e.what());
    }
  }
  const bool has_mpi =
      std::find(spec.executors.begin(), spec.executors.end(), "mpi") != spec.executors.end();
  if (o.mpi_timeout) {
    if (!has_mpi) throw usage_error("--mpi-timeout: only the mpi model has one (add -e mpi)");
    spec.mpi.timeout =
        std::chrono::seconds(parse_count(*o.mpi_timeout, "--mpi-timeout (seconds)", 1, 86'400 * 7));
  }
  if (o.mpi_start_timeout) {
    if (!has_mpi) {
      throw usage_error("--mpi-start-timeout: only the mpi model has one (add -e mpi)");
    }
    spec.mpi.start_timeout = std::chrono::seconds(
        parse_count(*o.mpi_start_timeout, "--mpi-start-timeout (seconds)", 1, 86'400));
  }
  if (o.hosts || o.hostfile) {
    check_placement_options(o.hosts, o.hostfile, has_mpi);
    spec.mpi.hosts = o.hosts.value_or("");
    spec.mpi.hostfile = o.hostfile.value_or("");
  }
  if (o.python && spec.workload.name != "cpu" && spec.workload.name != "io") {
    throw usage_error(fmt::format(
        "--python: no CPython reference for workload '{}' (allowed: cpu, io)", spec.workload.name));
  }
  check_spec(spec);  // the library's own ranges, should the above ever drift from them
  for (const auto& e : spec.executors) {
    check_machine_allows(e, spec.workers, spec.workload.tasks, spec.workload.name);
  }
  return spec;
}

std::size_t repeat_option(const std::optional<std::string>& text) {
  return text ? parse_count(*text, "--repeat", 1, limits::max_repeat) : 3;
}

void apply_pinning(const std::optional<std::string>& cpus) {
  if (!cpus) return;
  require_value(cpus, "--pin-cores", "a CPU list such as 0, 0,1 or 0-3");
  std::vector<int> list;
  try {
    list = parse_cpu_list(*cpus);
  } catch (const std::invalid_argument& e) {
    throw usage_error(std::string("--pin-cores: ") + e.what());
  }
  pin_to_cpus(list);
}

void check_placement_options(const std::optional<std::string>& hosts,
                             const std::optional<std::string>& hostfile, bool has_mpi) {
  if (!hosts && !hostfile) return;
  const char* option = hosts ? "--hosts" : "--hostfile";
  if (!has_mpi) {
    throw usage_error(fmt::format("{}: only the mpi model runs on hosts (add -e mpi)", option));
  }
  try {
    check_mpi_placement(hosts.value_or(""), hostfile.value_or(""));
  } catch (const std::invalid_argument& e) {
    throw usage_error(fmt::format("{}: {}", option, e.what()));
  }
}

std::unique_ptr<switch_recorder> start_switch_records(std::string_view instead) {
  auto recorder = std::make_unique<switch_recorder>();
  if (!recorder->available()) say(fmt::format("--exact: {}; {}", recorder->refusal(), instead));
  return recorder;
}

std::vector<named_input> inputs_of(const run_command& c) {
  std::vector<named_input> inputs;
  if (c.hostfile) inputs.push_back({"the hostfile", *c.hostfile});
  if (c.graph) inputs.push_back({"the graph file", *c.graph});
  return inputs;
}

int command_run(const run_command& o) {
  experiment_spec spec = run_spec(o);
  const outputs out(o.outputs, inputs_of(o));
  apply_pinning(o.pin_cores);
  // Forked after the pinning: the collector competes for the same cores as an observer on the
  // machine would.
  std::unique_ptr<switch_recorder> exact;
  if (o.exact) exact = start_switch_records("the timelines are parlab's own recording");
  if (exact && exact->available()) {
    spec.exact = exact.get();
    spec.keep_records = true;
  }
  std::FILE* human = out.human();
  const workload_info& info = find_workload(spec.workload.name);
  print_to(human, fmt::format("{} workload, {} tasks of size {} ({}), {} repeats\n",
                              spec.workload.name, spec.workload.tasks,
                              effective_size(spec.workload), info.size_meaning, spec.repeat));
  session s(out);
  auto runs = s.run(spec);
  if (o.python) {
    const auto py = s.run_cpython(spec);
    runs = joined(std::move(runs), py);
    print_to(human, format_table(runs) + cpython_note(py));
  } else {
    print_to(human, format_table(runs));
  }
  if (o.outputs.timeline) {
    std::vector<const measured_run*> all;
    for (const auto& r : runs) all.push_back(&r);
    print_timelines(human, all);
  }
  s.write();
  return report_failures(runs);
}

}  // namespace parlab::cli
