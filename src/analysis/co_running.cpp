// How much tasks computing at once slow each other here: copies of one of the graph's tasks
// alone, then `cores` at once, then alone again.

#include <parlab/executor.hpp>
#include <parlab/predict.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

namespace parlab {
namespace {

/// The median of the copies' times (end - start) in one run of `copies` on `workers` workers.
double median_task_seconds(const std::vector<task>& copies, std::size_t workers) {
  run_options o;
  o.workers = workers;
  o.record = false;
  const run_result r = make_executor("thread-pool")->run(copies, o);
  std::vector<double> times;
  for (const auto& rec : r.records) {
    if (rec.ok) times.push_back(static_cast<double>(rec.end_ns - rec.start_ns) / 1e9);
  }
  if (times.empty()) return 0.0;
  std::sort(times.begin(), times.end());
  const std::size_t m = times.size() / 2;
  return times.size() % 2 == 1 ? times[m] : (times[m - 1] + times[m]) / 2;
}

}  // namespace

co_running measure_co_running(const task& sample, double sample_seconds, std::size_t cores) {
  co_running c;
  c.cores = std::max<std::size_t>(cores, 1);
  c.measured_with = sample.label.empty() ? "task " + std::to_string(sample.id) : sample.label;
  if (c.cores < 2) return c;
  // Rounds of `cores` copies: about 0.1 s of each pass alone, 3 to 20 rounds.
  const double each = std::max(sample_seconds, 1e-4);
  const auto rounds = static_cast<std::size_t>(
      std::clamp(std::ceil(0.1 / (each * static_cast<double>(c.cores))), 3.0, 20.0));
  std::vector<task> copies;
  for (std::size_t k = 0; k < rounds * c.cores; ++k) {
    task t = sample;
    t.id = k;
    t.after.clear();
    t.output_bytes = 0;
    copies.push_back(std::move(t));
  }
  const double alone_before = median_task_seconds(copies, 1);
  const double together = median_task_seconds(copies, c.cores);
  const double alone_after = median_task_seconds(copies, 1);
  const double alone = (alone_before + alone_after) / 2;
  if (alone > 0 && together > 0) c.slowdown = std::max(1.0, together / alone);
  return c;
}

}  // namespace parlab
