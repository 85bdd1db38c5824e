// openmp: `#pragma omp parallel for schedule(dynamic, 1)` over the tasks with W threads - the
// loop-parallel model of scientific codes. OpenMP keeps its team of threads alive between
// parallel regions for the thread that started them; the region runs on a thread of its own so
// the team goes away with it when the run ends (a later fork then copies one thread, not W).

#include <parlab/task_graph.hpp>

#include "executors/dependencies.hpp"
#include "executors/factories.hpp"
#include "executors/run_task.hpp"

#include <fmt/format.h>
#include <omp.h>
#include <pthread.h>

#include <atomic>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <latch>
#include <stdexcept>
#include <string>
#include <vector>

#include <thread>

namespace parlab::detail {
namespace {

/// The stack size libgomp gives its threads: OMP_STACKSIZE or GOMP_STACKSIZE (a number with an
/// optional B, K, M or G; kibibytes without), else 0 (the default for new threads).
std::size_t gomp_stack_size() {
  for (const char* name : {"GOMP_STACKSIZE", "OMP_STACKSIZE"}) {
    const char* text = std::getenv(name);
    if (text == nullptr || *text == '\0') continue;
    char* end = nullptr;
    const unsigned long long n = std::strtoull(text, &end, 10);
    while (*end == ' ') ++end;
    std::size_t unit = 1024;
    switch (std::toupper(static_cast<unsigned char>(*end))) {
      case 'B':
        unit = 1;
        break;
      case 'M':
        unit = std::size_t{1} << 20U;
        break;
      case 'G':
        unit = std::size_t{1} << 30U;
        break;
      default:
        break;
    }
    return static_cast<std::size_t>(n) * unit;
  }
  return 0;
}

void* hold_until_released(void* latch) {
  static_cast<std::latch*>(latch)->wait();
  return nullptr;
}

/// Throws std::runtime_error unless the kernel gives this process the team - 1 more threads
/// (libgomp's stack size) a team of `team` needs beside the calling thread, all at once. Each
/// size is checked once: libgomp asks the same of the kernel every run.
void require_team(int team) {
  static std::atomic<int> checked{1};
  if (team <= checked.load(std::memory_order_relaxed)) return;
  pthread_attr_t attr;
  ::pthread_attr_init(&attr);
  if (const std::size_t stack = gomp_stack_size(); stack > 0) {
    (void)::pthread_attr_setstacksize(&attr, stack);
  }
  std::latch release(1);
  std::vector<pthread_t> started;
  int refused = 0;
  for (int i = 1; i < team && refused == 0; ++i) {
    pthread_t t{};
    refused = ::pthread_create(&t, &attr, hold_until_released, &release);
    if (refused == 0) started.push_back(t);
  }
  release.count_down();
  for (const pthread_t t : started) ::pthread_join(t, nullptr);
  ::pthread_attr_destroy(&attr);
  if (refused != 0) {
    throw std::runtime_error(
        fmt::format("openmp: the kernel refused thread {} of a team of {} ({}; see ulimit -u, "
                    "ulimit -v and OMP_STACKSIZE): "
                    "libgomp would end the whole process, so the openmp run did not start",
                    started.size() + 2, team, std::strerror(refused)));
  }
  int seen = checked.load(std::memory_order_relaxed);
  while (seen < team && !checked.compare_exchange_weak(seen, team, std::memory_order_relaxed)) {
  }
}

class openmp_executor final : public executor {
 public:
  [[nodiscard]] std::string_view name() const noexcept override { return "openmp"; }

 protected:
  void execute(std::span<const task> tasks, const run_options& options,
               run_result& result) override {
    auto& records = result.records;
    const auto count = static_cast<long>(tasks.size());
    const int team = static_cast<int>(options.workers);
    std::exception_ptr refused;
    std::jthread master([&] {
      // libgomp ends the whole process when the kernel refuses one of its threads ("Thread
      // creation failed", exit 1): every row measured so far would be lost. The first time a
      // team this large is asked for, this thread starts as many threads itself, first.
      try {
        require_team(team);
      } catch (...) {
        refused = std::current_exception();
        return;
      }
      if (result.after.empty()) {
#pragma omp parallel for schedule(dynamic, 1) num_threads(team)
        for (long i = 0; i < count; ++i) {
          const auto w = static_cast<std::size_t>(omp_get_thread_num());
          const auto k = static_cast<std::size_t>(i);
          no_hooks hooks;
          run_task(tasks[k], w, hooks, records[k], lane(w), edges());
        }
      } else {
        run_graph(tasks, team, records);
      }
    });
    master.join();
    if (refused) std::rethrow_exception(refused);
  }

 private:
  /// A graph: one thread creates a task per graph task in a topological order, each with
  /// `depend(in:)` on its predecessors' slots (an OpenMP 5.0 iterator over its list) and
  /// `depend(out:)` on its own; the runtime starts a task when the ones it depends on ended.
  void run_graph(std::span<const task> tasks, int team, std::vector<task_record>& records) {
    const auto order = topological_order(dependencies_of(tasks));
    std::vector<char> slots(tasks.size());
    failure_causes causes(tasks.size());
    [[maybe_unused]] char* slot = slots.data();  // only the depend clauses name it
#pragma omp parallel num_threads(team)
#pragma omp single
    for (const std::size_t k : order) {
      const std::size_t* before = tasks[k].after.data();
      const int n = static_cast<int>(tasks[k].after.size());
#pragma omp task depend(iterator(j = 0                                       \
                                 : n),                                       \
                        in                                                   \
                        : slot[before[j]]) depend(out                        \
                                                  : slot[k]) firstprivate(k) \
    shared(tasks, records, causes)
      {
        causes.run_unless_blocked(tasks[k], records[k], [&] {
          const auto w = static_cast<std::size_t>(omp_get_thread_num());
          no_hooks hooks;
          run_task(tasks[k], w, hooks, records[k], lane(w), edges());
        });
      }
    }
  }
};

}  // namespace

std::unique_ptr<executor> make_openmp() { return std::make_unique<openmp_executor>(); }

}  // namespace parlab::detail
