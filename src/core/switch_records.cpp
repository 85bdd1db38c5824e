#include <parlab/switch_records.hpp>

#include <parlab/clock.hpp>
#include <parlab/timeline.hpp>

#include "core/child_process.hpp"
#include "core/proc_files.hpp"

#include <fmt/format.h>
#include <linux/perf_event.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <map>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <utility>

namespace parlab {

// ---- Counting and refining (pure) -------------------------------------------------------------

switch_counts count_switches(std::span<const on_cpu_interval> intervals, std::int64_t from,
                             std::int64_t to, std::optional<std::int32_t> tid) {
  switch_counts c;
  std::unordered_map<std::int32_t, std::int16_t> last_cpu;
  for (const auto& i : intervals) {
    if (tid && i.tid != *tid) continue;
    if (i.end_ns <= from || i.start_ns >= to) continue;
    ++c.intervals;
    c.on_cpu_ns += std::min(i.end_ns, to) - std::max(i.start_ns, from);
    if (!i.ended_after && i.end_ns < to) {
      if (i.preempted) {
        ++c.preempted;
      } else {
        ++c.voluntary;
      }
    }
    if (!i.started_before && !i.ended_after) {
      const std::int64_t len = i.end_ns - i.start_ns;
      if (c.shortest_ns == 0 || len < c.shortest_ns) c.shortest_ns = len;
    }
    const auto [it, first] = last_cpu.try_emplace(i.tid, i.cpu);
    if (!first) {
      if (it->second != i.cpu) ++c.migrations;
      it->second = i.cpu;
    }
  }
  return c;
}

namespace {

bool running_kind(event_kind k) noexcept {
  return k == event_kind::slice || k == event_kind::preempted;
}

}  // namespace

std::size_t refine_with_switches(timeline& recorded, std::span<const task_thread> threads,
                                 const switch_schedule& schedule) {
  // Each thread's stretches, in start order (the schedule is ordered by start).
  std::unordered_map<std::int32_t, std::vector<const on_cpu_interval*>> by_tid;
  for (const auto& i : schedule.intervals) by_tid[i.tid].push_back(&i);
  // A task whose process the records hold under another number (a rank on another host whose
  // thread id is also one here) is not this host's thread: it keeps its own events.
  std::unordered_map<std::uint32_t, std::int32_t> tid_of;
  for (const auto& t : threads) {
    const auto found = by_tid.find(t.tid);
    if (found != by_tid.end() && found->second.front()->pid == t.pid) tid_of[t.task] = t.tid;
  }

  // The running events of each (task, worker), split into spans of events that touch: what the
  // recorder saw as the task running (or preempted) without waiting in between.
  std::map<std::pair<std::uint32_t, std::uint32_t>, std::vector<event>> running;
  std::vector<event> kept;
  kept.reserve(recorded.events.size());
  for (const auto& e : recorded.events) {
    const auto tid = tid_of.find(e.task);
    if (running_kind(e.kind) && e.task != no_id && tid != tid_of.end()) {
      running[{e.task, e.worker}].push_back(e);
    } else {
      kept.push_back(e);
    }
  }
  std::size_t refined = 0;
  for (auto& [key, events] : running) {
    const auto& mine = by_tid[tid_of[key.first]];
    std::sort(events.begin(), events.end(),
              [](const event& a, const event& b) { return a.start_ns < b.start_ns; });
    const auto add = [&](std::int64_t from, std::int64_t to, event_kind kind, std::int16_t cpu) {
      if (to <= from) return;
      event e{from, to, key.first, key.second, cpu, kind};
      if (kind == event_kind::wait) e.wait = wait_kind::blocking;
      kept.push_back(e);
    };
    // The thread off the CPU between `from` and `to`: taken away, or blocked.
    const auto off = [&](std::int64_t from, std::int64_t to, const on_cpu_interval* before) {
      add(from, to,
          before == nullptr || before->preempted ? event_kind::preempted : event_kind::wait, -1);
    };
    std::size_t k = 0;
    while (k < events.size()) {
      const std::int64_t from = events[k].start_ns;
      std::int64_t to = events[k].end_ns;
      for (++k; k < events.size() && events[k].start_ns <= to; ++k) {
        to = std::max(to, events[k].end_ns);
      }
      // The thread's stretches within [from, to].
      auto it =
          std::lower_bound(mine.begin(), mine.end(), from,
                           [](const on_cpu_interval* i, std::int64_t t) { return i->end_ns <= t; });
      std::int64_t at = from;
      const on_cpu_interval* before = nullptr;
      for (; it != mine.end() && (*it)->start_ns < to; ++it) {
        const auto& i = **it;
        const std::int64_t a = std::max(from, i.start_ns);
        const std::int64_t b = std::min(to, i.end_ns);
        if (a > at) off(at, a, before);
        add(a, b, event_kind::slice, i.cpu);
        at = std::max(at, b);
        before = &i;
      }
      if (at < to) off(at, to, before);
    }
    ++refined;
  }
  std::stable_sort(kept.begin(), kept.end(),
                   [](const event& a, const event& b) { return a.start_ns < b.start_ns; });
  recorded.events = std::move(kept);
  return refined;
}

namespace {

using span_list = std::vector<std::pair<std::int64_t, std::int64_t>>;

/// Sorted, disjoint: adjacent or overlapping spans merged.
span_list merged(span_list spans) {
  std::sort(spans.begin(), spans.end());
  span_list out;
  for (const auto& s : spans) {
    if (s.second <= s.first) continue;
    if (!out.empty() && s.first <= out.back().second) {
      out.back().second = std::max(out.back().second, s.second);
    } else {
      out.push_back(s);
    }
  }
  return out;
}

std::int64_t length(const span_list& spans, std::int64_t from, std::int64_t to) {
  std::int64_t n = 0;
  for (const auto& [a, b] : spans)
    n += std::max<std::int64_t>(0, std::min(b, to) - std::max(a, from));
  return n;
}

/// The parts of [a, b) outside `covered` (sorted, disjoint).
span_list outside(std::int64_t a, std::int64_t b, const span_list& covered) {
  span_list out;
  auto it = std::lower_bound(covered.begin(), covered.end(), a,
                             [](const auto& s, std::int64_t t) { return s.second <= t; });
  std::int64_t at = a;
  for (; it != covered.end() && it->first < b; ++it) {
    if (it->first > at) out.emplace_back(at, it->first);
    at = std::max(at, it->second);
  }
  if (at < b) out.emplace_back(at, b);
  return out;
}

}  // namespace

sampling_error refine_watch_lane(std::vector<event>& lane, std::span<const on_cpu_interval> mine,
                                 std::uint32_t worker, std::int64_t from, std::int64_t to,
                                 std::int64_t short_ns) {
  sampling_error err;
  span_list sampled, exact;
  for (const auto& e : lane) {
    if (e.kind == event_kind::slice) sampled.emplace_back(e.start_ns, e.end_ns);
  }
  std::vector<event> out;
  span_list covered;  // on a CPU, or preempted
  for (std::size_t k = 0; k < mine.size(); ++k) {
    const auto& i = mine[k];
    exact.emplace_back(i.start_ns, i.end_ns);
    out.push_back({i.start_ns, i.end_ns, no_id, worker, i.cpu, event_kind::slice});
    covered.emplace_back(i.start_ns, i.end_ns);
    if (i.preempted && k + 1 < mine.size() && mine[k + 1].start_ns > i.end_ns) {
      out.push_back({i.end_ns, mine[k + 1].start_ns, no_id, worker, -1, event_kind::preempted});
      covered.emplace_back(i.end_ns, mine[k + 1].start_ns);
    }
    if (i.end_ns > from && i.start_ns < to && !i.started_before && !i.ended_after) {
      ++err.stretches;
      if (i.end_ns - i.start_ns < short_ns) ++err.short_stretches;
    }
  }
  covered = merged(std::move(covered));
  for (const auto& e : lane) {
    if (running_kind(e.kind)) continue;
    if (e.start_ns == e.end_ns) {  // an instant
      out.push_back(e);
      continue;
    }
    for (const auto& [a, b] : outside(e.start_ns, e.end_ns, covered)) {
      event piece = e;
      piece.start_ns = a;
      piece.end_ns = b;
      out.push_back(piece);
    }
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const event& a, const event& b) { return a.start_ns < b.start_ns; });
  lane = std::move(out);
  sampled = merged(std::move(sampled));
  exact = merged(std::move(exact));
  err.sampled_running_ns = length(sampled, from, to);
  err.exact_running_ns = length(exact, from, to);
  // |S \ E| + |E \ S| = |S| + |E| - 2 |S n E|.
  std::int64_t both = 0;
  for (const auto& [a, b] : sampled) {
    for (const auto& [c, d] : outside(a, b, exact))
      both -= std::max<std::int64_t>(0, std::min(d, to) - std::max(c, from));
    both += std::max<std::int64_t>(0, std::min(b, to) - std::max(a, from));
  }
  err.misplaced_ns = err.sampled_running_ns + err.exact_running_ns - 2 * both;
  return err;
}

// ---- The collector ----------------------------------------------------------------------------

namespace {

// Messages from the collector: a status, then a reason (refused) or the records (ended).
enum : std::uint32_t { status_ok = 0, status_refused = 1 };

struct message_head {
  std::uint32_t status = status_ok;
  std::uint32_t text_bytes = 0;
};

struct schedule_head {
  std::int64_t start_ns = 0, end_ns = 0;
  std::uint64_t records = 0, lost = 0, buffer_bytes = 0, threads = 0, intervals = 0, names = 0;
};

/// A COMM record: a thread's name from an exec (or a rename) on.
struct thread_name {
  std::int32_t pid = 0, tid = 0;
  char name[16] = {};
};

int perf_event_open(perf_event_attr& attr, pid_t tid, int cpu) noexcept {
  return static_cast<int>(
      ::syscall(SYS_perf_event_open, &attr, tid, cpu, -1, PERF_FLAG_FD_CLOEXEC));
}

perf_event_attr switch_attr(std::size_t buffer_bytes) noexcept {
  perf_event_attr a{};
  a.size = sizeof a;
  a.type = PERF_TYPE_SOFTWARE;
  a.config = PERF_COUNT_SW_DUMMY;
  a.sample_type = PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_CPU;
  a.sample_id_all = 1;
  a.context_switch = 1;
  a.comm = 1;     // a process's new name at exec
  a.task = 1;     // a thread's exit, to the nanosecond (its events go before its last switch)
  a.inherit = 1;  // threads and processes started later get an event of their own
  a.disabled = 1;
  a.exclude_kernel = 1;  // what perf_event_paranoid 2 allows a user; switch records still come
  a.exclude_hv = 1;
  a.use_clockid = 1;
  a.clockid = CLOCK_MONOTONIC;  // parlab's clock: the records line up with its events
  a.watermark = 1;
  a.wakeup_watermark = static_cast<std::uint32_t>(buffer_bytes / 4);
  return a;
}

/// Why the kernel refused, in one line.
std::string refusal_reason(int err) {
  const std::string paranoid = detail::read_proc_line("/proc/sys/kernel/perf_event_paranoid");
  const std::string call = fmt::format("perf_event_open: {}", std::strerror(err));
  if (err == EACCES || err == EPERM) {
    if (!paranoid.empty() && std::atoi(paranoid.c_str()) > 2) {
      return fmt::format(
          "the kernel refused switch records ({}): kernel.perf_event_paranoid is {}; they need 2 "
          "or less, or CAP_PERFMON",
          call, paranoid);
    }
    return fmt::format(
        "the kernel refused switch records ({}; kernel.perf_event_paranoid is {}): a seccomp "
        "filter or a container may forbid perf events",
        call, paranoid.empty() ? "unknown" : paranoid);
  }
  if (err == ENOSYS) return fmt::format("this kernel has no perf events ({})", call);
  if (err == ENOENT || err == EINVAL || err == EOPNOTSUPP) {
    return fmt::format("this kernel offers no context-switch records ({}; Linux 4.3 or later)",
                       call);
  }
  return fmt::format("the kernel refused switch records ({})", call);
}

// Switch records as the kernel writes them with sample_id_all and TID | TIME | CPU.
struct sample_id {
  std::uint32_t pid, tid;
  std::uint64_t time;
  std::uint32_t cpu, reserved;
};

/// One CPU's ring buffer and what its records say so far.
struct cpu_buffer {
  int cpu = -1;
  int fd = -1;  // the event every other event on this CPU writes through
  void* base = nullptr;
  std::size_t mapped = 0;
  std::size_t data_bytes = 0;
  bool open = false;  // a recorded thread is on this CPU
  on_cpu_interval current;
};

class collector {
 public:
  explicit collector(pid_t target)
      : target_(target), page_(static_cast<std::size_t>(::sysconf(_SC_PAGESIZE))) {}
  ~collector() { close_all(); }
  collector(const collector&) = delete;
  collector& operator=(const collector&) = delete;

  /// Opens an event on `tid` for every CPU; 0 or the error.
  int attach(pid_t tid, std::size_t& attached) {
    bool any = false;
    for (auto& b : buffers_) {
      perf_event_attr a = switch_attr(b.data_bytes);
      const int fd = perf_event_open(a, tid, b.cpu);
      if (fd < 0) {
        if (errno == ESRCH) return 0;  // it ended meanwhile
        return errno;
      }
      fds_.push_back(fd);
      if (::ioctl(fd, PERF_EVENT_IOC_SET_OUTPUT, b.fd) != 0) return errno;
      any = true;
    }
    if (any) ++attached;
    return 0;
  }

  /// Maps one buffer per CPU (largest first that the locked-memory limits allow). 0 or the error.
  int map_buffers() {
    const long configured = ::sysconf(_SC_NPROCESSORS_CONF);
    // Root may lock more; a user gets perf_event_mlock_kb (516 KiB) a CPU without touching
    // RLIMIT_MEMLOCK: 128 data pages and the header page.
    const std::size_t most = ::geteuid() == 0 ? 1024 : 128;
    for (int cpu = 0; cpu < configured; ++cpu) {
      int err = 0;
      for (std::size_t pages = most; pages >= 8; pages /= 2) {
        perf_event_attr a = switch_attr(pages * page_);
        const int fd = perf_event_open(a, target_, cpu);
        if (fd < 0) {
          err = errno;
          break;
        }
        const std::size_t bytes = (pages + 1) * page_;
        void* base = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (base == MAP_FAILED) {
          err = errno;
          ::close(fd);
          continue;
        }
        cpu_buffer b;
        b.cpu = cpu;
        b.fd = fd;
        b.base = base;
        b.mapped = bytes;
        b.data_bytes = pages * page_;
        buffers_.push_back(b);
        fds_.push_back(fd);
        err = 0;
        break;
      }
      if (err == ENODEV || err == EINVAL) continue;  // an offline CPU
      if (err != 0) return err;
    }
    return buffers_.empty() ? ENODEV : 0;
  }

  /// Opens, maps and enables; 0 or the error.
  int begin(std::size_t& threads) {
    if (const int err = map_buffers(); err != 0) return err;
    threads = 1;  // the target's main thread, through the buffers' own events
    // Every other thread now alive; twice, for one started meanwhile by a thread not yet attached.
    std::vector<long> done{target_};
    for (int pass = 0; pass < 2; ++pass) {
      for (const long tid : detail::proc_numbered_entries(fmt::format("/proc/{}/task", target_))) {
        if (std::find(done.begin(), done.end(), tid) != done.end()) continue;
        done.push_back(tid);
        if (const int err = attach(static_cast<pid_t>(tid), threads); err != 0) return err;
      }
    }
    start_ns_ = monotonic_ns();
    for (const int fd : fds_) (void)::ioctl(fd, PERF_EVENT_IOC_ENABLE, 0);
    return 0;
  }

  /// Reads what the kernel wrote into `b` since the last drain.
  void drain(cpu_buffer& b) {
    auto* meta = static_cast<perf_event_mmap_page*>(b.base);
    const char* data = static_cast<const char*>(b.base) + page_;
    const std::uint64_t head = __atomic_load_n(&meta->data_head, __ATOMIC_ACQUIRE);
    std::uint64_t tail = meta->data_tail;
    alignas(8) char record[256];
    while (tail < head) {
      const std::size_t at = tail % b.data_bytes;
      perf_event_header h{};
      copy_out(data, b.data_bytes, at, &h, sizeof h);
      if (h.size < sizeof h) break;  // never: the kernel writes whole records
      const std::size_t size = std::min<std::size_t>(h.size, sizeof record);
      copy_out(data, b.data_bytes, at, record, size);
      handle(b, h, record, size);
      tail += h.size;
    }
    __atomic_store_n(&meta->data_tail, tail, __ATOMIC_RELEASE);
  }

  void drain_all() {
    for (auto& b : buffers_) drain(b);
  }

  /// Disables, drains and closes; what was recorded.
  std::pair<schedule_head, std::vector<on_cpu_interval>> end() {
    for (const int fd : fds_) (void)::ioctl(fd, PERF_EVENT_IOC_DISABLE, 0);
    const std::int64_t end_ns = monotonic_ns();
    drain_all();
    for (auto& b : buffers_) {
      if (!b.open) continue;
      b.current.end_ns = std::max(end_ns, b.current.start_ns);
      b.current.ended_after = true;
      intervals_.push_back(b.current);
      b.open = false;
    }
    std::sort(
        intervals_.begin(), intervals_.end(),
        [](const on_cpu_interval& a, const on_cpu_interval& b) { return a.start_ns < b.start_ns; });
    schedule_head h;
    h.start_ns = start_ns_;
    h.end_ns = end_ns;
    h.records = records_;
    h.lost = lost_;
    h.buffer_bytes = buffers_.empty() ? 0 : buffers_.front().data_bytes;
    h.intervals = intervals_.size();
    h.names = names_.size();
    auto out = std::make_pair(h, std::move(intervals_));
    close_all();
    return out;
  }
  [[nodiscard]] const std::vector<thread_name>& names() const noexcept { return names_; }

  std::vector<cpu_buffer>& buffers() noexcept { return buffers_; }

 private:
  static void copy_out(const char* data, std::size_t size, std::size_t at, void* out,
                       std::size_t n) noexcept {
    const std::size_t first = std::min(n, size - at);
    std::memcpy(out, data + at, first);
    if (first < n) std::memcpy(static_cast<char*>(out) + first, data, n - first);
  }

  void handle(cpu_buffer& b, const perf_event_header& h, const char* record, std::size_t size) {
    if (h.type == PERF_RECORD_LOST) {
      std::uint64_t lost = 0;
      if (size >= sizeof h + 16) std::memcpy(&lost, record + sizeof h + 8, sizeof lost);
      lost_ += lost;
      b.open = false;  // what this CPU ran meanwhile is unknown
      return;
    }
    if (h.type == PERF_RECORD_EXIT && size >= sizeof h + 24) {
      std::uint32_t ids[4];  // pid, ppid, tid, ptid
      std::uint64_t time = 0;
      std::memcpy(ids, record + sizeof h, sizeof ids);
      std::memcpy(&time, record + sizeof h + sizeof ids, sizeof time);
      if (b.open && b.current.tid == static_cast<std::int32_t>(ids[2])) {
        b.current.end_ns = std::max(static_cast<std::int64_t>(time), b.current.start_ns);
        intervals_.push_back(b.current);
        b.open = false;
      }
      return;
    }
    if (h.type == PERF_RECORD_COMM && size >= sizeof h + 8 + sizeof(sample_id)) {
      thread_name n;
      std::memcpy(&n.pid, record + sizeof h, 4);
      std::memcpy(&n.tid, record + sizeof h + 4, 4);
      const char* text = record + sizeof h + 8;
      const std::size_t room = size - sizeof h - 8 - sizeof(sample_id);
      std::memcpy(n.name, text, std::min(room, sizeof n.name - 1));
      names_.push_back(n);
      return;
    }
    if (h.type != PERF_RECORD_SWITCH || size < sizeof h + sizeof(sample_id)) return;
    sample_id id{};
    std::memcpy(&id, record + size - sizeof id, sizeof id);
    ++records_;
    const auto t = static_cast<std::int64_t>(id.time);
    const auto tid = static_cast<std::int32_t>(id.tid);
    if ((h.misc & PERF_RECORD_MISC_SWITCH_OUT) != 0) {
      on_cpu_interval i;
      if (b.open && b.current.tid == tid) {
        i = b.current;
      } else {  // on the CPU since before the records began (or since lost records)
        i.start_ns = std::min(start_ns_, t);
        i.pid = static_cast<std::int32_t>(id.pid);
        i.tid = tid;
        i.cpu = static_cast<std::int16_t>(id.cpu);
        i.started_before = true;
      }
      i.end_ns = t;
      i.preempted = (h.misc & PERF_RECORD_MISC_SWITCH_OUT_PREEMPT) != 0;
      intervals_.push_back(i);
      b.open = false;
    } else {
      // The thread on this CPU left it without a switch-out: it ended (a task's events are torn
      // down as it exits, before its last switch), or the record was lost.
      if (b.open) {
        b.current.end_ns = std::max(t, b.current.start_ns);
        intervals_.push_back(b.current);
      }
      b.current = on_cpu_interval{};
      b.current.start_ns = t;
      b.current.pid = static_cast<std::int32_t>(id.pid);
      b.current.tid = tid;
      b.current.cpu = static_cast<std::int16_t>(id.cpu);
      b.open = true;
    }
  }

  void close_all() noexcept {
    for (auto& b : buffers_) {
      if (b.base != nullptr) ::munmap(b.base, b.mapped);
    }
    buffers_.clear();
    for (const int fd : fds_) ::close(fd);
    fds_.clear();
  }

  pid_t target_;
  std::size_t page_;
  std::vector<thread_name> names_;
  std::vector<cpu_buffer> buffers_;
  std::vector<int> fds_;
  std::vector<on_cpu_interval> intervals_;
  std::int64_t start_ns_ = 0;
  std::uint64_t records_ = 0, lost_ = 0;
};

bool send_message(int fd, std::uint32_t status, std::string_view text) {
  const message_head h{status, static_cast<std::uint32_t>(text.size())};
  return detail::write_all(fd, reinterpret_cast<const char*>(&h), sizeof h) &&
         detail::write_all(fd, text.data(), text.size());
}

/// The collector process: waits for 'b' (begin) and 'e' (end) on `commands`, answers on
/// `reports`, drains the buffers while recording. Ends at end of file on `commands`.
int run_collector(pid_t target, int commands, int reports) {
  // Ctrl-C reaches the whole foreground group: the collector ends when parlab says so.
  (void)::signal(SIGINT, SIG_IGN);
  (void)::signal(SIGHUP, SIG_IGN);
  {  // Whether the kernel allows it at all: one event on the target, opened and closed.
    perf_event_attr a = switch_attr(8 * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE)));
    const int fd = perf_event_open(a, target, -1);
    if (fd < 0) return send_message(reports, status_refused, refusal_reason(errno)) ? 0 : 1;
    ::close(fd);
    if (!send_message(reports, status_ok, {})) return 1;
  }
  char command = 0;
  while (::read(commands, &command, 1) == 1) {
    if (command != 'b') continue;
    std::int64_t pid = 0;  // the process to record; 0: parlab
    if (!detail::read_exactly(commands, &pid, sizeof pid)) return 0;
    collector c(pid > 0 ? static_cast<pid_t>(pid) : target);
    std::size_t threads = 0;
    if (const int err = c.begin(threads); err != 0) {
      if (!send_message(reports, status_refused, refusal_reason(err))) return 1;
      continue;
    }
    if (!send_message(reports, status_ok, {})) return 1;
    // Drain while the run goes on: on a buffer's watermark, and every 50 ms.
    std::vector<pollfd> fds;
    fds.push_back({commands, POLLIN, 0});
    for (const auto& b : c.buffers()) fds.push_back({b.fd, POLLIN, 0});
    bool ending = false;
    while (!ending) {
      const int n = ::poll(fds.data(), fds.size(), 50);
      if (n < 0 && errno != EINTR) return 1;
      if (n <= 0) {
        c.drain_all();
        continue;
      }
      if (fds[0].revents != 0) {
        char next = 0;
        if (::read(commands, &next, 1) != 1) return 0;  // parlab is gone
        ending = next == 'e';
      }
      for (std::size_t i = 1; i < fds.size(); ++i) {
        if (fds[i].revents == 0) continue;
        c.drain(c.buffers()[i - 1]);
        // The thread of this buffer's own event ended: its descriptor stays readable for ever.
        if ((fds[i].revents & (POLLHUP | POLLERR)) != 0) fds[i].fd = -1;
      }
    }
    auto [head, intervals] = c.end();
    head.threads = threads;
    if (!send_message(reports, status_ok, {}) ||
        !detail::write_all(reports, reinterpret_cast<const char*>(&head), sizeof head) ||
        !detail::write_all(reports, reinterpret_cast<const char*>(intervals.data()),
                           intervals.size() * sizeof(on_cpu_interval)) ||
        !detail::write_all(reports, reinterpret_cast<const char*>(c.names().data()),
                           c.names().size() * sizeof(thread_name))) {
      return 1;
    }
  }
  return 0;
}

}  // namespace

struct switch_recorder::state {
  detail::child_process child;
  std::string refusal;
  bool recording = false;

  /// The collector's answer: its status, and the reason when it refused.
  bool answer() {
    message_head h;
    if (!detail::read_exactly(child.reports_fd(), &h, sizeof h)) {
      refusal = "the switch-record collector ended unexpectedly";
      return false;
    }
    std::string text(h.text_bytes, '\0');
    if (h.text_bytes > 0 && !detail::read_exactly(child.reports_fd(), text.data(), text.size())) {
      refusal = "the switch-record collector ended unexpectedly";
      return false;
    }
    if (h.status != status_ok) {
      refusal = std::move(text);
      return false;
    }
    return true;
  }
};

switch_recorder::switch_recorder() : s_(std::make_unique<state>()) {
  const pid_t target = ::getpid();
  s_->child =
      detail::child_process("the switch-record collector", {.reports = true, .commands = true},
                            [target](const detail::child_process::ends& e) {
                              return run_collector(target, e.commands, e.reports);
                            });
  (void)s_->answer();
}

switch_recorder::~switch_recorder() {
  if (s_ && s_->child.started()) {
    s_->child.close_commands();  // end of file: the collector exits
    (void)s_->child.stop(std::chrono::milliseconds(500));
  }
}

const std::string& switch_recorder::refusal() const noexcept { return s_->refusal; }

bool switch_recorder::begin(std::int64_t pid) {
  if (!available()) return false;
  if (s_->recording) (void)end();
  std::string command = "b";
  command.append(reinterpret_cast<const char*>(&pid), sizeof pid);
  if (!detail::send_all(s_->child.commands_fd(), command)) {
    s_->refusal = "the switch-record collector ended unexpectedly";
    return false;
  }
  s_->recording = s_->answer();
  return s_->recording;
}

switch_schedule switch_recorder::end() {
  switch_schedule out;
  if (!s_->recording) return out;
  s_->recording = false;
  if (!detail::send_all(s_->child.commands_fd(), "e") || !s_->answer()) return out;
  schedule_head h;
  if (!detail::read_exactly(s_->child.reports_fd(), &h, sizeof h)) {
    s_->refusal = "the switch-record collector ended unexpectedly";
    return out;
  }
  out.intervals.resize(h.intervals);
  if (!detail::read_exactly(s_->child.reports_fd(), out.intervals.data(),
                            out.intervals.size() * sizeof(on_cpu_interval))) {
    s_->refusal = "the switch-record collector ended unexpectedly";
    out.intervals.clear();
    return out;
  }
  std::vector<thread_name> names(h.names);
  if (!detail::read_exactly(s_->child.reports_fd(), names.data(),
                            names.size() * sizeof(thread_name))) {
    s_->refusal = "the switch-record collector ended unexpectedly";
    out.intervals.clear();
    return out;
  }
  for (const auto& n : names) out.names.push_back({n.pid, n.tid, std::string(n.name)});
  out.start_ns = h.start_ns;
  out.end_ns = h.end_ns;
  out.records = h.records;
  out.lost = h.lost;
  out.buffer_bytes = h.buffer_bytes;
  out.threads = h.threads;
  return out;
}

}  // namespace parlab
