// What the sampler reads from /proc and how one thread's looks become timeline events (pure).

#include <parlab/proc_sampler.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdlib>

namespace parlab {
namespace {

constexpr std::array<std::string_view, 6> kWatchWaitNames = {"none",  "sleep", "io",
                                                             "futex", "child", "other"};

bool contains(std::string_view s, std::string_view part) noexcept {
  return s.find(part) != std::string_view::npos;
}

template <class T>
bool number(std::string_view text, T& out) noexcept {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && end == text.data() + text.size();
}

/// The whitespace-separated fields of `text`.
std::vector<std::string_view> fields_of(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\n')) ++i;
    const std::size_t from = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '\n') ++i;
    if (i > from) out.push_back(text.substr(from, i - from));
  }
  return out;
}

wait_kind wait_kind_of(thread_wait w) noexcept {
  switch (w) {
    case thread_wait::sleep:
      return wait_kind::sleep;
    case thread_wait::futex:
      return wait_kind::futex;
    case thread_wait::none:
    case thread_wait::io:
    case thread_wait::child:
    case thread_wait::other:
      break;
  }
  return wait_kind::blocking;
}

}  // namespace

std::string_view to_string(thread_wait wait) noexcept {
  const auto i = static_cast<std::size_t>(wait);
  return i < kWatchWaitNames.size() ? kWatchWaitNames[i] : "unknown";
}

thread_wait classify_wchan(std::string_view symbol, char state) noexcept {
  while (!symbol.empty() && (symbol.back() == '\n' || symbol.back() == ' '))
    symbol.remove_suffix(1);
  if (state == 'D') return thread_wait::io;  // uninterruptible: disk, page-in, NFS
  if (state != 'S') return thread_wait::other;
  // "0": the thread was woken as wchan was read (or the kernel hides it): not known yet.
  if (symbol.empty() || symbol == "0") return thread_wait::none;
  if (contains(symbol, "futex")) return thread_wait::futex;
  if (contains(symbol, "nanosleep") || contains(symbol, "nsleep")) return thread_wait::sleep;
  if (symbol == "do_wait" || contains(symbol, "kernel_wait") || contains(symbol, "waitid")) {
    return thread_wait::child;
  }
  static constexpr std::array<std::string_view, 16> io_parts = {
      "poll", "select",     "pipe",  "sk_",  "tcp_",   "udp_", "unix_", "inet_",
      "tty",  "wait_woken", "_read", "recv", "accept", "io_",  "sock",  "fifo"};
  for (const auto part : io_parts) {
    if (contains(symbol, part)) return thread_wait::io;
  }
  return thread_wait::other;
}

std::optional<proc_stat> parse_proc_stat(std::string_view text) {
  const auto open = text.find('(');
  const auto close = text.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) {
    return std::nullopt;
  }
  proc_stat s;
  s.comm = std::string(text.substr(open + 1, close - open - 1));
  // Fields after the comm, numbered from 3 (state) as proc(5) numbers them.
  const auto f = fields_of(text.substr(close + 1));
  if (f.size() < 37 || f[0].size() != 1) return std::nullopt;
  const auto field = [&](std::size_t n) { return f[n - 3]; };
  s.state = field(3)[0];
  std::uint64_t cutime = 0, cstime = 0;
  long long ppid = 0;
  if (!number(field(4), ppid) || !number(field(16), cutime) || !number(field(17), cstime) ||
      !number(field(20), s.num_threads) || !number(field(39), s.processor)) {
    return std::nullopt;
  }
  s.ppid = static_cast<pid_t>(ppid);
  s.cutime = cutime + cstime;
  return s;
}

std::optional<proc_schedstat> parse_schedstat(std::string_view text) noexcept {
  std::array<std::string_view, 3> f{};
  std::size_t n = 0, i = 0;
  while (i < text.size() && n < 3) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\n')) ++i;
    const std::size_t from = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '\n') ++i;
    if (i > from) f[n++] = text.substr(from, i - from);
  }
  proc_schedstat s;
  if (n != 3 || !number(f[0], s.on_cpu_ns) || !number(f[1], s.run_delay_ns) ||
      !number(f[2], s.timeslices) || s.on_cpu_ns < 0 || s.run_delay_ns < 0) {
    return std::nullopt;
  }
  return s;
}

void watch_lane::add(event e, std::size_t& room) {
  if (e.end_ns <= e.start_ns) return;
  e.worker = worker_;
  if (!events_.empty()) {
    event& last = events_.back();
    if (last.kind == e.kind && last.wait == e.wait && last.cpu == e.cpu &&
        last.end_ns == e.start_ns) {
      last.end_ns = e.end_ns;  // the same state going on
      return;
    }
  }
  if (room == 0) {
    ++dropped_;
    return;
  }
  --room;
  events_.push_back(e);
}

void watch_lane::look(const thread_look& l, std::size_t& room) {
  if (!looked_) {
    looked_ = true;
    last_ = l;
    return;
  }
  if (l.t_ns <= last_.t_ns) return;
  interval i;
  i.t0 = last_.t_ns;
  i.t1 = l.t_ns;
  i.runnable0 = last_.state == 'R';
  i.runnable1 = l.state == 'R';
  i.wait0 = last_.wait;
  i.wait1 = l.wait;
  i.cpu = l.cpu;
  pending_.push_back(i);
  cpu_owed_ += std::max<std::int64_t>(l.on_cpu_ns - last_.on_cpu_ns, 0);
  delay_owed_ += std::max<std::int64_t>(l.run_delay_ns - last_.run_delay_ns, 0);
  last_ = l;
  credit();
  // Intervals older than the settling time get no more growth: they become events.
  std::size_t settled = 0;
  while (settled < pending_.size() && pending_[settled].t1 + watch_settle_ns <= l.t_ns) {
    settle(pending_[settled], room);
    ++settled;
  }
  pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(settled));
}

void watch_lane::credit() noexcept {
  // The growth belongs to the time since the figure last grew: the newest interval and the few
  // before it (a tick). Three passes, newest first: intervals runnable at both looks, at one,
  // at neither.
  const auto fill = [&](std::int64_t& owed, auto&& room_of, auto&& credit_to) {
    for (int pass = 0; pass < 3 && owed > 0; ++pass) {
      for (auto it = pending_.rbegin(); it != pending_.rend(); ++it) {
        interval& i = *it;
        const int runnable = int{i.runnable0} + int{i.runnable1};
        if (runnable != 2 - pass) continue;
        const std::int64_t take = std::min(owed, room_of(i));
        credit_to(i) += take;
        owed -= take;
        if (owed == 0) break;
      }
    }
  };
  fill(
      cpu_owed_, [](const interval& i) { return i.t1 - i.t0 - i.run - i.delay; },
      [](interval& i) -> std::int64_t& { return i.run; });
  fill(
      delay_owed_, [](const interval& i) { return i.t1 - i.t0 - i.run - i.delay; },
      [](interval& i) -> std::int64_t& { return i.delay; });
}

void watch_lane::settle(const interval& i, std::size_t& room) {
  const std::int64_t run = i.run, delay = i.delay;
  const std::int64_t rest = i.t1 - i.t0 - run - delay;
  const auto wait_event = [&](std::int64_t from, std::int64_t to, thread_wait w) {
    if (w == thread_wait::none) w = thread_wait::other;
    if (w == thread_wait::child) return;  // waiting for a child: the lane is idle
    event e;
    e.kind = event_kind::wait;
    e.wait = wait_kind_of(w);
    e.start_ns = from;
    e.end_ns = to;
    add(e, room);
  };
  event slice;
  slice.kind = event_kind::slice;
  slice.cpu = i.cpu;
  event queued;
  queued.kind = event_kind::ready;
  if (i.runnable0) {
    // Ran first; then lost the CPU while runnable (preempted) or slept, woke and queued (ready).
    slice.start_ns = i.t0;
    slice.end_ns = i.t0 + run;
    add(slice, room);
    queued.kind = rest == 0 ? event_kind::preempted : event_kind::ready;
    queued.start_ns = i.t0 + run;
    queued.end_ns = i.t0 + run + delay;
    add(queued, room);
    wait_event(i.t0 + run + delay, i.t1, i.wait1 != thread_wait::none ? i.wait1 : i.wait0);
  } else {
    // Asleep at the first look: slept, was woken and queued, then ran.
    wait_event(i.t0, i.t0 + rest, i.wait0 != thread_wait::none ? i.wait0 : i.wait1);
    queued.start_ns = i.t0 + rest;
    queued.end_ns = i.t0 + rest + delay;
    add(queued, room);
    slice.start_ns = i.t0 + rest + delay;
    slice.end_ns = i.t1;
    add(slice, room);
  }
}

void watch_lane::flush(std::size_t& room) {
  for (const auto& i : pending_) settle(i, room);
  pending_.clear();
}

}  // namespace parlab
