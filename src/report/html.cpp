// The HTML report: one self-contained file (inline CSS, inline SVG, a few lines of inline
// script; nothing fetched from the network) with the machine, the table, the conclusions and a
// timeline per run.

#include <parlab/pictures.hpp>

#include "report/drawing.hpp"
#include "report/svg.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace parlab {
namespace {

using detail::xml_escape;

constexpr const char* kStyle = R"(
body { font-family: system-ui, sans-serif; margin: 1.5em auto; max-width: 1040px; color: #222; }
h1 { margin-bottom: 0.2em; } h2 { margin: 1.4em 0 0.3em; font-size: 1.1em; }
table { border-collapse: collapse; margin: 0.6em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
th { background: #f0f0f0; } td.name, th.name { text-align: left; }
.machine td { text-align: left; }
.figures { color: #444; font-size: 0.9em; margin: 0.2em 0; }
.explain { margin: 0.3em 0 0.6em; }
.verdict-serial { color: #555; } .verdict-concurrent { color: #b35c00; }
.verdict-parallel { color: #1a7f37; } .verdict-concurrent_parallel { color: #0b5cad; }
section.run { border-top: 1px solid #ddd; }
svg { display: block; max-width: 100%; height: auto; }
.busy { display: flex; max-width: 640px; height: 1.2em; margin: 0.3em 0; font-size: 0.75em;
        border: 1px solid #ccc; }
.busy span { overflow: hidden; white-space: nowrap; padding-left: 0.3em; line-height: 1.6em; }
.busy .ideal { background: #2e7d32; color: #fff; } .busy .ok { background: #9ccc65; }
.busy .poor { background: #ffb300; } .busy .idle { background: #ddd; }
)";

/// The wall time by how busy the cores were (VTune's bands): one stacked bar.
std::string busy_bar(const busy_bands& b) {
  std::string out = "<div class=\"busy\" title=\"share of the wall time with the usable cores ";
  out += "running this run's tasks: ideal (more than 85%), ok (up to 85%), poor (up to half), ";
  out += "idle (none)\">";
  for (const auto& [name, share] : {std::pair{"ideal", b.ideal}, std::pair{"ok", b.ok},
                                    std::pair{"poor", b.poor}, std::pair{"idle", b.idle}}) {
    if (share <= 0.0) continue;
    out += fmt::format("<span class=\"{0}\" style=\"width: {1:.1f}%\">{0} {1:.0f}%</span>", name,
                       share * 100.0);
  }
  return out + "</div>\n";
}

/// The run's shared locks, the most waited-for first (lock steps), as a list.
std::string locks_list(const measured_run& r) {
  if (r.locks.empty()) return {};
  std::string out = "<ul class=\"locks\">\n";
  for (const auto& l : r.locks) out += "<li>" + xml_escape(detail::lock_in_words(l)) + "</li>\n";
  return out + "</ul>\n";
}

// Checks the page rendered: every run section has its timeline with lanes and marks. The browser
// test reads the result from <body data-rendered> and any script error from <body data-errors>.
constexpr const char* kScript = R"(
window.addEventListener('error', function (e) {
  document.body.dataset.errors = (document.body.dataset.errors || '') + e.message + ';';
});
window.addEventListener('load', function () {
  var sections = document.querySelectorAll('section.run');
  var drawn = 0;
  sections.forEach(function (s) {
    var svg = s.querySelector('svg.run-timeline');
    if (!svg) return;
    var lanes = svg.querySelectorAll('g.lane.worker').length;
    var marks = svg.querySelectorAll('rect.slice, rect.wait').length;
    var box = svg.getBoundingClientRect();
    if (lanes === Number(svg.dataset.workers) && marks > 0 && box.width > 0 && box.height > 0) {
      drawn += 1;
    }
  });
  var rows = document.querySelectorAll('table.summary tbody tr').length;
  document.body.dataset.runs = String(sections.length);
  document.body.dataset.drawn = String(drawn);
  document.body.dataset.rows = String(rows);
  document.body.dataset.rendered =
      (drawn === sections.length && rows > 0) ? 'ok' : 'incomplete';
});
)";

std::string verdict_class(verdict v) {
  std::string s(to_string(v));
  for (char& c : s) {
    if (c == '+') c = '_';
  }
  return "verdict-" + s;
}

std::string summary_table(const std::vector<measured_run>& runs) {
  std::string out =
      "<table class=\"summary\"><thead><tr><th class=\"name\">workload</th>"
      "<th class=\"name\">executor</th><th>W</th><th>wall (median)</th><th>speedup</th>"
      "<th>efficiency</th><th>CPU util</th><th>peak in flight / running</th>"
      "<th>avg parallelism</th><th>queue latency (median)</th><th>GIL wait</th>"
      "<th class=\"name\">memory</th><th class=\"name\">verdict</th></tr></thead><tbody>\n";
  for (const auto& r : runs) {
    const auto& c = r.concurrency;
    out += fmt::format(
        "<tr><td class=\"name\">{}</td><td class=\"name\">{}</td><td>{}</td><td>{}</td>"
        "<td>{}</td><td>{}</td><td>{:.0f}%</td><td>{} / {}</td><td>{:.2f}</td><td>{}</td>"
        "<td>{}</td><td class=\"name memory\">{}</td><td class=\"name {}\">{}{}</td></tr>\n",
        xml_escape(r.workload), xml_escape(r.executor), r.workers, detail::millis(r.wall_median),
        r.speedup ? fmt::format("{:.2f}x", *r.speedup) : (r.is_baseline ? "baseline" : "-"),
        r.efficiency ? fmt::format("{:.0f}%", *r.efficiency * 100.0) : "-",
        r.cpu_utilisation * 100.0, c.peak_in_flight, c.peak_running, c.avg_parallelism,
        c.from_timeline ? detail::millis(c.queue_latency_seconds.median) : "-",
        c.gil_wait_fraction ? fmt::format("{:.0f}%", *c.gil_wait_fraction * 100.0) : "-",
        xml_escape(detail::memory_in_words(r)), verdict_class(c.result), to_string(c.result),
        r.failed_tasks > 0 ? fmt::format(" ({} failed)", r.failed_tasks) : "");
  }
  return out + "</tbody></table>\n";
}

}  // namespace

namespace detail {
std::string html_machine_table(const machine_info& machine) {
  const std::string affinity = fmt::format("{}", fmt::join(machine.affinity, ","));
  return fmt::format(
      "<h2>Machine</h2>\n<table class=\"machine\"><tr><th>CPU</th><td>{}</td></tr>"
      "<tr><th>usable cores</th><td>{} (CPUs {}; {} online)</td></tr><tr><th>kernel</th>"
      "<td>{}</td></tr><tr><th>host</th><td>{}</td></tr></table>\n",
      xml_escape(machine.cpu_model), machine.cores, affinity, machine.online_cpus,
      xml_escape(machine.kernel), xml_escape(machine.hostname));
}
}  // namespace detail

namespace {

/// The critical path of a run recorded with every wake-up (`--exact` as root), by thread.
std::string critical_path_table(const measured_run& run) {
  const detail::program_path path = detail::program_path_by_thread(run);
  if (path.rows.empty()) return {};
  std::string out = fmt::format(
      "<p class=\"figures\">critical path: {}, from the end back through the waits and the "
      "threads that ended them (the kernel's switch and wake-up records)</p>\n<table "
      "class=\"critical\"><tr><th>thread</th><th>share</th><th>how</th></tr>\n",
      xml_escape(detail::millis(to_seconds(path.span_ns))));
  for (std::size_t k = 0; k < std::min<std::size_t>(path.rows.size(), 12); ++k) {
    const auto& row = path.rows[k];
    out += fmt::format("<tr><td>{}</td><td>{:.1f}%</td><td>{}</td></tr>\n", xml_escape(row.thread),
                       row.percent, xml_escape(row.parts));
  }
  if (path.rows.size() > 12) {
    out += fmt::format("<tr><td colspan=\"3\">… and {} more threads</td></tr>\n",
                       path.rows.size() - 12);
  }
  return out + "</table>\n";
}

}  // namespace

std::string to_html_report(const machine_info& machine, const std::vector<measured_run>& runs,
                           const std::vector<std::string>& conclusions) {
  std::string out = fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<title>parlab report — {}</title><style>{}</style></head>\n<body>\n"
      "<h1>parlab report</h1>\n<p>What ran when, measured on this machine by parlab {}: each "
      "timeline below is drawn from the events recorded during the run it describes.</p>\n",
      xml_escape(machine.hostname), kStyle, PARLAB_VERSION);
  out += detail::html_machine_table(machine);
  out += "<h2>Summary</h2>\n" + summary_table(runs);
  if (!conclusions.empty()) {
    out += "<h2>Conclusions</h2>\n<ul class=\"conclusions\">\n";
    for (const auto& c : conclusions) out += "<li>" + xml_escape(c) + "</li>\n";
    out += "</ul>\n";
  }
  out +=
      "<h2>How to read the timelines</h2>\n<p>One lane per worker (a thread, or for "
      "process models a slot that runs one child process at a time), time from left to "
      "right. A coloured bar is a task running on a CPU (one colour per task; hover for "
      "details); grey stripes are gaps where the task could run but the kernel gave its core "
      "to something else (time slicing); hatched bars are waits that use no CPU; red marks "
      "are waits for the emulated GIL. The CPU lanes below show which task each core ran: "
      "two CPU lanes busy at the same instant is parallelism; one core switching between "
      "tasks is concurrency without parallelism. Under each timeline, one bar per lane says where "
      "its wall time went: running, preempted, ready (woken but waiting on the run queue for a "
      "CPU), waiting for a lock or the GIL, sleeping, in I/O, other, idle. For a task graph, the "
      "tasks of its critical path (the longest chain by their measured times) are underlined and "
      "outlined in red, a dashed red line joining each to the next (a long one is time the next "
      "waited for another predecessor, a worker or the model), and a drawing of the graph follows: "
      "a task one column right of its deepest predecessor, red when it has no slack, orange to "
      "green the longer it could have taken without delaying the end.</p>\n<svg "
      "width=\"1000\" height=\"30\" viewBox=\"0 0 1000 30\">" +
      detail::svg_legend(2.0) + "</svg>\n";
  std::size_t n = 0;
  for (const auto& r : runs) {
    if (!detail::has_timeline(r)) continue;
    const std::string cluster = detail::cluster_caption(r);
    out += fmt::format(
        "<section class=\"run\" data-verdict=\"{}\"><h2>{}</h2>\n<p class=\"figures\">{}</p>\n"
        "{}{}<p class=\"explain {}\">{}</p>\n{}</section>\n",
        to_string(r.concurrency.result), xml_escape(detail::run_name(r)),
        xml_escape(detail::run_figures(r)),
        cluster.empty() ? std::string()
                        : "<p class=\"figures cluster\">" + xml_escape(cluster) + "</p>\n",
        (r.busy ? busy_bar(*r.busy) : std::string()) + locks_list(r),
        verdict_class(r.concurrency.result), xml_escape(detail::verdict_explanation(r)),
        detail::svg_run(r, fmt::format("run{}", n), 0.0) + critical_path_table(r) +
            detail::svg_graph(r, fmt::format("graph{}", n), 0.0));
    ++n;
  }
  if (n == 0) out += "<p>No run in this result kept its timeline.</p>\n";
  out += fmt::format("<script>{}</script>\n</body></html>\n", kScript);
  return out;
}

}  // namespace parlab
