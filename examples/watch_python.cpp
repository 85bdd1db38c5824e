// watch_python: parlab watch on CPython's classic scripts, from outside the interpreter.
//
// Claim: watched from outside (parlab watch samples /proc; nothing in Python is changed or
// imported), CPython threads doing CPU-bound work run one at a time - concurrent, never two
// running at once, because of the GIL - while multiprocessing's processes run at the same instant
// on two cores - parallel; threads waiting for I/O are all in flight together with the CPU almost
// idle. The scripts are python/classic_*.py; the verdicts are computed from what was sampled.
//
//   threads, CPU     |0000  0000  0000|   one running at a time: concurrent
//                    |    11    11    |
//   processes, CPU   |0000000000000000|   both running: parallel
//                    |1111111111111111|
//   threads, I/O     |~~~~~~~~~~~~~~~~|   all waiting at once, CPU idle: concurrent
//                    |~~~~~~~~~~~~~~~~|
//
// Run: watch_python [--quick] [--timeline] [--svg PATH]

#include "example.hpp"
#include "watch_python_scripts.hpp"

#include <parlab/cpython.hpp>
#include <parlab/machine.hpp>
#include <parlab/watch.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <utility>

namespace parlab::examples {
namespace {

/// The interpreter itself, not a launcher in front of it (pyenv's shims are shell scripts that
/// start a dozen processes before the interpreter: they would be watched too).
std::optional<std::string> real_python() {
  const auto python = find_python3();
  if (!python) return std::nullopt;
  const std::string command = *python + " -c 'import sys; print(sys.executable)' 2>/dev/null";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(command.c_str(), "r"), ::pclose);
  std::array<char, 4096> line{};
  if (pipe && std::fgets(line.data(), static_cast<int>(line.size()), pipe.get()) != nullptr) {
    std::string path(line.data());
    while (!path.empty() && (path.back() == '\n' || path.back() == '\r')) path.pop_back();
    if (find_program(path)) return path;
  }
  return python;
}

struct script {
  std::string_view file;
  const char* source;
  std::string args;
};

}  // namespace

int watch_python(int argc, char** argv) {
  const options opts = parse_options(argc, argv);
  state_claim("watch_python",
              "watched from outside, CPython threads on CPU work take turns (concurrent), "
              "multiprocessing runs at once on two cores (parallel), threads waiting on I/O are in "
              "flight together with the CPU idle");
  const auto python = real_python();
  if (!python) {
    evidence("python3 is not on PATH: nothing to watch");
    std::puts("verdict: inconclusive (python3 is not installed)");
    return inconclusive_code;
  }
  const std::string count = opts.quick ? "4000000" : "10000000";
  const script scripts[] = {
      {"classic_threads_cpu.py", classic_python::threads_cpu, "2 " + count},
      {"classic_processes_cpu.py", classic_python::processes_cpu, "2 " + count},
      {"classic_threads_io.py", classic_python::threads_io, opts.quick ? "4 0.3" : "4 1.0"},
  };
  std::vector<measured_run> runs;
  watch_result io_watch;  // the last script's: its waiting window is judged on its own
  for (const auto& s : scripts) {
    std::vector<std::string> argv_of = {*python, "-c", s.source};
    for (std::size_t from = 0; from < s.args.size();) {
      const auto space = std::min(s.args.find(' ', from), s.args.size());
      argv_of.push_back(s.args.substr(from, space - from));
      from = space + 1;
    }
    const double busy_before = busy_cpu_seconds().value_or(0.0);
    watch_result w = watch_program(argv_of, {});
    const double busy_after = busy_cpu_seconds().value_or(0.0);
    measured_run r = watch_run(w, watch_min_hold_ns(w.interval));
    r.workload = std::string(s.file);
    // What others kept busy meanwhile: the CPUs' busy time beyond the script's and the sampler's.
    if (w.wall_seconds() > 0 && busy_after > busy_before) {
      r.others_cores = std::max(0.0, (busy_after - busy_before - w.tree_cpu_seconds.value_or(0.0) -
                                      w.sampler_cpu_seconds) /
                                         w.wall_seconds());
    }
    evidence(fmt::format(
        "{:<25} {:<19} {} in flight, {} running at most, average parallelism {:.2f}, CPU {:.2f} s "
        "in {:.2f} s (sampler {:.1f}% of a core)",
        s.file, to_string(r.concurrency.result), r.concurrency.peak_in_flight,
        r.concurrency.peak_running, r.concurrency.avg_parallelism, w.seen_cpu_seconds(),
        w.wall_seconds(), 100.0 * w.sampler_core_share()));
    runs.push_back(std::move(r));
    io_watch = std::move(w);  // only the last one is kept
  }
  const auto& threads_cpu = runs[0].concurrency;
  const auto& processes_cpu = runs[1].concurrency;
  const auto& threads_io = runs[2].concurrency;
  const bool threads_take_turns =
      threads_cpu.result == verdict::concurrent && threads_cpu.peak_running == 1;
  const bool processes_parallel = processes_cpu.result == verdict::parallel;
  // Almost idle while they wait: under a quarter of one core on average from the first download
  // thread's start to the last one's end. The interpreter's start-up (0.1 s of CPU on CI's host)
  // comes before and is left out: over a quick run it alone was a quarter of a core there.
  std::int64_t from = io_watch.end_ns, to = io_watch.start_ns;
  for (const auto& t : io_watch.threads) {
    if (t.tid == t.pid) continue;  // the main thread: starts the interpreter, then joins
    from = std::min(from, t.first_ns);
    to = std::max(to, t.last_ns);
  }
  std::optional<concurrency_summary> waiting;
  if (from < to) {
    waiting = watch_summary(io_watch.events, io_watch.threads.size(), io_watch.cores, from, to,
                            watch_min_hold_ns(io_watch.interval), io_watch.interval.count() * 1000);
    evidence(fmt::format("{:<25} while the downloads waited ({:.2f} s): average parallelism {:.2f}",
                         "", 1e-9 * static_cast<double>(to - from), waiting->avg_parallelism));
  }
  const bool io_overlaps = threads_io.result == verdict::concurrent &&
                           threads_io.peak_in_flight >= 4 && waiting &&
                           waiting->avg_parallelism < 0.25;
  show_pictures(opts, runs);
  std::string why;
  if (!threads_take_turns)
    why += "CPython threads on CPU work were not concurrent with one running; ";
  if (!processes_parallel) why += "the processes were not parallel; ";
  if (!io_overlaps) why += "the waiting threads were not all in flight with the CPU idle; ";
  if (!why.empty()) why.resize(why.size() - 2);
  // Only the processes' parallelism needs two free cores.
  return conclude_needing_cores(threads_take_turns && processes_parallel && io_overlaps, why,
                                {runs[1]}, 2.0);
}

}  // namespace parlab::examples
