#include <parlab/report.hpp>

#include "report/drawing.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace parlab {
namespace {

using detail::short_seconds;

/// "0 -> 1 -> 5 -> 9", or the tasks' labels (the first five and the last two of a longer one).
std::string path_in_words(const std::vector<std::size_t>& path,
                          const std::vector<std::string>& labels) {
  const auto name = [&](std::size_t k) {
    return labels.size() == path.size() ? labels[k] : std::to_string(path[k]);
  };
  std::string out;
  for (std::size_t k = 0; k < path.size(); ++k) {
    if (path.size() > 8 && k == 5) {
      out += fmt::format(" -> ... ({} more)", path.size() - 7);
      k = path.size() - 3;
      continue;
    }
    out += fmt::format("{}{}", k == 0 ? "" : " -> ", name(k));
  }
  return out;
}

}  // namespace

std::string format_exact_rows(const std::vector<measured_run>& runs) {
  std::string out;
  for (const auto& r : runs) {
    const auto& rep = r.representative;
    if (!rep.exact) continue;
    const switch_schedule& x = *rep.exact;
    const switch_counts& c = x.run;
    out += fmt::format(
        "exact switches, {} W={}: {} on-CPU stretches; {} switch-outs preempted (the kernel's "
        "involuntary count: {}), {} blocked or ended (voluntary: {}); {}\n",
        r.executor, r.workers, c.intervals, c.preempted, rep.kernel.involuntary_switches,
        c.voluntary, rep.kernel.voluntary_switches, detail::switch_records_in_words(x));
    // Where the run's wall went along its critical path (from its end back through the main
    // thread's joins to the workers that ended them), by thread.
    const detail::program_path path = detail::program_path_by_thread(r);
    if (path.rows.empty()) continue;
    out += fmt::format(
        "  critical path ({}, from the run's end back through its waits and the "
        "threads that ended them):\n",
        detail::millis(to_seconds(path.span_ns)));
    for (std::size_t k = 0; k < std::min<std::size_t>(path.rows.size(), 6); ++k) {
      const auto& row = path.rows[k];
      out += fmt::format("    {:>5.1f}%  {:<26} {}\n", row.percent, row.thread, row.parts);
    }
    if (path.rows.size() > 6) {
      out += fmt::format("    ... and {} more threads\n", path.rows.size() - 6);
    }
  }
  return out;
}

std::string format_graph_rows(const std::vector<measured_run>& runs) {
  const auto with_graph =
      std::count_if(runs.begin(), runs.end(), [](const measured_run& r) { return r.graph; });
  if (with_graph == 0) return {};
  std::string out;
  const graph_figures* first = nullptr;
  for (const auto& r : runs) {
    if (r.graph) {
      first = &*r.graph;
      break;
    }
  }
  out += fmt::format(
      "task graph: {} tasks, {} edges; work = the tasks' time summed, span = the longest chain "
      "(both measured); burdened = the parallelism left when every task also pays the model's "
      "cost per task (a hand-over along an edge, measured with a chain of empty tasks before the "
      "run)\n",
      first->tasks, first->edges);
  out += fmt::format("  {:<13} {:>3} {:>9} {:>9} {:>11} {:>9} {:>9} {:>9}  {:<48} {}\n", "executor",
                     "W", "work", "span", "parallelism", "cost/task", "burdened", "wall",
                     "Brent bounds [low, up; burdened up] (P)", "chain that ended it");
  for (const auto& r : runs) {
    if (!r.graph) continue;
    const graph_figures& g = *r.graph;
    const bool burdened = g.burdened_parallelism > 0.0;
    out += fmt::format(
        "  {:<13} {:>3} {:>9} {:>9} {:>11.2f} {:>9} {:>9} {:>9}  {:<48} {} tasks: {} running, {} "
        "ready before starting\n",
        r.executor, r.workers, short_seconds(g.work_seconds), short_seconds(g.span_seconds),
        g.parallelism, burdened ? short_seconds(g.per_task_cost_seconds) : "-",
        burdened ? fmt::format("{:.2f}", g.burdened_parallelism) : "-",
        short_seconds(g.wall_seconds),
        fmt::format("{} [{}, {}{}] ({})", g.place_in_bounds(), short_seconds(g.lower_bound_seconds),
                    short_seconds(g.upper_bound_seconds),
                    burdened ? "; " + short_seconds(g.burdened_upper_bound_seconds) : "",
                    g.processors),
        g.last_chain.size(), short_seconds(g.last_chain_running_seconds),
        short_seconds(g.last_chain_waiting_seconds));
  }
  for (const auto& r : runs) {
    if (!r.graph || !r.graph->edge_bytes.any()) continue;
    const edge_traffic& e = r.graph->edge_bytes;
    const auto bytes_short = [](std::uint64_t n) {
      return detail::bytes_short(static_cast<std::int64_t>(n));
    };
    out += fmt::format(
        "  data along edges, {} W={}: made {}, read {} by successors, {}; held at most {}\n",
        r.executor, r.workers, bytes_short(e.produced), bytes_short(e.read),
        e.copied == 0 ? std::string("shared in memory (no copy)")
                      : fmt::format("copied {} between processes", bytes_short(e.copied)),
        bytes_short(e.peak_held));
  }
  for (const auto& r : runs) {
    if (!r.pipeline) continue;
    const pipeline_figures& f = *r.pipeline;
    out += fmt::format(
        "  pipeline, {} W={}{}: {:.1f} items/s; limits: serial stage {:.1f}, {} token{} {:.1f}, "
        "the cores {:.1f} (binding: {}); items in flight: peak {}, mean {:.2f}\n",
        r.executor, r.workers,
        r.graph && !r.graph->runner.empty() ? fmt::format(" ({})", r.graph->runner) : "",
        f.throughput, f.serial_limit, f.tokens, f.tokens == 1 ? "" : "s", f.token_limit,
        f.core_limit, f.binding(), f.peak_in_flight, f.mean_in_flight);
  }
  for (const auto& r : runs) {
    if (!r.graph || r.is_baseline) continue;
    out += fmt::format("  critical path, {} W={} ({} tasks): {}\n", r.executor, r.workers,
                       r.graph->critical_path.size(),
                       path_in_words(r.graph->critical_path, r.graph->critical_labels));
  }
  return out;
}

std::string format_table(const std::vector<measured_run>& runs) {
  std::size_t name_width = 13;  // wider when a name is longer (cpython-process-pool)
  for (const auto& r : runs) name_width = std::max(name_width, r.executor.size());
  std::string out =
      fmt::format("{:<{}} {:>3}  {:<27} {:>8} {:>7} {:>8} {:>8} {:>15} {:>9}  {}\n", "executor",
                  name_width, "W", "wall median [min-max]", "speedup", "effic.", "CPU util",
                  "peak RSS", "ctx sw vol/inv", "peak f/r", "verdict");
  out += std::string(117 + name_width - 13, '-') + "\n";
  for (const auto& r : runs) {
    const std::string wall = fmt::format("{} [{}-{}]", short_seconds(r.wall_median),
                                         short_seconds(r.wall_min), short_seconds(r.wall_max));
    const std::string speedup =
        r.speedup ? fmt::format("{:.2f}x", *r.speedup) : (r.is_baseline ? "base" : "-");
    const std::string efficiency =
        r.efficiency ? fmt::format("{:.0f}%", *r.efficiency * 100.0) : "-";
    const auto count = [](std::int64_t n) { return n < 0 ? std::string("-") : std::to_string(n); };
    const std::string switches =
        count(r.kernel.voluntary_switches) + "/" + count(r.kernel.involuntary_switches);
    // Peak tasks in flight / running at once (running is known only from a timeline).
    const std::string peaks =
        r.concurrency.from_timeline
            ? fmt::format("{}/{}", r.concurrency.peak_in_flight, r.concurrency.peak_running)
            : fmt::format("{}/-", r.concurrency.peak_in_flight);
    std::string verdict(to_string(r.concurrency.result));
    if (r.concurrency.gil_wait_fraction) {
      verdict += fmt::format("  (GIL wait {:.0f}%)", *r.concurrency.gil_wait_fraction * 100.0);
    }
    if (r.failed_tasks > 0) verdict += fmt::format("  ({} failed)", r.failed_tasks);
    out += fmt::format("{:<{}} {:>3}  {:<27} {:>8} {:>7} {:>7.0f}% {:>8} {:>15} {:>9}  {}\n",
                       r.executor, name_width, r.workers, wall, speedup, efficiency,
                       r.cpu_utilisation * 100.0, detail::bytes_short(r.kernel.peak_rss_bytes),
                       switches, peaks, verdict);
  }
  // Where the cores went, from the timelines: the share of each row's wall time with no CPU, up
  // to half, up to 85% or more of the usable cores running its tasks (VTune's bands).
  std::string busy_rows;
  for (const auto& r : runs) {
    if (!r.busy || r.is_baseline) continue;
    busy_rows += fmt::format("{}{} {:.0f}/{:.0f}/{:.0f}/{:.0f}%", busy_rows.empty() ? "" : ", ",
                             r.executor, r.busy->ideal * 100.0, r.busy->ok * 100.0,
                             r.busy->poor * 100.0, r.busy->idle * 100.0);
  }
  if (!busy_rows.empty()) {
    out += fmt::format("cores busy, share of wall time ideal/ok/poor/idle: {}\n", busy_rows);
  }
  out += format_graph_rows(runs);
  out += format_exact_rows(runs);
  // Where the workers' time went (wait reasons, summed over the workers of each row).
  for (const auto& r : runs) {
    if (r.is_baseline) continue;
    if (const auto all = detail::all_workers_time(r)) {
      out += fmt::format("where the time went, {} W={}: {}\n", r.executor, r.workers,
                         detail::time_split_in_words(*all));
    }
  }
  // The children's memory (process models): what RSS counts in every child, what they share.
  for (const auto& r : runs) {
    if (!r.children) continue;
    out += fmt::format(
        "memory of {}'s {} child processes: RSS {}, PSS {}, USS {} (summed; RSS counts shared "
        "pages in each, PSS splits them, USS is each one's own)\n",
        r.executor, r.children->processes, detail::bytes_short(r.children->rss_bytes),
        detail::bytes_short(r.children->pss_bytes), detail::bytes_short(r.children->uss_bytes));
  }
  // Shared locks (lock steps): the most waited-for of each row.
  for (const auto& r : runs) {
    if (r.locks.empty()) continue;
    out += fmt::format("hottest lock, {} W={}: {}{}\n", r.executor, r.workers,
                       detail::lock_in_words(r.locks.front()),
                       r.locks.size() > 1 ? fmt::format(" ({} locks in all)", r.locks.size()) : "");
  }
  // Hazards, measured: each line once (the machine's repeat on every row).
  std::vector<std::string> said;
  for (const auto& r : runs) {
    for (const auto& h : r.hazards) {
      if (std::find(said.begin(), said.end(), h.message) != said.end()) continue;
      said.push_back(h.message);
      out += (h.intended ? "the point of this case: " : "warning: ") + h.message + "\n";
    }
  }
  return out;
}

}  // namespace parlab
