#include <parlab/classic.hpp>

namespace parlab {

classic_experiment classic_experiment_for(const machine_info& machine, std::size_t repeat) {
  classic_experiment c;
  c.cpu.workload.name = "cpu";
  c.cpu.workload.tasks = find_workload("cpu").default_tasks;
  c.cpu.executors = {"sequential", "threads", "thread-pool", "processes", "gil-threads", "async"};
  c.cpu.workers = machine.cores;
  c.cpu.repeat = repeat;
  c.cpu.keep_records = true;  // the report and the pictures draw the timelines

  c.io = c.cpu;
  c.io.workload.name = "io";
  c.io.workload.tasks = find_workload("io").default_tasks;
  c.io.workers = 16;

  // The classic pictures need two more runs: threads on one core (multitasking: concurrency
  // without parallelism) and more threads than cores on every core (both at once).
  c.one_core = c.cpu;
  c.one_core.workload.tasks = 4;
  c.one_core.workload.size = 3000;
  c.one_core.executors = {"threads"};
  c.one_core.workers = 2;
  c.one_core.baseline = false;
  c.one_core_cpu = machine.affinity.empty() ? 0 : machine.affinity.front();

  c.both = c.one_core;
  c.both.workload.tasks = 2 * machine.cores + 2;
  c.both.workers = 2 * machine.cores;
  return c;
}

}  // namespace parlab
