// threads: one std::thread per task, at most W running at once. Creating a thread per task is the
// simplest model and pays a thread create + join (~35 us on a VM) for every task; compare with
// thread-pool.

#include "executors/dependencies.hpp"
#include "executors/factories.hpp"
#include "executors/run_task.hpp"

#include <condition_variable>
#include <mutex>
#include <numeric>
#include <optional>
#include <system_error>
#include <thread>

namespace parlab::detail {
namespace {

class threads_executor final : public executor {
 public:
  [[nodiscard]] std::string_view name() const noexcept override { return "threads"; }

 protected:
  void execute(std::span<const task> tasks, const run_options& options,
               run_result& result) override {
    auto& records = result.records;
    // Free worker slots: a slot is a lane in the timeline, so a task is labelled with the slot
    // it occupies while it runs, not with its own thread.
    std::mutex mutex;
    std::condition_variable slot_freed;
    std::vector<std::size_t> free_slots(options.workers);
    std::iota(free_slots.rbegin(), free_slots.rend(), std::size_t{0});

    auto release = [&](std::size_t slot) {
      {
        std::lock_guard lock(mutex);
        free_slots.push_back(slot);
      }
      slot_freed.notify_one();
    };

    // The thread that last used a slot is joined before the slot gets a new one: each task pays
    // its own create + join, and the C library can reuse the finished thread's stack (joining
    // them all at the end instead made every creation ~10x dearer with hundreds unjoined).
    // Which task next: the batch in order, or a graph's tasks as they become ready.
    std::optional<dependency_tracker> graph;
    std::optional<ready_queue> ready;
    if (!result.after.empty()) ready.emplace(graph.emplace(tasks));
    std::size_t in_order = 0;
    auto next_task = [&]() -> std::optional<std::size_t> {
      if (!ready) return in_order < tasks.size() ? std::optional(in_order++) : std::nullopt;
      while (auto i = ready->pop()) {
        if (!graph->skip_blocked(tasks[*i], records[*i])) return i;
        ready->finished(*i, false);
      }
      return std::nullopt;
    };
    struct close_on_exit {
      std::optional<ready_queue>& q;
      ~close_on_exit() {
        if (q) q->close();
      }
    } closer{ready};

    std::vector<std::jthread> threads(options.workers);
    while (const auto next = next_task()) {
      const std::size_t i = *next;
      std::size_t slot = 0;
      {
        std::unique_lock lock(mutex);
        slot_freed.wait(lock, [&] { return !free_slots.empty(); });
        slot = free_slots.back();
        free_slots.pop_back();
      }
      if (threads[slot].joinable()) threads[slot].join();  // it has released the slot: ending
      try {
        threads[slot] = std::jthread([&, i, slot] {
          no_hooks hooks;
          run_task(tasks[i], slot, hooks, records[i], lane(slot), edges());
          release(slot);
          if (ready) ready->finished(i, records[i].ok);
        });
      } catch (const std::system_error& e) {
        // The kernel refused a thread (EAGAIN: ulimit -u, threads-max, memory): the run cannot
        // be carried out as asked. The threads already started are joined on the way out.
        release(slot);
        throw std::system_error(e.code(), "threads: could not start the thread for task " +
                                              std::to_string(tasks[i].id) + " (" +
                                              std::to_string(options.workers) + " at once)");
      }
    }
    threads.clear();  // joins every thread
  }
};

}  // namespace

std::unique_ptr<executor> make_threads() { return std::make_unique<threads_executor>(); }

}  // namespace parlab::detail
