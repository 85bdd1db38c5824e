#pragma once
/// @file Pictures of what ran when, drawn from recorded timelines: a terminal timeline, a Chrome
/// Trace Event file (ui.perfetto.dev, chrome://tracing), an SVG timeline and one self-contained
/// HTML report; and reading a saved result back so they can be drawn later (`parlab report`).

#include <parlab/experiment.hpp>
#include <parlab/machine.hpp>

#include <cstddef>
#include <string>
#include <vector>

namespace parlab {

/// How the terminal timeline is drawn.
struct timeline_style {
  std::size_t width = 96;  ///< columns of the time axis (at least 10)
  bool colour = false;     ///< ANSI colours (only when writing to a terminal)
};

/// One run as lanes of characters: a lane per worker (task glyph = running, '.' = preempted,
/// '~' = waiting, '!' = waiting for the GIL, ' ' = idle), a lane per CPU (which task ran there),
/// the number of tasks running, a time axis, and the verdict as the title. Needs the run's
/// timeline (experiment_spec::keep_records); says so in one line when there is none. Pure.
[[nodiscard]] std::string format_timeline(const measured_run& run,
                                          const timeline_style& style = {});

/// Chrome Trace Event Format JSON: per run a process (named after executor, workload and W) with
/// a thread track per worker (complete events for tasks, slices, gaps and waits; CPU id as an
/// argument), a track per worker for GIL holds, and counter tracks for tasks in flight and
/// running. Runs without a timeline are left out. Pure.
[[nodiscard]] std::string to_chrome_trace(const machine_info& machine,
                                          const std::vector<measured_run>& runs);

/// An SVG document with one timeline per run that has a timeline: a lane per worker (a colour per
/// task, hatched waits, visible gaps, GIL waits), a lane per CPU showing occupancy, tasks in
/// flight and running over time, a time axis, and the verdict with its key figures. Pure.
[[nodiscard]] std::string to_svg(const std::vector<measured_run>& runs);

/// One self-contained HTML page (no network needed to view it): the machine, the summary table,
/// the conclusions, and each run's timeline (inline SVG) with its figures and a short explanation
/// of what the picture shows. Pure.
[[nodiscard]] std::string to_html_report(const machine_info& machine,
                                         const std::vector<measured_run>& runs,
                                         const std::vector<std::string>& conclusions);

/// Parses a `parlab.result/1` document (as to_json writes it, with or without records and
/// events), or a `parlab.watch/1` document (its run, lanes named after its threads). Throws
/// std::invalid_argument naming what is wrong (not JSON, another schema, a missing key, a number
/// out of its range - checked before it sizes anything, nesting deeper than 64). Pure.
[[nodiscard]] saved_result read_result_json(const std::string& text);

}  // namespace parlab
