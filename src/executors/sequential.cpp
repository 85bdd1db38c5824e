// sequential: one task after another on the calling thread. The baseline every speedup divides.

#include "executors/dependencies.hpp"
#include "executors/factories.hpp"
#include "executors/run_task.hpp"

namespace parlab::detail {
namespace {

class sequential_executor final : public executor {
 public:
  [[nodiscard]] std::string_view name() const noexcept override { return "sequential"; }

 protected:
  void execute(std::span<const task> tasks, const run_options& /*options*/,
               run_result& result) override {
    auto& records = result.records;
    no_hooks hooks;
    if (result.after.empty()) {
      for (std::size_t i = 0; i < tasks.size(); ++i)
        run_task(tasks[i], 0, hooks, records[i], lane(0), edges());
      return;
    }
    // A graph: one topological order, each task as soon as its predecessors ended.
    dependency_tracker graph(tasks);
    ready_queue ready(graph);
    while (const auto i = ready.pop()) {
      if (!graph.skip_blocked(tasks[*i], records[*i])) {
        run_task(tasks[*i], 0, hooks, records[*i], lane(0), edges());
      }
      ready.finished(*i, records[*i].ok);
    }
  }
};

}  // namespace

std::unique_ptr<executor> make_sequential() { return std::make_unique<sequential_executor>(); }

}  // namespace parlab::detail
