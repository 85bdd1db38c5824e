// async: one event-loop thread (Boost.Asio, C++20 coroutines). At most W tasks are in flight;
// each is a coroutine on the one loop. A wait step becomes an asynchronous timer, so thousands of
// waits overlap on one thread; a compute step runs inline on the loop and blocks every other
// task meanwhile - so an event loop helps I/O-bound work and cannot help CPU-bound work.
//
// Built-in step tasks are interpreted here step by step. A user callable (a task without steps)
// runs inline like any blocking code would in a coroutine: its ctx.wait blocks the whole loop,
// exactly like time.sleep() inside an asyncio coroutine.

#include <parlab/clock.hpp>

#include "core/http_client.hpp"
#include "core/steps.hpp"
#include "executors/factories.hpp"
#include "executors/run_task.hpp"

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without it

#include <sys/types.h>
#include <unistd.h>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <exception>

namespace parlab::detail {
namespace {

namespace asio = boost::asio;

class async_executor final : public executor {
 public:
  [[nodiscard]] std::string_view name() const noexcept override { return "async"; }

 protected:
  void execute(std::span<const task> tasks, const run_options& options,
               run_result& result) override {
    pid_ = ::getpid();
    tid_ = ::gettid();
    asio::io_context loop(1);  // one thread runs it: no locking inside Asio
    std::size_t next = 0;      // only the loop thread touches it
    const std::size_t in_flight = std::min(options.workers, tasks.size());
    for (std::size_t w = 0; w < in_flight; ++w) {
      // Worker slot w: takes the next task whenever its previous one ended. A slot is a lane.
      asio::co_spawn(
          loop,
          [&, w]() -> asio::awaitable<void> {
            for (std::size_t i = next++; i < tasks.size(); i = next++) {
              co_await run_one(tasks[i], w, result.records[i]);
            }
          },
          asio::detached);
    }
    loop.run();
  }

 private:
  /// Runs task `t` on slot `w` of the loop, filling `record` like run_task() does.
  asio::awaitable<void> run_one(const task& t, std::size_t w, task_record& record) {
    event_lane* slot_lane = lane(w);
    if (t.steps.empty()) {  // a callable: nothing to interpret, it runs inline
      no_hooks hooks;
      run_task(t, w, hooks, record, slot_lane);
      co_return;
    }
    record.task_id = t.id;
    record.worker = w;
    record.pid = pid_;  // one process, one thread: asked once per run (each is a system call)
    record.tid = tid_;
    record.start_ns = monotonic_ns();
    if (slot_lane != nullptr)
      slot_lane->begin_task(static_cast<std::uint32_t>(t.id), record.start_ns);
    std::int64_t cpu = 0;
    try {
      no_hooks hooks;
      task_context ctx(hooks, t.seed, w, slot_lane);
      std::uint64_t checksum = checksum_start(t.seed);
      asio::steady_timer timer(co_await asio::this_coro::executor);
      for (const step& s : t.steps) {
        if (s.kind == step_kind::compute || s.kind == step_kind::touch) {
          const std::int64_t before = thread_cpu_ns();
          checksum = checksum_fold(
              checksum, s.kind == step_kind::compute ? ctx.compute(s.amount) : ctx.touch(s.amount));
          cpu += thread_cpu_ns() - before;
          continue;
        }
        // A wait or a download: the task suspends here and the loop runs the other tasks.
        const std::int64_t asked = monotonic_ns();
        if (slot_lane != nullptr) slot_lane->pause(asked);
        wait_kind kind = wait_kind::sleep;
        if (s.kind == step_kind::wait) {
          timer.expires_after(std::chrono::nanoseconds(static_cast<std::int64_t>(s.amount)));
          co_await timer.async_wait(asio::use_awaitable);
        } else {
          kind = wait_kind::async;
          checksum =
              checksum_fold(checksum, co_await async_http_download(s.port, s.amount, t.seed));
        }
        const std::int64_t woke = monotonic_ns();
        if (slot_lane != nullptr) {
          slot_lane->add({asked, woke, static_cast<std::uint32_t>(t.id), slot_lane->worker(), -1,
                          event_kind::wait, kind});
          slot_lane->resume(woke);
        }
      }
      record.result = checksum;
      record.ok = true;
      record.message.clear();
    } catch (const std::exception& e) {
      record.ok = false;
      record.message = e.what();
    }
    record.cpu_ns = cpu;
    record.end_ns = monotonic_ns();
    if (slot_lane != nullptr) slot_lane->end_task(record.start_ns, record.end_ns);
  }

  pid_t pid_ = 0;
  pid_t tid_ = 0;
};

}  // namespace

std::unique_ptr<executor> make_async() { return std::make_unique<async_executor>(); }

}  // namespace parlab::detail
