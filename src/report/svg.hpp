#pragma once
// Internal: pieces of the SVG timeline the HTML report reuses.

#include <parlab/experiment.hpp>
#include <parlab/machine.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace parlab::detail {

/// Escapes &, <, > and " for XML text and attributes.
[[nodiscard]] std::string xml_escape(std::string_view text);

/// Height in pixels of one run's timeline.
[[nodiscard]] double svg_run_height(const measured_run& run);

/// One run's timeline as an <svg> element with ids prefixed by `id`, placed at `y` when nested.
[[nodiscard]] std::string svg_run(const measured_run& run, const std::string& id, double y);

/// The most tasks a graph drawing shows (beyond it the circles would be dots).
inline constexpr std::size_t max_drawn_tasks = 400;

/// True when `run` is a task graph with records small enough to draw (max_drawn_tasks).
[[nodiscard]] bool draws_graph(const measured_run& run) noexcept;

/// Height in pixels of the drawing of a run's task graph (0 when none is drawn).
[[nodiscard]] double svg_graph_height(const measured_run& run);

/// A graph run's tasks in layers, their edges, each task coloured by its slack, as an <svg>
/// element with id `id` placed at `y`; empty when there is no graph to draw.
[[nodiscard]] std::string svg_graph(const measured_run& run, const std::string& id, double y);

/// The "Machine" heading and table of an HTML page.
[[nodiscard]] std::string html_machine_table(const machine_info& machine);

/// The legend (what each mark means), as a <g> element at `y`.
[[nodiscard]] std::string svg_legend(double y);

}  // namespace parlab::detail
