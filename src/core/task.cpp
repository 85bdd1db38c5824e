#include <parlab/clock.hpp>
#include <parlab/interrupt.hpp>
#include <parlab/task.hpp>
#include <parlab/timeline.hpp>

#include "core/child_process.hpp"
#include "core/shared_locks.hpp"
#include "core/splitmix.hpp"
#include "core/steps.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <new>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace parlab {
namespace {

using detail::splitmix64;

// Numbers tested by compute() stay in [kFirst, kFirst + kRange) so every unit costs about the same
// whatever the seed: trial division cost grows with the square root of the number tested.
constexpr std::uint64_t kFirst = 1'000'000;
constexpr std::uint64_t kRange = 1'000'000;

bool is_prime(std::uint32_t n) noexcept {
  if (n < 2) return false;
  if (n % 2 == 0) return n == 2;
  for (std::uint32_t d = 3; d * d <= n; d += 2) {
    if (n % d == 0) return false;
  }
  return true;
}

}  // namespace

std::uint64_t count_primes(std::uint64_t first, std::uint64_t count) noexcept {
  std::uint64_t found = 0;
  for (std::uint64_t n = first; n < first + count; ++n) {
    if (is_prime(static_cast<std::uint32_t>(n))) ++found;
  }
  return found;
}

double compute_units_per_ms() {
  static const double measured = [] {
    constexpr std::uint64_t kUnits = 100;
    std::int64_t best = INT64_MAX;
    std::uint64_t sink = 0;
    for (int trial = 0; trial < 5; ++trial) {
      const std::int64_t before = thread_cpu_ns();
      sink += count_primes(kFirst + static_cast<std::uint64_t>(trial) * kUnits * numbers_per_unit,
                           kUnits * numbers_per_unit);
      best = std::min(best, thread_cpu_ns() - before);
    }
    // (sink keeps the work from being optimised away; it is never 0 in this range)
    return sink == 0 ? 0.0 : static_cast<double>(kUnits) * 1e6 / static_cast<double>(best);
  }();
  return measured;
}

task_context::task_context(execution_hooks& hooks, std::uint64_t seed, std::size_t worker,
                           event_lane* lane) noexcept
    : hooks_(&hooks),
      lane_(lane),
      cursor_(kFirst + (splitmix64(seed) % (kRange / numbers_per_unit)) * numbers_per_unit),
      worker_(worker) {}

std::uint64_t task_context::compute(std::uint64_t units) {
  std::uint64_t found = 0;
  for (std::uint64_t u = 0; u < units; ++u) {
    throw_if_interrupted();  // one relaxed load per unit (a few microseconds of work)
    found += count_primes(cursor_, numbers_per_unit);
    cursor_ += numbers_per_unit;
    if (cursor_ >= kFirst + kRange) cursor_ = kFirst;
    chunk_done();
  }
  return found;
}

void task_context::chunk_done() {
  if (lane_ != nullptr) lane_->after_chunk();
  hooks_->between_chunks();
}

event_lane::wait_mark task_context::enter_wait() {
  event_lane::wait_mark mark;
  if (lane_ != nullptr) {
    const std::int64_t now = monotonic_ns();
    lane_->pause(now);
    mark = event_lane::mark_wait(now);
  }
  hooks_->before_wait();
  return mark;
}

void task_context::leave_wait(const event_lane::wait_mark& started, event what) {
  if (lane_ != nullptr) {
    // The run-queue delay after the wake-up (if any) is split off as a `ready` event.
    what.task = lane_->current_task();
    what.worker = lane_->worker();
    lane_->add_wait(what, started, monotonic_ns());
  }
  hooks_->after_wait();  // may block (the GIL): recorded by the model's hooks
  if (lane_ != nullptr) lane_->resume_after_wait();
}

void task_context::held_lock(std::uint32_t lock, std::int64_t since) noexcept {
  if (lane_ == nullptr) return;
  lane_->add({since, monotonic_ns(), lane_->current_task(), lane_->worker(), -1,
              event_kind::lock_hold, wait_kind::none, lock});
}

void task_context::wait(std::chrono::nanoseconds duration) {
  // A sleep that an interrupt cuts short (the first Ctrl-C ends a run of long waits at once).
  run_as_wait(wait_kind::sleep, [duration] { detail::sleep_or_interrupt(duration); });
}

namespace {

/// The handlers of the step kinds that live outside core (touch: the mem workload; download:
/// the http workload; serial, parallel: amdahl), one slot per kind, fixed before a run starts.
/// The step path reads a slot with one acquire load: no lock, no map, no copy of the handler -
/// a lock here would be a hidden serial section shared by every thread of every model (the
/// amdahl workload's parallel steps would pass through it). An installed entry lives as long as
/// the program: a step on another thread may still be running the one a registration replaces
/// (the http server installs its handler each time it starts: a few dozen bytes each).
struct step_entry {
  step_handler handler;
  bool waits = false;
};

constexpr std::size_t kStepKinds = static_cast<std::size_t>(step_kind::lock) + 1;

struct step_table {
  std::array<std::atomic<const step_entry*>, kStepKinds> slots{};
  std::mutex writers;                              // registrations only, never the step path
  std::vector<std::unique_ptr<step_entry>> owned;  // every entry installed (under writers)
};

step_table& the_step_table() {
  static step_table table;
  return table;
}

/// The handler of `kind` and whether it waits; std::invalid_argument when none is installed.
const step_entry& handler_of(step_kind kind) {
  const auto k = static_cast<std::size_t>(kind);
  const step_entry* e =
      k < kStepKinds ? the_step_table().slots[k].load(std::memory_order_acquire) : nullptr;
  if (e != nullptr) return *e;
  throw std::invalid_argument("no handler for a '" + std::string(to_string(kind)) +
                              "' step (the workload that makes such steps installs it: "
                              "register_step_handler)");
}

}  // namespace

std::string_view to_string(step_kind kind) noexcept {
  switch (kind) {
    case step_kind::compute:
      return "compute";
    case step_kind::wait:
      return "wait";
    case step_kind::download:
      return "download";
    case step_kind::touch:
      return "touch";
    case step_kind::serial:
      return "serial";
    case step_kind::parallel:
      return "parallel";
    case step_kind::lock:
      return "lock";
    case step_kind::fault:
      break;
  }
  return "fault";
}

void register_step_handler(step_kind kind, step_handler handler, bool waits) {
  if (kind == step_kind::compute || kind == step_kind::wait || kind == step_kind::lock) {
    throw std::invalid_argument("register_step_handler: '" + std::string(to_string(kind)) +
                                "' steps are the interpreter's own");
  }
  if (!handler) throw std::invalid_argument("register_step_handler: the handler is empty");
  step_table& t = the_step_table();
  const std::lock_guard lock(t.writers);
  // The entry replaced stays owned (see step_table): a running step may hold it.
  t.owned.push_back(std::make_unique<step_entry>(step_entry{std::move(handler), waits}));
  t.slots[static_cast<std::size_t>(kind)].store(t.owned.back().get(), std::memory_order_release);
}

std::uint64_t run_step_handler(task_context& ctx, const step& s, std::uint64_t seed) {
  return handler_of(s.kind).handler(ctx, s, seed);
}

std::optional<std::uint64_t> blocking_waits::wait_step(task_context& ctx, const step& s,
                                                       std::uint64_t seed) {
  if (s.kind == step_kind::wait) {
    ctx.wait(std::chrono::nanoseconds(static_cast<std::int64_t>(s.amount)));
    return 0;
  }
  return ctx.blocking([&] { return run_step_handler(ctx, s, seed); });
}

program_state start_program(std::uint64_t seed) noexcept {
  return {0, detail::checksum_start(seed)};
}

bool run_steps(std::span<const step> steps, std::uint64_t seed, task_context& ctx,
               program_state& state, step_waits& waits) {
  for (; state.next < steps.size(); ++state.next) {
    const step& s = steps[state.next];
    if (s.kind == step_kind::compute) {
      state.checksum = detail::checksum_fold(state.checksum, ctx.compute(s.amount));
      continue;
    }
    if (s.kind == step_kind::lock) {
      state.checksum = detail::checksum_fold(state.checksum, detail::run_lock_step(ctx, s));
      continue;
    }
    if (s.kind != step_kind::wait) {
      const step_entry& entry = handler_of(s.kind);
      if (!entry.waits) {  // it computes (touch, serial, parallel): here, like compute
        state.checksum = detail::checksum_fold(state.checksum, entry.handler(ctx, s, seed));
        continue;
      }
    }
    // A step that waits: the model carries it out its own way.
    const std::optional<std::uint64_t> value = waits.wait_step(ctx, s, seed);
    if (!value) return false;  // suspended: resume_steps, then run_steps, carry on
    if (s.kind != step_kind::wait) state.checksum = detail::checksum_fold(state.checksum, *value);
  }
  return true;
}

void resume_steps(std::span<const step> steps, program_state& state, std::uint64_t value) noexcept {
  if (state.next < steps.size() && steps[state.next].kind != step_kind::wait) {
    state.checksum = detail::checksum_fold(state.checksum, value);
  }
  ++state.next;
}

std::uint64_t run_to_end(const task& t, task_context& ctx) {
  if (const auto* steps = t.steps()) {
    blocking_waits waits;
    program_state state = start_program(t.seed);
    (void)run_steps(*steps, t.seed, ctx, state, waits);
    return state.checksum;
  }
  return std::get<task_body>(t.work)(ctx);
}

task make_step_task(std::size_t id, std::string label, std::uint64_t seed,
                    std::vector<step> steps) {
  task t;
  t.id = id;
  t.label = std::move(label);
  t.seed = seed;
  // A program with lock steps needs the shared locks made here, before any model forks.
  if (std::any_of(steps.begin(), steps.end(),
                  [](const step& x) { return x.kind == step_kind::lock; })) {
    detail::make_shared_locks();
  }
  t.work = std::move(steps);
  return t;
}

task make_task(std::size_t id, std::string label, task_body body, std::uint64_t seed) {
  if (!body) throw std::invalid_argument("make_task: task '" + label + "' has an empty body");
  task t;
  t.id = id;
  t.label = std::move(label);
  t.seed = seed;
  t.work = std::move(body);
  return t;
}

}  // namespace parlab
