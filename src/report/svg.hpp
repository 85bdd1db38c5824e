#pragma once
// Internal: pieces of the SVG timeline the HTML report reuses.

#include <parlab/experiment.hpp>
#include <parlab/machine.hpp>

#include <string>
#include <string_view>

namespace parlab::detail {

/// Escapes &, <, > and " for XML text and attributes.
[[nodiscard]] std::string xml_escape(std::string_view text);

/// Height in pixels of one run's timeline.
[[nodiscard]] double svg_run_height(const measured_run& run);

/// One run's timeline as an <svg> element with ids prefixed by `id`, placed at `y` when nested.
[[nodiscard]] std::string svg_run(const measured_run& run, const std::string& id, double y);

/// The "Machine" heading and table of an HTML page.
[[nodiscard]] std::string html_machine_table(const machine_info& machine);

/// The legend (what each mark means), as a <g> element at `y`.
[[nodiscard]] std::string svg_legend(double y);

}  // namespace parlab::detail
