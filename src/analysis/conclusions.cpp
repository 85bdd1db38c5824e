#include <parlab/experiment.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <string>

namespace parlab {
namespace {

const measured_run* find(const std::vector<measured_run>& runs, std::string_view executor) {
  for (const auto& r : runs) {
    if (r.executor == executor) return &r;
  }
  return nullptr;
}

double speedup_of(const measured_run* r) { return r != nullptr ? r->speedup.value_or(1.0) : 0.0; }

std::string speedups(const std::vector<measured_run>& runs) {
  std::string out;
  for (const auto& r : runs) {
    if (r.is_baseline || !r.speedup) continue;
    out += fmt::format("{}{} {:.2f}x", out.empty() ? "" : ", ", r.executor, *r.speedup);
  }
  return out;
}

/// Seconds per compute unit of a sequential cpu run.
double per_unit(const measured_run& r) {
  const double units = static_cast<double>(r.tasks) * static_cast<double>(r.size);
  return units > 0 ? r.wall_median / units : 0.0;
}

}  // namespace

std::vector<std::string> cpython_conclusions(const std::vector<measured_run>& cpu_runs,
                                             const std::vector<measured_run>& cpython_cpu_runs,
                                             const std::vector<measured_run>& cpython_io_runs) {
  std::vector<std::string> lines;
  const auto* py_threads = find(cpython_cpu_runs, "cpython-threads");
  const auto* py_processes = find(cpython_cpu_runs, "cpython-processes");
  const auto* gil = find(cpu_runs, "gil-threads");
  if (py_threads != nullptr && py_processes != nullptr) {
    const double threads = speedup_of(py_threads);
    const double processes = speedup_of(py_processes);
    std::string line = fmt::format(
        "The real GIL: CPython threads {:.2f}x ({:.0f}% CPU) and CPython processes {:.2f}x "
        "({:.0f}% CPU) on the CPU-bound work",
        threads, py_threads->cpu_utilisation * 100.0, processes,
        py_processes->cpu_utilisation * 100.0);
    if (gil != nullptr) {
      line += fmt::format("; parlab's emulated GIL gave {:.2f}x", speedup_of(gil));
    }
    if (threads < 1.2 && processes >= 1.3) {
      line +=
          " - CPython's lock lets one thread run Python at a time, so threads cannot compute "
          "in parallel; each process has its own interpreter and its own lock.";
      if (gil != nullptr && std::abs(speedup_of(gil) - threads) < 0.25) {
        line += " The emulation and the real lock agree.";
      }
    } else {
      line += " - the expected contrast did not appear this time.";
    }
    lines.push_back(line);
  }
  const auto* py_seq = find(cpython_cpu_runs, "cpython-sequential");
  const auto* cpp_seq = find(cpu_runs, "sequential");
  const auto* cpp_threads = find(cpu_runs, "threads");
  if (py_seq != nullptr && cpp_seq != nullptr && per_unit(*cpp_seq) > 0.0) {
    const double py = per_unit(*py_seq);
    const double cpp = per_unit(*cpp_seq);
    std::string line = fmt::format(
        "C++ and CPython on the same work: one compute unit (64 numbers tested for primality) "
        "took {:.1f} us in C++ and {:.1f} us in CPython ({:.0f}x)",
        cpp * 1e6, py * 1e6, py / cpp);
    if (cpp_threads != nullptr && py_threads != nullptr) {
      line += fmt::format("; with threads C++ gained {:.2f}x, CPython {:.2f}x",
                          speedup_of(cpp_threads), speedup_of(py_threads));
    }
    lines.push_back(line + ".");
  }
  const auto* py_io_threads = find(cpython_io_runs, "cpython-threads");
  const auto* py_io_async = find(cpython_io_runs, "cpython-asyncio");
  if (py_io_threads != nullptr && py_io_async != nullptr) {
    std::string line =
        fmt::format("CPython on the I/O-bound work: threads {:.2f}x, asyncio {:.2f}x",
                    speedup_of(py_io_threads), speedup_of(py_io_async));
    if (speedup_of(py_io_threads) >= 2.0 && speedup_of(py_io_async) >= 2.0) {
      line +=
          " - CPython releases the GIL while a thread waits, and an event loop waits for "
          "many at once, so waits overlap even under the lock.";
    } else {
      line += " - the expected gain from overlapping waits did not appear this time.";
    }
    lines.push_back(line);
  }
  return lines;
}

std::vector<std::string> conclusions(const std::vector<measured_run>& cpu_runs,
                                     const std::vector<measured_run>& io_runs, std::size_t cores) {
  std::vector<std::string> lines;
  const auto* cpu_threads = find(cpu_runs, "threads");
  const auto* cpu_processes = find(cpu_runs, "processes");
  const auto* cpu_gil = find(cpu_runs, "gil-threads");
  if (cpu_threads != nullptr && cpu_processes != nullptr && cpu_gil != nullptr) {
    const double threads = speedup_of(cpu_threads);
    const double processes = speedup_of(cpu_processes);
    const double gil = speedup_of(cpu_gil);
    std::string line =
        fmt::format("CPU-bound: {} on {} core{}", speedups(cpu_runs), cores, cores == 1 ? "" : "s");
    if (cores < 2) {
      line += " - with one core nothing computes in parallel: every model can only take turns.";
    } else if (std::min(threads, processes) >= 1.3 && gil < std::min(threads, processes) * 0.8) {
      line += fmt::format(
          " - an interpreter lock serialises computation: gil-threads took turns ({}, {:.0f}% CPU) "
          "while threads and processes computed in parallel ({}, {:.0f}% CPU); processes each "
          "have their own memory and would each have their own interpreter lock.",
          to_string(cpu_gil->concurrency.result), cpu_gil->cpu_utilisation * 100.0,
          to_string(cpu_threads->concurrency.result), cpu_threads->cpu_utilisation * 100.0);
    } else {
      line += fmt::format(
          " - the expected gap did not appear this time (threads {:.2f}x, gil-threads {:.2f}x): "
          "is something else busy on this machine? Try again or raise --repeat.",
          threads, gil);
    }
    lines.push_back(line);
  }

  const auto* io_threads = find(io_runs, "threads");
  const auto* io_gil = find(io_runs, "gil-threads");
  if (io_threads != nullptr && io_gil != nullptr && !io_runs.empty()) {
    const double threads = speedup_of(io_threads);
    const double gil = speedup_of(io_gil);
    std::string line =
        fmt::format("I/O-bound: {} with W = {}", speedups(io_runs), io_threads->workers);
    if (threads >= 2.0 && gil >= 2.0) {
      line += fmt::format(
          " - waiting does not use the CPU ({:.0f}% CPU for threads), so even lock-serialised "
          "threads overlap their waits: {} tasks in flight at once, verdict {}.",
          io_threads->cpu_utilisation * 100.0, io_gil->concurrency.peak_in_flight,
          to_string(io_gil->concurrency.result));
    } else {
      line += " - the expected gain from overlapping waits did not appear this time.";
    }
    lines.push_back(line);
  }

  const auto* io_async = find(io_runs, "async");
  const auto* cpu_async = find(cpu_runs, "async");
  if (io_async != nullptr && cpu_async != nullptr) {
    const double io = speedup_of(io_async);
    const double cpu = speedup_of(cpu_async);
    std::string line = fmt::format(
        "An event loop: async {:.2f}x on the I/O-bound work with one thread ({} tasks in flight, "
        "{:.0f}% CPU, {} voluntary context switches) and {:.2f}x on the CPU-bound work",
        io, io_async->concurrency.peak_in_flight, io_async->cpu_utilisation * 100.0,
        io_async->kernel.voluntary_switches, cpu);
    if (io >= 2.0 && cpu < 1.3) {
      line +=
          " - it overlaps waiting, never computing: a compute step holds the loop's only thread.";
    } else {
      line += " - the expected contrast did not appear this time.";
    }
    lines.push_back(line);
  }

  const auto* io_processes = find(io_runs, "processes");
  const auto* io_pool = find(io_runs, "thread-pool");
  if (io_processes != nullptr && io_threads != nullptr && io_pool != nullptr) {
    const double process_ms = io_processes->wall_median * 1e3;
    const double thread_ms = io_threads->wall_median * 1e3;
    const double pool_ms = io_pool->wall_median * 1e3;
    const double process_cpu_ms = io_processes->kernel.cpu_seconds() * 1e3;
    const double thread_cpu_ms = io_threads->kernel.cpu_seconds() * 1e3;
    std::string line = fmt::format(
        "Cost of a worker: on the same I/O work a process per task took {:.1f} ms, a thread per "
        "task {:.1f} ms, a thread pool {:.1f} ms (median wall); processes used {:.1f} ms of CPU "
        "against {:.1f} ms for threads",
        process_ms, thread_ms, pool_ms, process_cpu_ms, thread_cpu_ms);
    // Each claim only when this run's numbers show it.
    if (process_cpu_ms > thread_cpu_ms * 1.2) {
      line += " - creating and reaping a process is dearer than a thread";
      line += pool_ms <= thread_ms ? ", and a pool creates its workers only once." : ".";
    } else {
      line += " - here a process per task was not measurably dearer than a thread.";
    }
    lines.push_back(line);
  }
  // The figures compare runs made at different moments: say so when others held the cores.
  const measured_run* busiest = nullptr;
  for (const auto* runs : {&cpu_runs, &io_runs}) {
    for (const auto& r : *runs) {
      if (r.others_cores && (busiest == nullptr || *r.others_cores > *busiest->others_cores)) {
        busiest = &r;
      }
    }
  }
  if (busiest != nullptr && *busiest->others_cores >= 0.5) {
    lines.push_back(fmt::format(
        "A busy machine: others (other programs, the kernel, the hypervisor) kept {:.1f} of the "
        "{} cores busy during the {} {} runs - the gains above understate what this machine "
        "does when it is free.",
        *busiest->others_cores, cores, busiest->workload, busiest->executor));
  }
  return lines;
}

}  // namespace parlab
