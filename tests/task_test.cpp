#include <parlab/clock.hpp>
#include <parlab/task.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>

namespace parlab {
namespace {

class counting_hooks final : public execution_hooks {
 public:
  int chunks = 0;
  int waits_started = 0;
  int waits_ended = 0;
  void between_chunks() override { ++chunks; }
  void before_wait() override { ++waits_started; }
  void after_wait() override { ++waits_ended; }
};

TEST(PrimeKernel, CountsKnownPrimes) {
  EXPECT_EQ(count_primes(0, 100), 25U);            // primes below 100
  EXPECT_EQ(count_primes(1'000'000, 1'000), 75U);  // pi(1001000) - pi(1000000)
  EXPECT_EQ(count_primes(2, 1), 1U);
  EXPECT_EQ(count_primes(4, 1), 0U);
}

TEST(TaskContext, ComputeCallsHookOncePerUnit) {
  counting_hooks hooks;
  task_context ctx(hooks, 7, 0);
  (void)ctx.compute(25);
  EXPECT_EQ(hooks.chunks, 25);
}

TEST(TaskContext, ComputeIsReproducibleForASeed) {
  counting_hooks a_hooks;
  counting_hooks b_hooks;
  task_context a(a_hooks, 1234, 0);
  task_context b(b_hooks, 1234, 3);
  EXPECT_EQ(a.compute(100), b.compute(100));
}

TEST(TaskContext, WaitRunsHooksAroundASleep) {
  counting_hooks hooks;
  task_context ctx(hooks, 0, 0);
  const auto before = monotonic_ns();
  const auto cpu_before = thread_cpu_ns();
  ctx.wait(std::chrono::milliseconds(20));
  EXPECT_GE(monotonic_ns() - before, 20'000'000);
  EXPECT_LT(thread_cpu_ns() - cpu_before, 10'000'000);  // waiting does not use the CPU
  EXPECT_EQ(hooks.waits_started, 1);
  EXPECT_EQ(hooks.waits_ended, 1);
}

TEST(TaskContext, BlockingReleasesHooksEvenWhenTheCallThrows) {
  counting_hooks hooks;
  task_context ctx(hooks, 0, 0);
  EXPECT_THROW(ctx.blocking([]() -> int { throw std::runtime_error("boom"); }), std::runtime_error);
  EXPECT_EQ(hooks.waits_started, 1);
  EXPECT_EQ(hooks.waits_ended, 1);
}

TEST(Task, StepTaskResultDependsOnSeedNotOnWorker) {
  const task t = make_step_task(0, "t", 99, {{step_kind::compute, 10}, {step_kind::wait, 1000}});
  counting_hooks h1;
  counting_hooks h2;
  task_context c1(h1, t.seed, 0);
  task_context c2(h2, t.seed, 5);
  EXPECT_EQ(run_to_end(t, c1), run_to_end(t, c2));
  const task other = make_step_task(0, "t", 100, *t.steps());
  task_context c3(h1, other.seed, 0);
  EXPECT_NE(run_to_end(t, c1), run_to_end(other, c3));
}

/// Waits that suspend the program, as an event loop does, counting what they were asked.
class suspending_waits final : public step_waits {
 public:
  std::optional<std::uint64_t> wait_step(task_context&, const step& s, std::uint64_t) override {
    asked.push_back(s.kind);
    return std::nullopt;
  }
  std::vector<step_kind> asked;
};

TEST(Task, OneInterpreterRunsStepsWhetherWaitsBlockOrSuspend) {
  const task t = make_step_task(0, "t", 7,
                                {{step_kind::compute, 5},
                                 {step_kind::wait, 1'000'000},
                                 {step_kind::compute, 3},
                                 {step_kind::wait, 1'000'000}});
  counting_hooks hooks;
  task_context blocking_ctx(hooks, t.seed, 0);
  const std::uint64_t expected = run_to_end(t, blocking_ctx);  // blocking_waits

  // The same program through suspending waits: it stops at each wait, the "loop" resumes it.
  task_context ctx(hooks, t.seed, 0);
  suspending_waits waits;
  program_state state = start_program(t.seed);
  EXPECT_FALSE(run_steps(*t.steps(), t.seed, ctx, state, waits));
  EXPECT_EQ(state.next, 1U) << "suspended at the first wait";
  resume_steps(*t.steps(), state, 0);
  EXPECT_FALSE(run_steps(*t.steps(), t.seed, ctx, state, waits));
  EXPECT_EQ(state.next, 3U);
  resume_steps(*t.steps(), state, 0);
  EXPECT_TRUE(run_steps(*t.steps(), t.seed, ctx, state, waits));
  EXPECT_EQ(state.checksum, expected) << "both ways give the same result";
  EXPECT_EQ(waits.asked, (std::vector<step_kind>{step_kind::wait, step_kind::wait}));

  // A task is a program or a callable, never both.
  const task callable = make_task(1, "c", [](task_context&) -> std::uint64_t { return 42; });
  EXPECT_EQ(callable.steps(), nullptr);
  EXPECT_EQ(run_to_end(callable, ctx), 42U);
}

TEST(Task, MakeTaskRejectsEmptyBody) {
  EXPECT_THROW((void)make_task(0, "empty", task_body{}), std::invalid_argument);
}

}  // namespace
}  // namespace parlab

namespace parlab {
namespace {

TEST(StepHandlers, KindsOutsideCoreRunThroughTheirInstalledHandlers) {
  EXPECT_THROW(register_step_handler(
                   step_kind::compute,
                   [](task_context&, const step&, std::uint64_t) { return 0ULL; }, false),
               std::invalid_argument);
  EXPECT_THROW(register_step_handler(step_kind::touch, {}, false), std::invalid_argument);
  // (This test binary runs no mem workload: its touch handler may be replaced here.)
  int calls = 0;
  register_step_handler(
      step_kind::touch,
      [&calls](task_context& ctx, const step& s, std::uint64_t seed) -> std::uint64_t {
        ++calls;
        ctx.chunk_done();
        return s.amount + seed;
      },
      false);
  const task t = make_step_task(0, "t", 5, {{step_kind::touch, 100}, {step_kind::compute, 1}});
  counting_hooks hooks;
  task_context ctx(hooks, t.seed, 0);
  const std::uint64_t first = run_to_end(t, ctx);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(hooks.chunks, 2) << "the handler's chunk and the compute unit";
  task_context again(hooks, t.seed, 1);
  EXPECT_EQ(run_to_end(t, again), first) << "the same handler, the same result";
  EXPECT_EQ(to_string(step_kind::download), "download");
  EXPECT_THROW(
      register_step_handler(
          step_kind::lock, [](task_context&, const step&, std::uint64_t) { return 0ULL; }, false),
      std::invalid_argument)
      << "lock steps are the interpreter's own";
}

TEST(LockSteps, NamesGetNumbersInOrderOfFirstUseAndTheSectionComputesHoldingTheLock) {
  const std::uint16_t a = lock_number("test: accounts");
  const std::uint16_t b = lock_number("test: ledger");
  EXPECT_NE(a, b);
  EXPECT_EQ(lock_number("test: accounts"), a) << "the same name, the same lock";
  EXPECT_EQ(lock_name(a), "test: accounts");
  EXPECT_EQ(lock_name(max_locks - 1), "lock 255") << "a number nobody named";
  EXPECT_THROW((void)lock_number(""), std::invalid_argument);
  const step s = lock_step("test: ledger", 3);
  EXPECT_EQ(s.kind, step_kind::lock);
  EXPECT_EQ(s.port, b);
  EXPECT_EQ(s.amount, 3U);
  EXPECT_EQ(to_string(step_kind::lock), "lock");
  // A critical section counts the same primes as the same compute outside any lock, and its
  // hold is recorded on the lane (uncontended: no wait).
  const task locked = make_step_task(0, "l", 9, {s});
  const task plain = make_step_task(0, "p", 9, {{step_kind::compute, 3}});
  counting_hooks hooks;
  event_lane lane(0, 16);
  lane.begin_task(0, monotonic_ns());
  task_context ctx(hooks, 9, 0, &lane);
  const std::uint64_t with_lock = run_to_end(locked, ctx);
  task_context ctx2(hooks, 9, 0);
  EXPECT_EQ(with_lock, run_to_end(plain, ctx2));
  EXPECT_EQ(hooks.waits_started, 0) << "a free lock is taken without waiting";
  const auto holds = std::count_if(lane.events().begin(), lane.events().end(), [&](const event& e) {
    return e.kind == event_kind::lock_hold && e.object == b;
  });
  EXPECT_EQ(holds, 1);
  step bad = s;
  bad.port = max_locks;
  const task out_of_range = make_step_task(0, "bad", 9, {bad});
  EXPECT_THROW((void)run_to_end(out_of_range, ctx2), std::invalid_argument);
}

}  // namespace
}  // namespace parlab
