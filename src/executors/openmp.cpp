// openmp: `#pragma omp parallel for schedule(dynamic, 1)` over the tasks with W threads - the
// loop-parallel model of scientific codes. OpenMP keeps its team of threads alive between
// parallel regions for the thread that started them; the region runs on a thread of its own so
// the team goes away with it when the run ends (a later fork then copies one thread, not W).

#include "executors/factories.hpp"
#include "executors/run_task.hpp"

#include <omp.h>

#include <thread>

namespace parlab::detail {
namespace {

class openmp_executor final : public executor {
 public:
  [[nodiscard]] std::string_view name() const noexcept override { return "openmp"; }

 protected:
  void execute(std::span<const task> tasks, const run_options& options,
               run_result& result) override {
    auto& records = result.records;
    const auto count = static_cast<long>(tasks.size());
    const int team = static_cast<int>(options.workers);
    std::jthread master([&] {
#pragma omp parallel for schedule(dynamic, 1) num_threads(team)
      for (long i = 0; i < count; ++i) {
        const auto w = static_cast<std::size_t>(omp_get_thread_num());
        const auto k = static_cast<std::size_t>(i);
        no_hooks hooks;
        run_task(tasks[k], w, hooks, records[k], lane(w));
      }
    });
  }
};

}  // namespace

std::unique_ptr<executor> make_openmp() { return std::make_unique<openmp_executor>(); }

}  // namespace parlab::detail
