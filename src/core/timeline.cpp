#include <parlab/clock.hpp>
#include <parlab/timeline.hpp>

#include <sched.h>

#include <algorithm>
#include <array>
#include <stdexcept>
#include <string>

namespace parlab {

static_assert(sizeof(event) == 32, "events cross a pipe and fill lanes: keep them small");

namespace {

constexpr std::array<std::string_view, 10> kKindNames = {
    "queued",   "task",     "slice", "preempted", "wait",
    "gil_wait", "gil_hold", "ready", "lock_wait", "lock_hold"};
constexpr std::array<std::string_view, 5> kWaitNames = {"none", "sleep", "blocking", "async",
                                                        "futex"};

template <class Enum, std::size_t N>
std::optional<Enum> from_name(const std::array<std::string_view, N>& names,
                              std::string_view name) noexcept {
  for (std::size_t i = 0; i < N; ++i) {
    if (names[i] == name) return static_cast<Enum>(i);
  }
  return std::nullopt;
}

std::int16_t current_cpu() noexcept {
  const int cpu = ::sched_getcpu();  // glibc reads it from rseq: no kernel entry
  return static_cast<std::int16_t>(cpu < 0 ? -1 : cpu);
}

}  // namespace

std::string_view to_string(event_kind kind) noexcept {
  const auto i = static_cast<std::size_t>(kind);
  return i < kKindNames.size() ? kKindNames[i] : "unknown";
}

std::optional<event_kind> event_kind_from_string(std::string_view name) noexcept {
  return from_name<event_kind>(kKindNames, name);
}

std::string_view to_string(wait_kind kind) noexcept {
  const auto i = static_cast<std::size_t>(kind);
  return i < kWaitNames.size() ? kWaitNames[i] : "unknown";
}

std::optional<wait_kind> wait_kind_from_string(std::string_view name) noexcept {
  return from_name<wait_kind>(kWaitNames, name);
}

event_lane::event_lane(std::size_t worker, std::size_t capacity)
    : capacity_(capacity), worker_(static_cast<std::uint32_t>(worker)) {
  events_.reserve(capacity);
}

void event_lane::add(const event& e) noexcept {
  last_end_ = std::max(last_end_, e.end_ns);
  if (events_.size() < capacity_) {
    events_.push_back(e);  // within the reserved capacity: no allocation, cannot throw
  } else {
    ++dropped_;
  }
}

void event_lane::begin_task(std::uint32_t task, std::int64_t now) noexcept {
  task_ = task;
  open_slice(now);
}

void event_lane::end_task(std::int64_t started, std::int64_t now) noexcept {
  close_slice(now);
  add({started, now, task_, worker_, -1, event_kind::task});
  task_ = no_id;
}

event_lane::wait_mark event_lane::mark_wait(std::int64_t now) noexcept {
  return {now, thread_run_delay_ns()};
}

void event_lane::add_wait(event e, const wait_mark& mark, std::int64_t now) noexcept {
  e.start_ns = mark.wall_ns;
  e.end_ns = now;
  std::int64_t ready = 0;
  if (mark.run_delay_ns >= 0) {
    const std::int64_t delay = thread_run_delay_ns();
    if (delay >= mark.run_delay_ns) ready = std::min(delay - mark.run_delay_ns, now - mark.wall_ns);
  }
  if (ready <= 0) {
    add(e);
    return;
  }
  event r = e;
  e.end_ns = now - ready;
  r.start_ns = e.end_ns;
  r.kind = event_kind::ready;
  r.wait = wait_kind::none;
  r.object = no_id;
  if (e.end_ns > e.start_ns) add(e);
  add(r);
}

void event_lane::pause(std::int64_t now) noexcept { close_slice(now); }

void event_lane::resume(std::int64_t now) noexcept { open_slice(now); }

void event_lane::resume_after_wait() noexcept {
  const std::int64_t now = monotonic_ns();
  open_slice(last_end_ > 0 && last_end_ <= now ? last_end_ : now);
}

void event_lane::open_slice(std::int64_t now) noexcept {
  if (open_) close_slice(now);
  open_ = true;
  slice_start_ = now;
  last_chunk_ = now;
  chunks_ = 0;
  check_wall_ = now;
  check_cpu_ = thread_cpu_ns();
  cpu_ = current_cpu();
}

bool event_lane::split_at_gap(std::int64_t now, std::int64_t stretch_start) noexcept {
  // Wall time the thread did not spend on a CPU since the last check: the kernel ran something
  // else meanwhile. (A slow chunk alone proves nothing: a sanitizer or a cold cache slows it.)
  const std::int64_t cpu = thread_cpu_ns();
  const std::int64_t lost = (now - check_wall_) - (cpu - check_cpu_);
  check_wall_ = now;
  check_cpu_ = cpu;
  // Time before the stretch was accounted for by an earlier check or by fast chunks, so the gap
  // lies in the stretch; where in it is known only to within its length (a chunk, a few us, when
  // computing), so it is placed at the stretch's end.
  const std::int64_t gap = std::min(lost, now - stretch_start);
  if (gap < gap_min_ns) return false;
  const std::int64_t gap_start = std::max(now - gap, slice_start_);
  add({slice_start_, gap_start, task_, worker_, cpu_, event_kind::slice});
  add({gap_start, now, task_, worker_, -1, event_kind::preempted});
  slice_start_ = now;
  return true;
}

void event_lane::close_slice(std::int64_t now) noexcept {
  if (!open_) return;
  open_ = false;
  split_at_gap(now, last_chunk_);
  if (now > slice_start_) {
    add({slice_start_, now, task_, worker_, cpu_, event_kind::slice});
  }
}

void event_lane::after_chunk() noexcept {
  if (!open_ || ++chunks_ < chunks_per_check) return;
  chunks_ = 0;
  const std::int64_t now = monotonic_ns();
  const std::int64_t previous = last_chunk_;
  last_chunk_ = now;
  if (now - previous < gap_probe_ns) return;  // the common case: one vDSO clock read per check
  if (split_at_gap(now, previous)) cpu_ = current_cpu();
}

recorder::recorder(std::size_t workers, std::size_t capacity) {
  if (workers != 0) {
    capacity = std::min(capacity, std::max(min_lane_capacity, recorder_event_budget / workers));
  }
  lanes_.reserve(workers);
  for (std::size_t w = 0; w < workers; ++w) lanes_.emplace_back(w, capacity);
}

event_lane& recorder::lane(std::size_t worker) {
  if (worker >= lanes_.size()) {
    throw std::out_of_range("recorder: no lane for worker " + std::to_string(worker) + " (have " +
                            std::to_string(lanes_.size()) + ")");
  }
  return lanes_[worker];
}

timeline recorder::collect(std::span<const event> extra) const {
  timeline out;
  std::size_t total = extra.size();
  for (const auto& l : lanes_) total += l.events().size();
  out.events.reserve(total);
  out.events.insert(out.events.end(), extra.begin(), extra.end());
  for (const auto& l : lanes_) {
    out.events.insert(out.events.end(), l.events().begin(), l.events().end());
    out.dropped += l.dropped();
  }
  std::stable_sort(out.events.begin(), out.events.end(), [](const event& a, const event& b) {
    return a.start_ns != b.start_ns ? a.start_ns < b.start_ns : a.kind < b.kind;
  });
  return out;
}

}  // namespace parlab
