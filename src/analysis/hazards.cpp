// Hazard warnings: measured facts about the machine and each run that can make its figures
// mislead, one line each (the table's "warning:" lines, the JSON's hazards).

#include <parlab/clock.hpp>
#include <parlab/experiment.hpp>
#include <parlab/hazards.hpp>
#include <parlab/kernel_figures.hpp>
#include <parlab/machine.hpp>

#include "core/proc_files.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <mutex>
#include <set>
#include <string>
#include <thread>

namespace parlab {
namespace {

std::vector<hazard> measure_machine_hazards() {
  std::vector<hazard> out;
  const std::size_t cores = usable_cores();
  // Others on our CPUs right now: their busy time over 100 ms, less this process's (the load
  // average would count parlab's own earlier runs for a minute).
  const auto busy_before = busy_cpu_seconds();
  const auto own_before = rusage_snapshot::now();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const auto busy_after = busy_cpu_seconds();
  const double own = difference(own_before, rusage_snapshot::now()).cpu_seconds();
  if (busy_before && busy_after) {
    const double others = std::max(0.0, (*busy_after - *busy_before - own) / 0.1);
    if (others >= others_busy_cores) {
      const std::string load = detail::read_proc_line("/proc/loadavg");
      out.push_back({"busy_machine",
                     fmt::format("others were using {:.1f} of the {} usable cores just before the "
                                 "runs (load average {}): they may take cores from the runs",
                                 others, cores, load.substr(0, load.find(' ')))});
    }
  }
  // SMT: usable CPUs that are hardware threads of one core.
  const std::vector<int> mine = affinity();
  std::set<std::string> shared_cores;
  for (const int cpu : mine) {
    const std::string siblings = detail::read_proc_line(
        fmt::format("/sys/devices/system/cpu/cpu{}/topology/thread_siblings_list", cpu));
    if (siblings.empty()) continue;
    const std::vector<int> ids = [&] {
      try {
        return parse_cpu_list(siblings);
      } catch (const std::exception&) {
        return std::vector<int>{};
      }
    }();
    std::size_t usable = 0;
    for (const int id : ids) {
      if (std::binary_search(mine.begin(), mine.end(), id)) ++usable;
    }
    if (usable > 1) shared_cores.insert(siblings);
  }
  if (!shared_cores.empty()) {
    std::string list;
    for (const auto& s : shared_cores) list += (list.empty() ? "" : "; ") + s;
    out.push_back({"smt", fmt::format("CPUs {} are SMT siblings (hardware threads of one core): "
                                      "two tasks on them share its execution units, so 2 "
                                      "\"cores\" may give well under 2x",
                                      list)});
  }
  // Frequency scaling: a governor that changes the clock with the load.
  std::set<std::string> governors;
  for (const int cpu : mine) {
    const std::string g = detail::read_proc_line(
        fmt::format("/sys/devices/system/cpu/cpu{}/cpufreq/scaling_governor", cpu));
    if (!g.empty() && g != "performance") governors.insert(g);
  }
  if (!governors.empty()) {
    out.push_back({"frequency_scaling",
                   fmt::format("CPU frequency governor '{}': the clock speed follows the load, so "
                               "a run may be timed at another speed than its baseline",
                               *governors.begin())});
  }
  return out;
}

}  // namespace

std::vector<hazard> machine_hazards() {
  // One measurement serves every experiment of the next few seconds (a sweep runs one per
  // point): the 100 ms it blocks would otherwise add up.
  static std::mutex mutex;
  static std::vector<hazard> last;
  static std::int64_t measured_at = 0;
  static bool any = false;
  const std::lock_guard lock(mutex);
  const std::int64_t now = monotonic_ns();
  if (!any || now - measured_at > machine_hazards_reuse_ns) {
    last = measure_machine_hazards();
    measured_at = monotonic_ns();
    any = true;
  }
  return last;
}

std::vector<hazard> run_hazards(const measured_run& r, std::size_t cores) {
  std::vector<hazard> out;
  const std::string row = fmt::format("{} W={}", r.executor, r.workers);
  // Oversubscribed: more workers than cores, and the timeline shows them taking turns.
  if (r.workers > cores && !r.worker_time.empty()) {
    const time_split all = summed(r.worker_time);
    const double total = static_cast<double>(std::max<std::int64_t>(all.total(), 1));
    const double turns =
        static_cast<double>(all[time_reason::preempted] + all[time_reason::ready]) / total;
    const double running = static_cast<double>(all[time_reason::running]) / total;
    if (turns >= 0.05 && running >= 0.2) {
      out.push_back({"oversubscribed",
                     fmt::format("{}: {} workers on {} usable cores, computing {:.0f}% of the "
                                 "time: they took turns, {:.0f}% of their time runnable but off "
                                 "a CPU (preempted or ready)",
                                 row, r.workers, cores, running * 100.0, turns * 100.0)});
    }
  }
  if (r.others_cores && *r.others_cores >= others_busy_cores) {
    out.push_back(
        {"busy_machine", fmt::format("{}: others kept {:.1f} of the {} cores busy during its runs: "
                                     "compare it with care",
                                     row, *r.others_cores, cores)});
  }
  if (r.steal_cores && *r.steal_cores >= 0.05) {
    out.push_back({"steal", fmt::format("{}: the hypervisor kept {:.2f} cores from this machine "
                                        "during its runs (steal time)",
                                        row, *r.steal_cores)});
  }
  if (r.cpu_after_run_seconds && *r.cpu_after_run_seconds >= 0.005) {
    out.push_back(
        {"spinning_after_run",
         fmt::format("{}: its worker threads burned {:.0f} ms of CPU in the 50 ms after the run, "
                     "while no task ran (spin-waiting for more work; OMP_WAIT_POLICY=passive "
                     "stops OpenMP's)",
                     row, *r.cpu_after_run_seconds * 1e3)});
  }
  if (r.wall_median > 0.0 && r.wall_median < too_short_seconds) {
    out.push_back(
        {"too_short", fmt::format("{}: runs of {:.0f} us are too short to time well (under {:.0f} "
                                  "ms, start-up and timer slack dominate): give it more work",
                                  row, r.wall_median * 1e6, too_short_seconds * 1e3)});
  }
  if (r.wall_samples.size() >= 2 && r.spread() > noisy_spread) {
    out.push_back({"noisy", fmt::format("{}: its {} runs differ by {:.0f}% of their median (more "
                                        "than {:.0f}%): compare it with care, or repeat more (-r)",
                                        row, r.wall_samples.size(), r.spread() * 100.0,
                                        noisy_spread * 100.0)});
  }
  return out;
}

}  // namespace parlab
