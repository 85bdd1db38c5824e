#include <parlab/workload.hpp>

#include "core/named_registry.hpp"
#include "core/splitmix.hpp"
#include "workloads/generators.hpp"

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <stdexcept>
#include <string>

namespace parlab {

namespace {

/// The one list of workloads: the built-in ones, then the users'.
detail::named_registry<workload_info>& the_workload_registry() {
  // The built-in workloads' own step kinds go into the interpreter's table with them.
  static const bool steps_installed = [] {
    detail::install_touch_step();
    detail::install_download_step();
    detail::install_amdahl_steps();
    register_step_handler(
        step_kind::fault,
        [](task_context& /*ctx*/, const step& s, std::uint64_t /*seed*/) -> std::uint64_t {
          detail::inject_fault(static_cast<fault_mode>(s.amount & 0xFFU),
                               static_cast<std::size_t>(s.amount >> 8U));
          return 0;
        },
        false);
    return true;
  }();
  (void)steps_installed;
  static detail::named_registry<workload_info> registry(
      "workload",
      {
          {"cpu", "CPU-bound: count primes by trial division, never wait",
           "compute units per task (1 unit tests 64 numbers for primality)", 8000, 8, 100'000'000,
           [](const workload_spec& s, std::uint64_t size) {
             return detail::make_cpu_tasks(s.tasks, size, s.seed);
           }},
          {"io", "I/O-bound: wait (sleep latency), then one unit of compute",
           "milliseconds of waiting per task", 20, 32, 3'600'000,
           [](const workload_spec& s, std::uint64_t size) {
             return detail::make_io_tasks(s.tasks, size, s.seed);
           }},
          {"http",
           "I/O-bound on real I/O: download from a loopback HTTP server (latency, bandwidth), "
           "verify",
           "KiB downloaded per task", 64, 32, 1U << 20U,
           [](const workload_spec& s, std::uint64_t size) {
             return detail::make_http_tasks(s.tasks, size, s.seed, s.http);
           }},
          {"file", "I/O-bound on the file system: write, fsync, read back and check a private file",
           "KiB written per task", 256, 16, 1U << 20U,
           [](const workload_spec& s, std::uint64_t size) {
             return detail::make_file_tasks(s.tasks, size, s.seed);
           }},
          {"mem", "memory-bound: eight passes of a STREAM triad over arrays larger than the caches",
           "MiB of arrays per task", 48, 8, 16U << 10U,
           [](const workload_spec& s, std::uint64_t size) {
             return detail::make_mem_tasks(s.tasks, size, s.seed);
           }},
          {"mixed", "alternate compute and wait, --cpu-fraction of the time computing (4 rounds)",
           "milliseconds per task (its compute sized by the unit cost measured here)", 40, 16,
           3'600'000,
           [](const workload_spec& s, std::uint64_t size) {
             if (!(s.cpu_fraction >= 0.0 && s.cpu_fraction <= 1.0)) {
               throw std::invalid_argument("cpu fraction must be in [0, 1] (got " +
                                           std::to_string(s.cpu_fraction) + ")");
             }
             return detail::make_mixed_tasks(s.tasks, size, s.seed, s.cpu_fraction);
           }},
          {"amdahl",
           "known serial share: --serial-fraction of each task's compute runs alone (a global "
           "lock), the rest beside the others (4 rounds)",
           "compute units per task", 8000, 8, 100'000'000,
           [](const workload_spec& s, std::uint64_t size) {
             return detail::make_amdahl_tasks(s.tasks, size, s.seed, s.serial_fraction);
           }},
          {"locks",
           "contended locks: --critical-fraction of each task's compute holds one of --locks "
           "shared locks (16 rounds; one lock: every critical section queues for it)",
           "compute units per task", 8000, 8, 100'000'000,
           [](const workload_spec& s, std::uint64_t size) {
             return detail::make_lock_tasks(s.tasks, size, s.seed, s.critical_fraction, s.locks);
           }},
          {"chain", "each task after the one before (parallelism 1)", "compute units per task",
           2000, 8, 100'000'000,
           [](const workload_spec& s, std::uint64_t size) {
             return detail::make_chain_tasks(s.tasks, size, s.seed);
           },
           true},
          {"fork-join",
           "a balanced recursive split down to leaves of --size, then the joins "
           "(3L-2 tasks for L leaves)",
           "compute units per leaf (a split or join: 1/8)", 2000, 46, 100'000'000,
           [](const workload_spec& s, std::uint64_t size) {
             return detail::make_fork_join_tasks(s.tasks, size, s.seed);
           },
           true},
          {"map-reduce", "maps side by side, then a binary tree of reductions",
           "compute units per map (a reduction: 1/4)", 2000, 31, 100'000'000,
           [](const workload_spec& s, std::uint64_t size) {
             return detail::make_map_reduce_tasks(s.tasks, size, s.seed);
           },
           true},
          {"wavefront", "an n x n grid, each cell after its left and upper neighbours",
           "compute units per cell", 1000, 64, 100'000'000,
           [](const workload_spec& s, std::uint64_t size) {
             return detail::make_wavefront_tasks(s.tasks, size, s.seed);
           },
           true},
          {"pipeline",
           "items through --stages stages (first and last serial, in order), at most "
           "--tokens items in flight (backpressure)",
           "compute units per parallel stage (a serial one: 1/4)", 2000, 24, 100'000'000,
           [](const workload_spec& s, std::uint64_t size) {
             return detail::make_pipeline_tasks(s.tasks, size, s.seed, s.stages, s.tokens);
           },
           true},
          {"layered",
           "random layers of --width tasks, each after tasks of the layer before "
           "(--edge-probability)",
           "compute units per task", 2000, 24, 100'000'000,
           [](const workload_spec& s, std::uint64_t size) {
             return detail::make_layered_tasks(s.tasks, size, s.seed, s.width, s.edge_probability);
           },
           true},
          {"graph",
           "your own task graph: --graph FILE (JSON or Graphviz DOT; docs/graphs.md), each task "
           "computing and waiting as the file says",
           "not used (each task's compute and wait come from the file)", 1, 1, 1,
           [](const workload_spec& s, std::uint64_t /*size*/) {
             if (s.graph_text.empty()) {
               throw std::invalid_argument(
                   "workload 'graph' reads its tasks from a file: give --graph FILE");
             }
             const std::string source = s.graph_source.empty() ? "graph" : s.graph_source;
             return tasks_of_graph(parse_graph_file(s.graph_text, source), s.seed, source);
           },
           true},
      });
  return registry;
}

}  // namespace

std::vector<workload_info> workloads() { return the_workload_registry().all(); }

workload_info find_workload(std::string_view name) { return the_workload_registry().find(name); }

void register_workload(workload_info info) {
  if (!info.generate) {
    throw std::invalid_argument("register_workload: '" + info.name + "' has no generator");
  }
  if (info.max_size < info.default_size) {
    throw std::invalid_argument("register_workload: '" + info.name +
                                "': max_size is below default_size");
  }
  the_workload_registry().add(std::move(info));
}

std::uint64_t effective_size(const workload_spec& spec) {
  return spec.size.value_or(find_workload(spec.name).default_size);
}

namespace {
constexpr std::array<std::string_view, 5> kFaultNames = {"none", "throw", "abort", "segv", "exit"};
}  // namespace

std::string_view to_string(fault_mode mode) noexcept {
  return kFaultNames.at(static_cast<std::size_t>(mode));
}

fault_mode fault_mode_from_string(std::string_view name) {
  for (std::size_t i = 1; i < kFaultNames.size(); ++i) {
    if (kFaultNames[i] == name) return static_cast<fault_mode>(i);
  }
  throw std::invalid_argument("unknown fault mode '" + std::string(name) +
                              "' (allowed: throw, abort, segv, exit)");
}

bool kills_process(fault_mode mode) noexcept {
  return mode == fault_mode::abort_process || mode == fault_mode::segfault ||
         mode == fault_mode::exit_process;
}

std::vector<std::pair<std::string, double>> workload_parameters(const workload_spec& spec) {
  if (spec.name == "mixed") return {{"cpu_fraction", spec.cpu_fraction}};
  if (spec.name == "amdahl") return {{"serial_fraction", spec.serial_fraction}};
  if (spec.name == "locks") {
    return {{"critical_fraction", spec.critical_fraction},
            {"locks", static_cast<double>(spec.locks)}};
  }
  if (spec.name == "pipeline") {
    return {{"stages", static_cast<double>(spec.stages)},
            {"tokens", static_cast<double>(spec.tokens)}};
  }
  if (spec.name == "layered") {
    return {{"width", static_cast<double>(spec.width)},
            {"edge_probability", spec.edge_probability}};
  }
  if (spec.name != "http") return {};
  return {
      {"latency_ms", static_cast<double>(spec.http.latency.count())},
      {"bandwidth_bytes_per_second", static_cast<double>(spec.http.bandwidth_bytes_per_second)}};
}

std::vector<task> make_workload(const workload_spec& spec) {
  const workload_info info = find_workload(spec.name);
  if (spec.tasks == 0) throw std::invalid_argument("tasks must be at least 1 (got 0)");
  if (spec.fault != fault_mode::none && spec.fault_task >= spec.tasks) {
    throw std::invalid_argument("fault task " + std::to_string(spec.fault_task) +
                                " does not exist (tasks are 0.." + std::to_string(spec.tasks - 1) +
                                ")");
  }
  const std::uint64_t size = spec.size.value_or(info.default_size);
  std::vector<task> tasks = info.generate(spec, size);
  if (tasks.size() != spec.tasks) {
    throw std::logic_error("workload '" + info.name + "' made " + std::to_string(tasks.size()) +
                           " tasks, not the " + std::to_string(spec.tasks) + " asked for");
  }
  if (spec.edge_bytes != 0) {
    if (!info.graph) {
      throw std::invalid_argument(
          "--edge-bytes is for graph workloads (chain, fork-join, "
          "map-reduce, wavefront, pipeline, layered, graph; got '" +
          info.name + "')");
    }
    for (task& t : tasks) {
      if (t.output_bytes == 0) t.output_bytes = static_cast<std::size_t>(spec.edge_bytes);
    }
  }
  if (spec.fault != fault_mode::none) {
    task& victim = tasks.at(spec.fault_task);
    // It starts like any task, then fails: a program of steps still (data, not code), so every
    // model runs it, MPI ranks included.
    const auto fault =
        static_cast<std::uint64_t>(victim.id) << 8U | static_cast<std::uint64_t>(spec.fault);
    std::vector<std::size_t> after = std::move(victim.after);
    victim = make_step_task(victim.id, victim.label, victim.seed,
                            {{step_kind::compute, 1}, {step_kind::fault, fault}});
    victim.after = std::move(after);
  }
  return tasks;
}

namespace detail {

std::vector<task> make_batch(std::string_view prefix, std::size_t tasks, std::uint64_t seed,
                             const std::vector<step>& steps) {
  std::vector<task> out;
  out.reserve(tasks);
  for (std::size_t i = 0; i < tasks; ++i) {
    std::string label(prefix);
    label += '#';
    label += std::to_string(i);
    out.push_back(make_step_task(i, std::move(label), task_seed(seed, i), steps));
  }
  return out;
}

void inject_fault(fault_mode mode, std::size_t id) {
  switch (mode) {
    case fault_mode::none:
      return;
    case fault_mode::throw_exception:
      throw std::runtime_error("injected fault (throw) in task " + std::to_string(id));
    case fault_mode::abort_process:
      std::abort();
    case fault_mode::segfault: {
      // A real invalid access (not raise(SIGSEGV)): a page mapped with no access at all.
      void* page = ::mmap(nullptr, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (page != MAP_FAILED) *static_cast<volatile char*>(page) = 1;
      ::raise(SIGSEGV);  // only if mmap failed
      break;
    }
    case fault_mode::exit_process:
      ::_exit(3);
  }
  std::abort();
}

std::uint64_t task_seed(std::uint64_t seed, std::size_t id) noexcept {
  // Task i gets output i of a SplitMix64 generator seeded with `seed`.
  return splitmix64(seed + splitmix64_step * static_cast<std::uint64_t>(id));
}
}  // namespace detail

}  // namespace parlab
