// parlab compare's outputs: the table with the outcome line, and the parlab.compare/1 document.

#include <parlab/compare.hpp>

#include "report/drawing.hpp"
#include "report/machine_json.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <string>

namespace parlab {
namespace {

using json = nlohmann::ordered_json;

std::string mib(std::int64_t bytes) {
  return bytes > 0 ? fmt::format("{:.1f} MiB", static_cast<double>(bytes) / 1048576.0) : "-";
}

/// "slower", "faster", "same" (within the threshold or the noise), or why the row decides
/// nothing.
std::string outcome(const row_comparison& r) {
  if (!r.comparable) return "not comparable: " + r.why_not;
  if (r.slower) return "SLOWER";
  if (r.faster) return "faster";
  return "same";
}

std::string outcome_word(const row_comparison& r) {
  if (!r.comparable) return "not_comparable";
  if (r.slower) return "slower";
  if (r.faster) return "faster";
  return "same";
}

}  // namespace

std::string format_comparison(const comparison& c, const std::string& name_a,
                              const std::string& name_b) {
  std::string out = fmt::format(
      "parlab compare: A = {}, B = {}\nslower means B's median is more than {:.0f}% above A's "
      "and Welch's t on the log wall times says so at p < {:.2f}\n\n",
      name_a, name_b, c.threshold * 100.0, c.alpha);
  out += fmt::format("{:<34} {:>9} {:>9} {:>7} {:>17} {:>7}  {:<24} {}\n", "row", "A median",
                     "B median", "B/A", "95% interval", "p", "verdict A -> B", "outcome");
  for (const auto& r : c.rows) {
    const std::string interval =
        r.ratio_low ? fmt::format("{:.2f}x-{:.2f}x", *r.ratio_low, *r.ratio_high) : "-";
    const std::string verdicts = r.verdict_a == r.verdict_b
                                     ? r.verdict_a
                                     : fmt::format("{} -> {}", r.verdict_a, r.verdict_b);
    out += fmt::format("{:<34} {:>9} {:>9} {:>6.2f}x {:>17} {:>7}  {:<24} {}\n", r.name(),
                       detail::millis(r.median_a), detail::millis(r.median_b), r.ratio, interval,
                       r.p_value ? fmt::format("{:.3f}", *r.p_value) : "-", verdicts, outcome(r));
  }
  // What else changed, where it did: CPU use by more than a tenth of a core, memory by 10%,
  // failures.
  std::string changes;
  for (const auto& r : c.rows) {
    if (std::abs(r.cpu_b - r.cpu_a) >= 0.1) {
      changes +=
          fmt::format("  {}: CPU {:.0f}% -> {:.0f}%\n", r.name(), r.cpu_a * 100.0, r.cpu_b * 100.0);
    }
    if (r.memory_a > 0 && r.memory_b > 0 &&
        std::abs(static_cast<double>(r.memory_b - r.memory_a)) >=
            0.1 * static_cast<double>(r.memory_a)) {
      changes +=
          fmt::format("  {}: peak memory {} -> {}\n", r.name(), mib(r.memory_a), mib(r.memory_b));
    }
    if (r.failed_a != r.failed_b) {
      changes += fmt::format("  {}: failed tasks {} -> {}\n", r.name(), r.failed_a, r.failed_b);
    }
  }
  if (!changes.empty()) out += "\nalso changed:\n" + changes;
  for (const auto& n : c.only_a) out += fmt::format("only in A: {}\n", n);
  for (const auto& n : c.only_b) out += fmt::format("only in B: {}\n", n);
  for (const auto& n : c.notes) out += fmt::format("note: {}\n", n);
  std::size_t slower = 0;
  std::string which;
  for (const auto& r : c.rows) {
    if (!r.slower) continue;
    ++slower;
    which += fmt::format("{}{} ({:.2f}x)", which.empty() ? "" : ", ", r.name(), r.ratio);
  }
  out += slower == 0
             ? fmt::format("\nnothing got slower beyond {:.0f}% (exit 0)\n", c.threshold * 100.0)
             : fmt::format("\n{} row{} slower beyond {:.0f}%: {} (exit 1)\n", slower,
                           slower == 1 ? "" : "s", c.threshold * 100.0, which);
  return out;
}

std::string to_comparison_json(const comparison& c, const std::string& name_a,
                               const std::string& name_b, int indent) {
  const auto optional = [](const std::optional<double>& v) { return v ? json(*v) : json(nullptr); };
  json rows = json::array();
  for (const auto& r : c.rows) {
    rows.push_back({{"workload", r.workload},
                    {"executor", r.executor},
                    {"workers", r.workers},
                    {"samples_a", r.samples_a},
                    {"samples_b", r.samples_b},
                    {"wall_seconds_a", r.median_a},
                    {"wall_seconds_b", r.median_b},
                    {"ratio", r.ratio},
                    {"ratio_low", optional(r.ratio_low)},
                    {"ratio_high", optional(r.ratio_high)},
                    {"p_value", optional(r.p_value)},
                    {"comparable", r.comparable},
                    {"why_not", r.why_not},
                    {"outcome", outcome_word(r)},
                    {"verdict_a", r.verdict_a},
                    {"verdict_b", r.verdict_b},
                    {"cpu_utilisation_a", r.cpu_a},
                    {"cpu_utilisation_b", r.cpu_b},
                    {"peak_rss_bytes_a", r.memory_a},
                    {"peak_rss_bytes_b", r.memory_b},
                    {"failed_tasks_a", r.failed_a},
                    {"failed_tasks_b", r.failed_b}});
  }
  const json doc = {{"schema", "parlab.compare/1"},
                    {"parlab_version", PARLAB_VERSION},
                    {"build", detail::build_to_json()},
                    {"a", name_a},
                    {"b", name_b},
                    {"threshold", c.threshold},
                    {"alpha", c.alpha},
                    {"test", "Welch's t on log wall times, two-sided"},
                    {"any_slower", c.any_slower()},
                    {"rows", std::move(rows)},
                    {"only_a", c.only_a},
                    {"only_b", c.only_b},
                    {"notes", c.notes}};
  return doc.dump(indent, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace parlab
