#include <parlab/workload.hpp>

#include "core/splitmix.hpp"
#include "workloads/generators.hpp"

#include <stdexcept>
#include <string>

namespace parlab {

const std::vector<workload_info>& workloads() {
  static const std::vector<workload_info> list = {
      {"cpu", "CPU-bound: count primes by trial division, never wait",
       "compute units per task (1 unit tests 64 numbers for primality, about 6 us)", 8000, 8},
      {"io", "I/O-bound: wait (sleep latency), then one unit of compute",
       "milliseconds of waiting per task", 20, 32},
  };
  return list;
}

const workload_info& find_workload(std::string_view name) {
  for (const auto& w : workloads()) {
    if (w.name == name) return w;
  }
  std::string allowed;
  for (const auto& w : workloads()) allowed += (allowed.empty() ? "" : ", ") + w.name;
  throw std::invalid_argument("unknown workload '" + std::string(name) + "' (allowed: " + allowed +
                              ")");
}

std::uint64_t effective_size(const workload_spec& spec) {
  return spec.size.value_or(find_workload(spec.name).default_size);
}

std::vector<task> make_workload(const workload_spec& spec) {
  const workload_info& info = find_workload(spec.name);
  if (spec.tasks == 0) throw std::invalid_argument("tasks must be at least 1 (got 0)");
  if (spec.fault != fault_mode::none && spec.fault_task >= spec.tasks) {
    throw std::invalid_argument("fault task " + std::to_string(spec.fault_task) +
                                " does not exist (tasks are 0.." + std::to_string(spec.tasks - 1) +
                                ")");
  }
  const std::uint64_t size = effective_size(spec);
  std::vector<task> tasks = info.name == "cpu" ? detail::make_cpu_tasks(spec.tasks, size, spec.seed)
                                               : detail::make_io_tasks(spec.tasks, size, spec.seed);
  if (spec.fault == fault_mode::throw_exception) {
    task& victim = tasks.at(spec.fault_task);
    victim.body = [id = victim.id](task_context&) -> std::uint64_t {
      throw std::runtime_error("injected fault (throw) in task " + std::to_string(id));
    };
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

std::uint64_t task_seed(std::uint64_t seed, std::size_t id) noexcept {
  // Task i gets output i of a SplitMix64 generator seeded with `seed`.
  return splitmix64(seed + splitmix64_step * static_cast<std::uint64_t>(id));
}
}  // namespace detail

}  // namespace parlab
