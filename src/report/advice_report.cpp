// The advice's outputs: the terminal answer with its evidence, and parlab.advice/1.

#include <parlab/advise.hpp>

#include "report/drawing.hpp"
#include "report/machine_json.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace parlab {

std::string format_advice(const advice& a) {
  std::string out;
  if (a.sweep.baseline) {
    out += fmt::format("sequential run: {} tasks in {} (median of {}), computing {:.0f}% of it\n",
                       a.sweep.baseline->tasks, detail::millis(a.sweep.baseline->wall_median),
                       a.sweep.baseline->wall_samples.size(), std::min(a.cpu_share, 1.0) * 100.0);
  }
  out += fmt::format("\nAnswer: {}\n", a.answer);
  if (!a.ranked.empty()) {
    out += fmt::format("\n  {:>4}  {:<14} {:>4} {:>9} {:>10} {:>10} {:>7}  {}\n", "rank", "model",
                       "W", "speedup", "efficiency", "tasks/s", "spread", "evidence");
    std::size_t rank = 0;
    for (const auto& m : a.ranked) {
      out += fmt::format("  {:>4}  {:<14} {:>4} {:>8.2f}x {:>9.0f}% {:>10.4g} {:>6.1f}%  {}\n",
                         ++rank, m.executor, m.workers, m.speedup, m.efficiency * 100.0,
                         m.throughput, m.spread * 100.0, m.evidence);
    }
  }
  if (!a.notes.empty()) {
    out += "\nNotes:\n";
    for (const auto& n : a.notes) out += fmt::format("  {}\n", n);
  }
  if (!a.skipped.empty()) {
    out += "\nNot measured:\n";
    for (const auto& s : a.skipped) out += fmt::format("  {}\n", s);
  }
  std::size_t points = 0;
  for (const auto& m : a.sweep.models) points += m.points.size();
  out += fmt::format(
      "\nEvery figure above was measured here, in this invocation: {} points{} in {:.1f} s.\n",
      points, a.sweep.baseline ? " and the sequential run" : "", a.seconds);
  return out;
}

std::string to_advice_json(const machine_info& machine, const advice& a, int indent) {
  using json = nlohmann::ordered_json;
  json ranked = json::array();
  for (const auto& m : a.ranked) {
    ranked.push_back({{"executor", m.executor},
                      {"workers", m.workers},
                      {"throughput", m.throughput},
                      {"speedup", m.speedup},
                      {"efficiency", m.efficiency},
                      {"spread", m.spread},
                      {"evidence", m.evidence}});
  }
  const json doc = {
      {"schema", "parlab.advice/1"},
      {"parlab_version", PARLAB_VERSION},
      {"build", detail::build_to_json()},
      {"interrupted", a.sweep.interrupted},
      {"answer", a.answer},
      {"ranked", std::move(ranked)},
      {"notes", a.notes},
      {"skipped", a.skipped},
      {"cpu_share", a.cpu_share},
      {"waits", a.waits},
      {"seconds", a.seconds},
      {"sweep", detail::sweep_to_json(machine, a.sweep)},
  };
  return doc.dump(indent, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace parlab
