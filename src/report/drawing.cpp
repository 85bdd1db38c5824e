#include "report/drawing.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace parlab::detail {

bool has_timeline(const measured_run& run) noexcept {
  return !run.representative.recorded.events.empty();
}

std::size_t lane_count(const measured_run& run) noexcept {
  std::size_t lanes = std::max<std::size_t>(run.workers, 1);
  for (const auto& e : run.representative.recorded.events) {
    if (e.worker != no_id) lanes = std::max<std::size_t>(lanes, std::size_t{e.worker} + 1);
  }
  return lanes;
}

std::int64_t timeline_end(const measured_run& run) noexcept {
  std::int64_t end = run.representative.end_ns;
  for (const auto& e : run.representative.recorded.events) end = std::max(end, e.end_ns);
  return end;
}

std::string_view lane_noun(const measured_run& run) noexcept {
  return run.executor.find("process") != std::string::npos ? "slot" : "worker";
}

std::vector<int> cpus_used(const measured_run& run) {
  std::set<int> cpus;
  for (const auto& e : run.representative.recorded.events) {
    if (e.kind == event_kind::slice && e.cpu >= 0) cpus.insert(e.cpu);
  }
  return {cpus.begin(), cpus.end()};
}

std::string run_name(const measured_run& run) {
  return fmt::format("{} · {} · W={}", run.executor, run.workload, run.workers);
}

std::string millis(double seconds) {
  const double ms = seconds * 1e3;
  if (ms < 1.0) return fmt::format("{:.2f} ms", ms);
  if (ms < 100.0) return fmt::format("{:.1f} ms", ms);
  return fmt::format("{:.0f} ms", ms);
}

std::string run_figures(const measured_run& run) {
  const auto& c = run.concurrency;
  std::string s =
      fmt::format("{}: avg parallelism {:.2f}, peak {} running / {} in flight, {} tasks, wall {}",
                  to_string(c.result), c.avg_parallelism, c.peak_running, c.peak_in_flight,
                  run.tasks, millis(run.representative.wall_seconds()));
  if (c.preemptions > 0) {
    s += fmt::format(", {} preemptions ({})", c.preemptions, millis(c.preempted_seconds));
  }
  if (c.gil_wait_fraction) s += fmt::format(", GIL wait {:.0f}%", *c.gil_wait_fraction * 100.0);
  if (run.speedup) s += fmt::format(", speedup {:.2f}x", *run.speedup);
  return s;
}

std::string verdict_explanation(const measured_run& run) {
  switch (run.concurrency.result) {
    case verdict::serial:
      return "Serial: one task at a time, one after another - the baseline every speedup divides.";
    case verdict::concurrent:
      if (run.concurrency.gil_wait_fraction && *run.concurrency.gil_wait_fraction > 0.2) {
        return "Concurrent, not parallel: every task was in flight, but the lock let only one "
               "compute at a time - the others waited for it (red), so there is no speedup.";
      }
      if (run.concurrency.waiting_seconds > run.concurrency.running_seconds) {
        return "Concurrent: many tasks in flight at once, mostly waiting (hatched) - waiting "
               "uses no CPU, so their waits overlap even on one core.";
      }
      return "Concurrent, not parallel: several tasks in flight, but they took turns on one "
             "core's worth of CPU - the gaps (grey) are where the kernel ran another task.";
    case verdict::parallel:
      return "Parallel: tasks ran at the same instant on different cores - the CPU lanes are "
             "busy together.";
    case verdict::concurrent_parallel:
      return "Concurrent and parallel: every core was busy at once, and more tasks were in "
             "flight than cores, so they also took turns (gaps) on each core.";
  }
  return {};
}

char task_glyph(std::uint32_t id) noexcept {
  static constexpr char glyphs[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  return glyphs[id % (sizeof glyphs - 1)];
}

std::string_view wait_description(wait_kind kind) noexcept {
  switch (kind) {
    case wait_kind::blocking:
      return "blocking call";
    case wait_kind::async:
      return "asynchronous I/O";
    case wait_kind::sleep:
    case wait_kind::none:
      break;
  }
  return "sleep";
}

int task_hue(std::uint32_t id) noexcept {
  return static_cast<int>((static_cast<std::uint64_t>(id) * 137 + 200) % 360);
}

}  // namespace parlab::detail
