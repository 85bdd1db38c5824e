// pipeline_backpressure: tokens (a bounded queue's places) against a pipeline's throughput.
//
// Claim: a pipeline whose stages are joined by a bounded queue of T places never holds more than
// T items at once, whatever the workers; with one token it is a single chain (one item at a
// time: its throughput is 1 / an item's latency); more tokens let items overlap until the next
// limit binds - the cores, or its slowest serial stage. What it holds in flight (its memory)
// grows with the tokens, its throughput only up to that limit.
//
//   T = 1   |i0 s1 s2 s3|i1 s1 s2 s3|i2 ...            one item at a time
//   T = 2   |i0 s1 s2 s3|                                two items overlap
//              |i1 s1 s2 s3|
//
// Run: pipeline_backpressure [--quick] [--timeline] [--svg PATH]

#include "example.hpp"

#include <parlab/parlab.hpp>

#include <fmt/format.h>

#include <map>

namespace parlab::examples {
int pipeline_backpressure(int argc, char** argv) {
  const options opts = parse_options(argc, argv);
  const std::size_t cores = usable_cores();
  state_claim("pipeline_backpressure",
              "a bounded queue of T tokens keeps at most T items in a pipeline; more tokens raise "
              "its throughput only until the cores or its slowest serial stage bind");
  if (cores < 2) return conclude(false, "this process may use only one core: nothing overlaps");

  constexpr std::size_t kStages = 3;
  const std::size_t items = opts.quick ? 8 : 16;
  experiment_spec spec;
  spec.workload.name = "pipeline";
  spec.workload.tasks = items * kStages;
  spec.workload.stages = kStages;
  spec.workload.size = opts.quick ? 1200 : 2000;  // a parallel stage; the serial ones a quarter
  spec.executors = {"thread-pool"};
  spec.workers = cores;
  spec.repeat = 3;
  spec.baseline = false;
  spec.keep_records = true;

  std::vector<measured_run> all;
  std::map<std::size_t, double> throughput;
  std::map<std::size_t, std::size_t> peak;
  bool bounded = true;
  const std::vector<std::size_t> token_counts{1, 2, 4};
  for (const std::size_t tokens : token_counts) {
    spec.workload.tokens = tokens;
    auto rows = run_experiment(spec);
    const measured_run& r = rows.front();
    if (!r.pipeline) return conclude(false, "the run kept no records to read the pipeline from");
    throughput[tokens] = r.pipeline->throughput;
    peak[tokens] = r.pipeline->peak_in_flight;
    bounded = bounded && peak[tokens] <= tokens;
    evidence(
        fmt::format("{} token{}: {:.1f} items/s (limits: serial stage {:.1f}, tokens {:.1f}, "
                    "cores {:.1f}), at most {} item{} in flight",
                    tokens, tokens == 1 ? "" : "s", throughput[tokens], r.pipeline->serial_limit,
                    r.pipeline->token_limit, r.pipeline->core_limit, peak[tokens],
                    peak[tokens] == 1 ? "" : "s"));
    all.insert(all.end(), rows.begin(), rows.end());
  }
  if (!opts.timeline && opts.svg.empty()) {
    for (auto& r : all) r.representative.recorded.events.clear();  // the table needs no timeline
  }
  std::fputs(format_table(all).c_str(), stdout);
  show_pictures(opts, all);

  // Two tokens let two items overlap on two cores: at least 1.3x one token's throughput. Past
  // the cores, four tokens gain little over two (at most 1.3x more).
  const bool overlap = throughput[2] > 1.3 * throughput[1];
  const bool limited = throughput[4] < 1.3 * throughput[2];
  return conclude_needing_cores(bounded && overlap && limited,
                                !bounded   ? "a pipeline held more items than its tokens"
                                : !overlap ? "two tokens did not raise the throughput over one"
                                           : "four tokens kept gaining past what two cores allow",
                                all, 2);
}

}  // namespace parlab::examples
