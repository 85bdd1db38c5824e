// tbb: oneTBB's work-stealing scheduler in a task_arena of W threads (the calling thread is one
// of them), one task per TBB task. oneTBB keeps its worker threads alive for reuse; the run ends
// with tbb::finalize so they are gone before anything else (a later fork) happens.

#include "executors/dependencies.hpp"
#include "executors/factories.hpp"
#include "executors/run_task.hpp"

#include <parlab/task_graph.hpp>

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/flow_graph.h>
#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/parallel_pipeline.h>
#include <oneapi/tbb/partitioner.h>
#include <oneapi/tbb/task_arena.h>

#include <memory>
#include <new>
#include <string>
#include <vector>

namespace parlab::detail {
namespace {

namespace tbb = oneapi::tbb;

class tbb_executor final : public executor {
 public:
  [[nodiscard]] std::string_view name() const noexcept override { return "tbb"; }

 protected:
  void execute(std::span<const task> tasks, const run_options& options,
               run_result& result) override {
    auto& records = result.records;
    tbb::task_scheduler_handle workers_gone{tbb::attach{}};
    {
      // By default oneTBB starts at most one thread per core; W may ask for more.
      tbb::global_control allow(tbb::global_control::max_allowed_parallelism, options.workers);
      tbb::task_arena arena(static_cast<int>(options.workers));
      arena.execute([&] {
        if (!result.after.empty()) {
          if (const auto pipeline = find_pipeline(result.after)) {
            result.graph_runner = "parallel_pipeline";
            run_pipeline(tasks, *pipeline, records);
          } else {
            result.graph_runner = "flow graph";
            run_graph(tasks, records);
          }
          return;
        }
        tbb::parallel_for(
            tbb::blocked_range<std::size_t>(0, tasks.size(), 1),
            [&](const tbb::blocked_range<std::size_t>& range) {
              const auto w = static_cast<std::size_t>(tbb::this_task_arena::current_thread_index());
              no_hooks hooks;
              for (std::size_t i = range.begin(); i != range.end(); ++i) {
                run_task(tasks[i], w, hooks, records[i], lane(w), edges());
              }
            },
            tbb::simple_partitioner());
      });
    }
    // Waits for oneTBB's worker threads to exit; false when somebody else still uses oneTBB.
    (void)tbb::finalize(workers_gone, std::nothrow);
  }

 private:
  /// A pipeline (find_pipeline: the first and the last stage serial): oneTBB's
  /// parallel_pipeline with its tokens, one filter per stage - serial_in_order or parallel - each
  /// running its stage's task of the item passing through. The same order as the graph's edges:
  /// a filter takes an item after the item's stage before, a serial one after the item before,
  /// and the first takes item i once item i - tokens left the last (in order).
  void run_pipeline(std::span<const task> tasks, const pipeline_layout& layout,
                    std::vector<task_record>& records) {
    const std::size_t stages = layout.stages();
    const std::size_t items = tasks.size() / stages;
    failure_causes causes(tasks.size());
    const auto run_stage = [&](std::size_t item, std::size_t s) {
      const std::size_t k = item * stages + s;
      causes.run_unless_blocked(tasks[k], records[k], [&] {
        const auto w = static_cast<std::size_t>(tbb::this_task_arena::current_thread_index());
        no_hooks hooks;
        run_task(tasks[k], w, hooks, records[k], lane(w), edges());
      });
    };
    const auto mode = [&](std::size_t s) {
      return layout.serial[s] ? tbb::filter_mode::serial_in_order : tbb::filter_mode::parallel;
    };
    std::size_t next_item = 0;  // the first filter is serial: one thread at a time
    tbb::filter<void, std::size_t> head = tbb::make_filter<void, std::size_t>(
        mode(0), [&](tbb::flow_control& control) -> std::size_t {
          if (next_item == items) {
            control.stop();
            return 0;
          }
          const std::size_t item = next_item++;
          run_stage(item, 0);
          return item;
        });
    for (std::size_t s = 1; s + 1 < stages; ++s) {
      head = head & tbb::make_filter<std::size_t, std::size_t>(mode(s), [&, s](std::size_t item) {
               run_stage(item, s);
               return item;
             });
    }
    const tbb::filter<void, void> all =
        head & tbb::make_filter<std::size_t, void>(
                   mode(stages - 1), [&](std::size_t item) { run_stage(item, stages - 1); });
    tbb::parallel_pipeline(layout.tokens, all);
  }

  /// A graph: a flow graph of one continue_node per task and one edge per dependency; a node
  /// runs when every predecessor has signalled it, and the tasks without one are put first.
  void run_graph(std::span<const task> tasks, std::vector<task_record>& records) {
    tbb::flow::graph g;
    failure_causes causes(tasks.size());
    std::vector<std::unique_ptr<tbb::flow::continue_node<tbb::flow::continue_msg>>> nodes;
    nodes.reserve(tasks.size());
    for (std::size_t k = 0; k < tasks.size(); ++k) {
      nodes.push_back(std::make_unique<tbb::flow::continue_node<tbb::flow::continue_msg>>(
          g, [&, k](const tbb::flow::continue_msg&) {
            causes.run_unless_blocked(tasks[k], records[k], [&] {
              const auto w = static_cast<std::size_t>(tbb::this_task_arena::current_thread_index());
              no_hooks hooks;
              run_task(tasks[k], w, hooks, records[k], lane(w), edges());
            });
          }));
    }
    for (std::size_t k = 0; k < tasks.size(); ++k) {
      for (const std::size_t p : tasks[k].after) tbb::flow::make_edge(*nodes[p], *nodes[k]);
    }
    for (std::size_t k = 0; k < tasks.size(); ++k) {
      if (tasks[k].after.empty()) nodes[k]->try_put(tbb::flow::continue_msg());
    }
    g.wait_for_all();
  }
};

}  // namespace

std::unique_ptr<executor> make_tbb() { return std::make_unique<tbb_executor>(); }

}  // namespace parlab::detail
