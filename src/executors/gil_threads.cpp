// gil-threads: W threads that may only compute while holding an emulated global interpreter lock,
// with CPython's hand-off rules (see include/parlab/gil.hpp). CPU-bound tasks take turns, so
// there is concurrency without parallelism; waits release the lock, so I/O-bound tasks overlap.

#include <parlab/clock.hpp>
#include <parlab/gil.hpp>

#include "executors/dependencies.hpp"
#include "executors/factories.hpp"
#include "executors/run_task.hpp"

#include <atomic>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>

namespace parlab {

emulated_gil::emulated_gil(std::size_t workers, std::chrono::nanoseconds switch_interval)
    : interval_(switch_interval), held_since_(workers, 0), holds_(workers) {
  if (workers == 0) throw std::invalid_argument("emulated_gil: workers must be at least 1 (got 0)");
  if (switch_interval <= std::chrono::nanoseconds::zero()) {
    throw std::invalid_argument("emulated_gil: the switch interval must be positive");
  }
}

void emulated_gil::acquire(std::size_t worker) {
  std::unique_lock lock(mutex_);
  take_locked(lock, worker);
}

void emulated_gil::release(std::size_t worker) {
  {
    std::lock_guard lock(mutex_);
    drop_locked(worker);
  }
  free_.notify_one();
}

void emulated_gil::yield_if_requested(std::size_t worker) {
  if (!drop_requested()) return;
  std::unique_lock lock(mutex_);
  if (!drop_request_.load(std::memory_order_relaxed) || !locked_ || holder_ != worker) return;
  drop_locked(worker);
  ++forced_switches_;
  free_.notify_one();
  // FORCE_SWITCHING: do not race the waiter for the lock we just dropped; wait until somebody
  // else has taken it. A drop request is only ever set by a thread blocked in take_locked(), and
  // it leaves only by taking the lock, so this wait always ends.
  const std::uint64_t dropped_at = switch_number_;
  switched_.wait(lock, [&] { return switch_number_ != dropped_at; });
  take_locked(lock, worker);
}

void emulated_gil::take_locked(std::unique_lock<std::mutex>& lock, std::size_t worker) {
  while (locked_) {
    const std::uint64_t saved = switch_number_;
    const bool timed_out = free_.wait_for(lock, interval_) == std::cv_status::timeout;
    // Waited a whole interval and nobody switched meanwhile: ask the holder to drop it.
    if (timed_out && locked_ && switch_number_ == saved) {
      drop_request_.store(true, std::memory_order_relaxed);
    }
  }
  locked_ = true;
  holder_ = worker;
  ++switch_number_;
  drop_request_.store(false, std::memory_order_relaxed);
  held_since_.at(worker) = monotonic_ns();
  switched_.notify_all();
}

void emulated_gil::drop_locked(std::size_t worker) {
  if (!locked_ || holder_ != worker) {
    throw std::logic_error("emulated_gil: worker " + std::to_string(worker) +
                           " released a lock it does not hold");
  }
  holds_.at(worker).push_back({worker, held_since_[worker], monotonic_ns()});
  locked_ = false;
}

std::uint64_t emulated_gil::forced_switches() const {
  std::lock_guard lock(mutex_);
  return forced_switches_;
}

std::vector<lock_hold> emulated_gil::holds() const {
  std::lock_guard lock(mutex_);
  std::vector<lock_hold> all;
  for (const auto& per_worker : holds_) all.insert(all.end(), per_worker.begin(), per_worker.end());
  return all;
}

namespace detail {
namespace {

/// How a task running under the GIL sees its steps: computing holds the lock (and offers it up
/// between chunks when asked), waiting releases it. Time spent getting the lock back is recorded
/// as a gil_wait, and the task's slice is closed meanwhile (it is not running).
class gil_hooks final : public execution_hooks {
 public:
  gil_hooks(emulated_gil& gil, std::size_t worker, event_lane* lane)
      : gil_(gil), worker_(worker), lane_(lane) {}
  void between_chunks() override {
    if (!gil_.drop_requested()) return;
    event_lane::wait_mark asked;
    if (lane_ != nullptr) {
      asked = event_lane::mark_wait(monotonic_ns());
      lane_->pause(asked.wall_ns);
    }
    gil_.yield_if_requested(worker_);
    if (lane_ != nullptr) record_wait(asked, true);
  }
  void before_wait() override { gil_.release(worker_); }
  void after_wait() override { acquire(); }

  /// Takes the lock, recording how long that took.
  void acquire() {
    event_lane::wait_mark asked;
    if (lane_ != nullptr) asked = event_lane::mark_wait(monotonic_ns());
    gil_.acquire(worker_);
    if (lane_ != nullptr) record_wait(asked, false);
  }

 private:
  /// The wait for the lock, with the run-queue delay after the wake-up split off as `ready`.
  void record_wait(const event_lane::wait_mark& asked, bool resume) {
    const std::int64_t got = monotonic_ns();
    lane_->add_wait({0, 0, lane_->current_task(), lane_->worker(), -1, event_kind::gil_wait}, asked,
                    got);
    if (resume) lane_->resume(got);
  }

  emulated_gil& gil_;
  std::size_t worker_;
  event_lane* lane_;
};

class gil_threads_executor final : public executor {
 public:
  [[nodiscard]] std::string_view name() const noexcept override { return "gil-threads"; }

 protected:
  void execute(std::span<const task> tasks, const run_options& options,
               run_result& result) override {
    auto& records = result.records;
    emulated_gil gil(options.workers, options.gil_switch_interval);
    std::atomic<std::size_t> next{0};
    // A graph's tasks come from the queue of ready ones; a thread waiting there lets the lock go,
    // as a Python thread blocked in queue.get() does.
    std::optional<dependency_tracker> graph;
    std::optional<ready_queue> ready;
    if (!result.after.empty()) ready.emplace(graph.emplace(tasks));
    {
      std::vector<std::jthread> threads;
      threads.reserve(options.workers);
      for (std::size_t w = 0; w < options.workers; ++w) {
        try {
          threads.emplace_back([&, w] {
            event_lane* worker_lane = lane(w);
            gil_hooks hooks(gil, w, worker_lane);
            hooks.acquire();  // a Python thread needs the lock before it runs any bytecode
            if (!ready) {
              for (std::size_t i = next.fetch_add(1); i < tasks.size(); i = next.fetch_add(1)) {
                run_task(tasks[i], w, hooks, records[i], worker_lane, edges());
              }
            } else {
              while (true) {
                hooks.before_wait();
                const auto i = ready->pop();
                hooks.after_wait();
                if (!i) break;
                if (!graph->skip_blocked(tasks[*i], records[*i])) {
                  run_task(tasks[*i], w, hooks, records[*i], worker_lane, edges());
                }
                ready->finished(*i, records[*i].ok);
              }
            }
            gil.release(w);
          });
        } catch (const std::system_error& e) {
          next.store(tasks.size());  // the threads already started take no further task
          if (ready) ready->close();
          throw std::system_error(e.code(), "gil-threads: could not start thread " +
                                                std::to_string(w + 1) + " of " +
                                                std::to_string(options.workers));
        }
      }
    }  // joins
    result.lock_holds = gil.holds();
    result.gil_forced_switches = gil.forced_switches();
    for (const auto& h : result.lock_holds) {
      if (event_lane* l = lane(h.worker)) {
        l->add({h.start_ns, h.end_ns, no_id, static_cast<std::uint32_t>(h.worker), -1,
                event_kind::gil_hold});
      }
    }
  }
};

}  // namespace

std::unique_ptr<executor> make_gil_threads() { return std::make_unique<gil_threads_executor>(); }

}  // namespace detail
}  // namespace parlab
