// The terminal timeline: one lane of characters per worker and per CPU, over a time axis.

#include <parlab/pictures.hpp>
#include <parlab/timeline_analysis.hpp>

#include "report/drawing.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <utility>

namespace parlab {
namespace {

using detail::task_glyph;

/// What one column of one lane saw: running time per task, and time in each other state.
struct column {
  std::vector<std::pair<std::uint32_t, std::int64_t>> running;  // (task, ns)
  std::int64_t preempted = 0;
  std::int64_t wait = 0;
  std::int64_t gil_wait = 0;
  std::int64_t ready = 0;
  std::int64_t lock_wait = 0;

  void add_running(std::uint32_t task, std::int64_t ns) {
    for (auto& [t, total] : running) {
      if (t == task) {
        total += ns;
        return;
      }
    }
    running.emplace_back(task, ns);
  }
};

/// The column field that counts the time a lane spends in the state event kind `kind` names
/// (preempted, wait, gil_wait, ready or lock_wait).
std::int64_t column::*state_of(event_kind kind) noexcept {
  switch (kind) {
    case event_kind::preempted:
      return &column::preempted;
    case event_kind::gil_wait:
      return &column::gil_wait;
    case event_kind::ready:
      return &column::ready;
    case event_kind::lock_wait:
      return &column::lock_wait;
    default:
      return &column::wait;
  }
}

/// Splits [start, end) over the columns it covers, calling f(column index, overlap ns).
template <class F>
void spread(std::int64_t start, std::int64_t end, std::int64_t origin, double column_ns,
            std::size_t width, F&& f) {
  if (end <= start) return;
  const auto first = static_cast<std::size_t>(
      std::clamp(std::floor(static_cast<double>(start - origin) / column_ns), 0.0,
                 static_cast<double>(width - 1)));
  for (std::size_t c = first; c < width; ++c) {
    const auto c0 = origin + static_cast<std::int64_t>(static_cast<double>(c) * column_ns);
    const auto c1 = origin + static_cast<std::int64_t>(static_cast<double>(c + 1) * column_ns);
    if (c0 >= end) break;
    const std::int64_t overlap = std::min(end, c1) - std::max(start, c0);
    if (overlap > 0) f(c, overlap);
  }
}

// ANSI 256-colour foregrounds for tasks; states get fixed colours.
constexpr std::array<int, 12> kTaskColours = {39,  208, 76,  199, 226, 45,
                                              141, 202, 118, 213, 51,  220};
constexpr const char* kReset = "\033[0m";

std::string paint(char glyph, int colour, bool enabled) {
  if (!enabled || glyph == ' ') return std::string(1, glyph);
  return fmt::format("\033[38;5;{}m{}{}", colour, glyph, kReset);
}

/// The character (and colour) a column of a lane is drawn with.
std::string draw(const column& col, double column_ns, bool colour) {
  std::int64_t run_total = 0;
  std::pair<std::uint32_t, std::int64_t> best{no_id, -1};
  for (const auto& r : col.running) {
    run_total += r.second;
    if (r.second > best.second) best = r;
  }
  const std::int64_t most =
      std::max({run_total, col.preempted, col.wait, col.gil_wait, col.ready, col.lock_wait});
  if (static_cast<double>(most) < 0.05 * column_ns) return " ";
  if (most == run_total) {
    return paint(task_glyph(best.first), kTaskColours[best.first % kTaskColours.size()], colour);
  }
  if (most == col.gil_wait) return paint('!', 196, colour);
  if (most == col.lock_wait) return paint('=', 208, colour);
  if (most == col.preempted) return paint('.', 244, colour);
  if (most == col.ready) return paint(',', 178, colour);
  return paint('~', 33, colour);
}

}  // namespace

std::string format_timeline(const measured_run& run, const timeline_style& style) {
  const std::string title =
      fmt::format("{} — {}", detail::run_name(run), to_string(run.concurrency.result));
  if (!detail::has_timeline(run)) return title + ": no timeline recorded\n";
  const std::size_t width = std::max<std::size_t>(style.width, 10);
  const run_result& rep = run.representative;
  const auto& events = rep.recorded.events;
  const std::int64_t origin = rep.start_ns;
  const std::int64_t end = detail::timeline_end(run);
  const double column_ns =
      std::max(1.0, static_cast<double>(end - origin) / static_cast<double>(width));

  const std::size_t lanes = detail::lane_count(run);
  const std::vector<int> cpus = detail::cpus_used(run);
  std::vector<std::vector<column>> workers(lanes, std::vector<column>(width));
  std::vector<std::vector<column>> cores(cpus.size(), std::vector<column>(width));
  for (const auto& e : events) {
    if (e.worker == no_id) continue;
    auto& lane = workers[e.worker];
    switch (e.kind) {
      case event_kind::slice: {
        spread(e.start_ns, e.end_ns, origin, column_ns, width,
               [&](std::size_t c, std::int64_t ns) { lane[c].add_running(e.task, ns); });
        const auto cpu = std::lower_bound(cpus.begin(), cpus.end(), int{e.cpu});
        if (cpu != cpus.end() && *cpu == e.cpu) {
          auto& core = cores[static_cast<std::size_t>(cpu - cpus.begin())];
          spread(e.start_ns, e.end_ns, origin, column_ns, width,
                 [&](std::size_t c, std::int64_t ns) { core[c].add_running(e.task, ns); });
        }
        break;
      }
      case event_kind::preempted:
      case event_kind::wait:
      case event_kind::gil_wait:
      case event_kind::ready:
      case event_kind::lock_wait: {
        std::int64_t column::*const state = state_of(e.kind);
        spread(e.start_ns, e.end_ns, origin, column_ns, width,
               [&](std::size_t c, std::int64_t ns) { lane[c].*state += ns; });
        break;
      }
      default:
        break;
    }
  }

  // Tasks running, averaged over each column.
  std::vector<double> running(width, 0.0);
  const auto steps = tasks_running(events);
  for (std::size_t k = 0; k < steps.size(); ++k) {
    if (steps[k].count == 0) continue;
    const std::int64_t until = k + 1 < steps.size() ? steps[k + 1].t_ns : end;
    spread(steps[k].t_ns, until, origin, column_ns, width, [&](std::size_t c, std::int64_t ns) {
      running[c] += static_cast<double>(steps[k].count) * static_cast<double>(ns) / column_ns;
    });
  }

  std::string out = title + "\n  " + detail::run_figures(run) + "\n";
  if (const std::string caption = detail::cluster_caption(run); !caption.empty()) {
    out += "  " + caption + "\n";
  }
  const std::string_view noun = detail::lane_noun(run);
  // Lane labels: at least 10 columns, wider for an MPI run's "host · rank r".
  std::vector<std::string> labels;
  std::size_t label_w = 10;
  for (std::size_t w = 0; w < lanes; ++w) {
    labels.push_back(detail::lane_label(run, w, 16));
    const std::string& l = labels.back();
    label_w = std::max<std::size_t>(
        label_w, static_cast<std::size_t>(std::count_if(l.begin(), l.end(),
                                                        [](char ch) {
                                                          return (static_cast<unsigned char>(ch) &
                                                                  0xC0U) != 0x80U;  // code points
                                                        })) +
                     1);
  }
  for (std::size_t w = 0; w < lanes; ++w) {
    out += fmt::format("{:<{}}|", labels[w], label_w);
    for (const auto& col : workers[w]) out += draw(col, column_ns, style.colour);
    out += "|\n";
  }
  const std::vector<detail::critical_step> critical = detail::critical_steps(run);
  if (!critical.empty()) {
    // The critical path as it ran: its task's glyph while one of them runs, '-' from the end of
    // one to the start of the next (waiting for another predecessor, a worker or the model).
    std::vector<column> path(width);
    for (const auto& c : critical) {
      spread(c.start_ns, c.end_ns, origin, column_ns, width,
             [&](std::size_t k, std::int64_t ns) { path[k].add_running(c.task, ns); });
      spread(c.ready_ns, c.start_ns, origin, column_ns, width,
             [&](std::size_t k, std::int64_t ns) { path[k].ready += ns; });
    }
    out += fmt::format("{:<{}}|", "critical", label_w);
    for (const auto& col : path) {
      std::int64_t running_ns = 0;
      for (const auto& r : col.running) running_ns += r.second;
      if (running_ns >= col.ready) {
        out += draw(col, column_ns, style.colour);
      } else {
        out += static_cast<double>(col.ready) < 0.05 * column_ns ? std::string(" ")
                                                                 : paint('-', 160, style.colour);
      }
    }
    out += "|\n";
  }
  for (std::size_t k = 0; k < cpus.size(); ++k) {
    out += fmt::format("{:<{}}|", fmt::format("cpu {}", cpus[k]), label_w);
    for (const auto& col : cores[k]) out += draw(col, column_ns, style.colour);
    out += "|\n";
  }
  out += fmt::format("{:<{}}|", "running", label_w);
  for (double r : running) {
    const long n = std::lround(r);
    out += n <= 0 ? ' ' : (n > 9 ? '+' : static_cast<char>('0' + n));
  }
  out += "|\n";
  // A pipeline's queue: the most items in it during each column.
  const detail::pipeline_occupancy items = detail::occupancy_of(run);
  if (!items.steps.empty()) {
    std::vector<std::size_t> most(width, 0);
    for (std::size_t k = 0; k < items.steps.size(); ++k) {
      const std::int64_t until = k + 1 < items.steps.size() ? items.steps[k + 1].t_ns : end;
      const std::size_t n = items.steps[k].count;
      spread(items.steps[k].t_ns, std::max(until, items.steps[k].t_ns + 1), origin, column_ns,
             width, [&](std::size_t c, std::int64_t) { most[c] = std::max(most[c], n); });
    }
    out += fmt::format("{:<{}}|", "items", label_w);
    for (const std::size_t n : most) {
      const char glyph = n == 0 ? ' ' : (n > 9 ? '+' : static_cast<char>('0' + n));
      out += n != 0 && n >= items.tokens ? paint(glyph, 196, style.colour) : std::string(1, glyph);
    }
    out += "|\n";
  }

  // Time axis: labels at the quarters.
  std::string axis(width + label_w + 2, ' ');
  for (std::size_t q = 0; q <= 4; ++q) {
    const std::size_t at = label_w + q * (width - 1) / 4;
    const std::string label =
        detail::millis(static_cast<double>(q) * (static_cast<double>(end - origin) * 1e-9) / 4.0);
    const std::size_t from = q == 4 ? at + 1 - std::min(label.size(), at + 1) : at;
    axis.replace(from, label.size(), label);
    axis.resize(std::max(axis.size(), width + label_w + 2));
  }
  while (!axis.empty() && axis.back() == ' ') axis.pop_back();
  out += axis + "\n";
  out += fmt::format(
      "{:<{}} {} task running (glyph = task id)  . preempted  , ready (woken, waiting for a CPU)  "
      "~ waiting  ! waiting for the GIL  = waiting for a lock\n",
      "", label_w, noun == "slot" ? "slot = a process at a time;" : "");
  if (!items.steps.empty()) {
    out += fmt::format(
        "{:<{}} items = a pipeline's items in flight, first stage started to last ended (most in "
        "each column; {} token{}: at {} the queue is full and the first stage waits)\n",
        "", label_w, items.tokens, items.tokens == 1 ? "" : "s", items.tokens);
  }
  if (!critical.empty() && run.graph) {
    out += fmt::format(
        "{:<{}} critical = the graph's longest chain: its task running, - = the next one not "
        "started "
        "yet (waiting for another predecessor, a worker or the model)\n",
        "", label_w);
  } else if (!critical.empty()) {
    out += fmt::format(
        "{:<{}} critical = the program's critical path from the kernel's switch and wake-up "
        "records: the task of the lane it ran on, - = waiting for a CPU or for something outside "
        "the recorded threads\n",
        "", label_w);
  }
  for (const auto& l : run.locks) out += "  " + detail::lock_in_words(l) + "\n";
  if (!run.worker_time.empty()) out += "  where each lane's time went:\n";
  for (std::size_t w = 0; w < run.worker_time.size(); ++w) {
    out += fmt::format("    {:<{}} {}\n", labels.size() > w ? labels[w] : std::to_string(w),
                       label_w, detail::time_split_in_words(run.worker_time[w]));
  }
  return out;
}

}  // namespace parlab
