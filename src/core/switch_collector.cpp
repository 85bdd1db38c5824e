// The collector of the kernel's switch records (`--exact`): a process forked while parlab has one
// thread, which opens the perf events, drains their ring buffers while a run goes on and hands
// back every stretch each recorded thread ran (docs/exact.md).
//
// The switch records: one event per thread of the target per CPU (any user while
// perf_event_paranoid <= 2), inherited by everything they start, all of one CPU writing into that
// CPU's buffer. Where the kernel allows more (root, CAP_PERFMON), the sched_waking tracepoint on
// every CPU writes into the same buffers: who woke whom.

#include <parlab/switch_records.hpp>

#include <parlab/clock.hpp>

#include "core/child_process.hpp"
#include "core/proc_files.hpp"
#include "core/switch_events.hpp"

#include <fmt/format.h>
#include <linux/perf_event.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <memory>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>

namespace parlab {

int detail::open_perf_event(perf_event_attr& attr, pid_t tid, int cpu) noexcept {
  return static_cast<int>(
      ::syscall(SYS_perf_event_open, &attr, tid, cpu, -1, PERF_FLAG_FD_CLOEXEC));
}

perf_event_attr detail::switch_event_attr(std::size_t buffer_bytes) noexcept {
  perf_event_attr a{};
  a.size = sizeof a;
  a.type = PERF_TYPE_SOFTWARE;
  a.config = PERF_COUNT_SW_DUMMY;
  a.sample_type = PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_CPU;
  a.sample_id_all = 1;
  a.context_switch = 1;
  a.comm = 1;     // a process's new name at exec
  a.task = 1;     // forks, and a thread's exit to the nanosecond (before its last switch)
  a.inherit = 1;  // what the recorded threads start gets an event of its own
  a.disabled = 1;
  a.exclude_kernel = 1;  // what perf_event_paranoid 2 allows a user; switch records still come
  a.exclude_hv = 1;
  a.use_clockid = 1;
  a.clockid = CLOCK_MONOTONIC;  // parlab's clock: the records line up with its events
  a.watermark = 1;
  a.wakeup_watermark = static_cast<std::uint32_t>(buffer_bytes / 4);
  return a;
}

namespace {

// Messages from the collector: a status, then a reason (refused) or the records (ended).
enum : std::uint32_t { status_ok = 0, status_refused = 1 };

struct message_head {
  std::uint32_t status = status_ok;
  std::uint32_t text_bytes = 0;
};

struct schedule_head {
  std::int64_t start_ns = 0, end_ns = 0;
  std::uint64_t records = 0, lost = 0, buffer_bytes = 0, threads = 0;
  std::uint64_t intervals = 0, names = 0, wakeups = 0, starts = 0;
  std::uint64_t wakers = 0;
  std::int64_t root = 0;
};

/// A COMM record: a thread's name from an exec (or a rename) on.
struct thread_name {
  std::int32_t pid = 0, tid = 0;
  char name[16] = {};
};

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
  if (err == ESRCH) return fmt::format("the process to record is gone ({})", call);
  if (err == ENOSYS) return fmt::format("this kernel has no perf events ({})", call);
  if (err == ENOENT || err == EINVAL || err == EOPNOTSUPP) {
    return fmt::format("this kernel offers no context-switch records ({}; Linux 4.3 or later)",
                       call);
  }
  return fmt::format("the kernel refused switch records ({})", call);
}

/// Where the sched_waking tracepoint's id is and where its wakee's pid sits in a raw sample.
struct waking_tracepoint {
  std::uint64_t id = 0;
  std::size_t pid_offset = 0;
  std::size_t flags_offset = 2;  // common_flags: a wake-up from an interrupt says so
};

/// The offset of `field` ("field:pid_t pid;") in a tracepoint's format, or nullopt.
std::optional<std::size_t> field_offset(const std::string& format, std::string_view field) {
  const auto at = format.find(field);
  if (at == std::string::npos) return std::nullopt;
  const auto off = format.find("offset:", at);
  if (off == std::string::npos) return std::nullopt;
  std::size_t value = 0;
  const char* first = format.data() + off + 7;
  if (std::from_chars(first, format.data() + format.size(), value).ec != std::errc{}) {
    return std::nullopt;
  }
  return value;
}

// trace_entry's flags (include/linux/trace_events.h): the event fired in an interrupt handler,
// where the task on the CPU is not the one that woke anybody.
constexpr std::uint8_t kTraceFlagHardirq = 0x08, kTraceFlagSoftirq = 0x10, kTraceFlagNmi = 0x40;

/// The tracepoint, from tracefs (mounted at /sys/kernel/tracing by root when it is not: perf
/// does the same); nullopt when there is none to read.
std::optional<waking_tracepoint> find_waking_tracepoint() {
  const auto read = [](const std::string& dir) -> std::optional<waking_tracepoint> {
    const std::string id = detail::read_proc_line(dir + "/events/sched/sched_waking/id");
    const auto format = detail::read_proc(dir + "/events/sched/sched_waking/format");
    if (id.empty() || !format) return std::nullopt;
    waking_tracepoint t;
    if (std::from_chars(id.data(), id.data() + id.size(), t.id).ec != std::errc{}) {
      return std::nullopt;
    }
    // "\tfield:pid_t pid;\toffset:24;\tsize:4;\tsigned:1;"
    const auto pid = field_offset(*format, "field:pid_t pid;");
    if (!pid) return std::nullopt;
    t.pid_offset = *pid;
    t.flags_offset = field_offset(*format, "field:unsigned char common_flags;").value_or(2);
    return t;
  };
  for (const char* dir : {"/sys/kernel/tracing", "/sys/kernel/debug/tracing"}) {
    if (auto t = read(dir)) return t;
  }
  if (::geteuid() == 0 && ::mount("nodev", "/sys/kernel/tracing", "tracefs", 0, nullptr) == 0) {
    return read("/sys/kernel/tracing");
  }
  return std::nullopt;
}

// What sample_id_all appends to every record with TID | TIME | CPU.
struct sample_id {
  std::uint32_t pid, tid;
  std::uint64_t time;
  std::uint32_t cpu, reserved;
};

/// A record, as compact as the collector keeps it until the end.
struct raw_record {
  enum kind_t : std::uint8_t { in, out, out_preempted, fork, exit, waking, lost };
  std::int64_t time = 0;
  std::int32_t pid = 0, tid = 0;              // the task it is about (waking: the waker)
  std::int32_t other_pid = 0, other_tid = 0;  // fork: the parent; waking: the wakee (tid)
  std::int16_t cpu = 0;
  kind_t kind = in;
};

/// One CPU's ring buffer.
struct cpu_buffer {
  int cpu = -1;
  int fd = -1;  // the event every other event on this CPU writes through
  void* base = nullptr;
  std::size_t mapped = 0;
  std::size_t data_bytes = 0;
};

class collector {
 public:
  collector(pid_t target, pid_t self, bool per_thread_only)
      : target_(target),
        self_(self),
        page_(static_cast<std::size_t>(::sysconf(_SC_PAGESIZE))),
        per_thread_only_(per_thread_only) {}
  ~collector() { close_all(); }
  collector(const collector&) = delete;
  collector& operator=(const collector&) = delete;

  /// Opens, maps and enables; 0 or the error.
  int begin() {
    if (const int err = begin_per_thread(); err != 0) return err;
    if (!per_thread_only_) add_wakers();
    start_ns_ = monotonic_ns();
    for (const int fd : fds_) (void)::ioctl(fd, PERF_EVENT_IOC_ENABLE, 0);
    return 0;
  }

  /// Copies what the kernel wrote into `b` since the last drain, as it is: the records are read
  /// after the run (parse()), so a drain costs the run a copy, not the collector's reading of
  /// every record on a core the run may want (measured: 1.26x to 1.14x on the token ring).
  void drain(cpu_buffer& b) {
    auto* meta = static_cast<perf_event_mmap_page*>(b.base);
    const char* data = static_cast<const char*>(b.base) + page_;
    const std::uint64_t head = __atomic_load_n(&meta->data_head, __ATOMIC_ACQUIRE);
    const std::uint64_t tail = meta->data_tail;
    if (head > tail) {
      // The kernel moves data_head past whole records only: a copy holds whole records.
      const auto n = static_cast<std::size_t>(head - tail);
      copied_.push_back({b.cpu, std::make_unique_for_overwrite<char[]>(n), n});
      copy_out(data, b.data_bytes, tail % b.data_bytes, copied_.back().bytes.get(), n);
    }
    __atomic_store_n(&meta->data_tail, head, __ATOMIC_RELEASE);
  }

  /// Reads every record copied out, in the order each CPU's were written, freeing each copy once
  /// read (the bytes and the records made of them are never both held whole).
  void parse() {
    for (auto& c : copied_) {
      std::size_t at = 0;
      while (at + sizeof(perf_event_header) <= c.size) {
        perf_event_header h{};
        std::memcpy(&h, c.bytes.get() + at, sizeof h);
        if (h.size < sizeof h || at + h.size > c.size) break;  // never: whole records
        alignas(8) char record[512];
        const std::size_t size = std::min<std::size_t>(h.size, sizeof record);
        std::memcpy(record, c.bytes.get() + at, size);
        handle(c.cpu, h, record, size);
        at += h.size;
      }
      c.bytes.reset();
    }
    copied_.clear();
  }

  void drain_all() {
    for (auto& b : buffers_) drain(b);
  }

  /// Disables, drains, closes and makes the stretches.
  schedule_head end(std::vector<on_cpu_interval>& intervals, std::vector<thread_name>& names,
                    std::vector<wakeup>& wakeups, std::vector<thread_start>& starts) {
    for (const int fd : fds_) (void)::ioctl(fd, PERF_EVENT_IOC_DISABLE, 0);
    const std::int64_t end_ns = monotonic_ns();
    drain_all();
    schedule_head h;
    h.start_ns = start_ns_;
    h.end_ns = end_ns;
    h.buffer_bytes = buffers_.empty() ? 0 : buffers_.front().data_bytes;
    h.threads = threads_;
    h.root = target_;
    h.wakers = wakers_ ? 1 : 0;
    close_all();
    parse();
    make_stretches(end_ns, intervals, names, wakeups, starts);
    h.records = records_;
    h.lost = lost_;
    h.intervals = intervals.size();
    h.names = names.size();
    h.wakeups = wakeups.size();
    h.starts = starts.size();
    return h;
  }

  std::vector<cpu_buffer>& buffers() noexcept { return buffers_; }

 private:
  /// Maps one buffer for `cpu` through `fd`; false when the locked-memory limits refuse.
  bool map(int fd, int cpu, std::size_t pages) {
    const std::size_t bytes = (pages + 1) * page_;
    void* base = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (base == MAP_FAILED) return false;
    buffers_.push_back({cpu, fd, base, bytes, pages * page_});
    return true;
  }

  static long configured_cpus() { return ::sysconf(_SC_NPROCESSORS_CONF); }

  /// The sched_waking tracepoint on every CPU, into that CPU's buffer: who woke whom. Allowed to
  /// root and CAP_PERFMON (perf_event_paranoid -1 otherwise); all CPUs or none.
  void add_wakers() {
    const auto tracepoint = find_waking_tracepoint();
    if (!tracepoint) return;
    std::vector<int> opened;
    for (const auto& b : buffers_) {
      perf_event_attr t{};
      t.size = sizeof t;
      t.type = PERF_TYPE_TRACEPOINT;
      t.config = tracepoint->id;
      t.sample_period = 1;
      t.sample_type = PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_CPU | PERF_SAMPLE_RAW;
      t.sample_id_all = 1;
      t.disabled = 1;
      t.use_clockid = 1;
      t.clockid = CLOCK_MONOTONIC;
      const int fd = detail::open_perf_event(t, -1, b.cpu);
      if (fd >= 0) opened.push_back(fd);
      if (fd < 0 || ::ioctl(fd, PERF_EVENT_IOC_SET_OUTPUT, b.fd) != 0) {
        for (const int f : opened) ::close(f);
        return;
      }
    }
    fds_.insert(fds_.end(), opened.begin(), opened.end());
    wakers_ = true;
    waking_pid_offset_ = tracepoint->pid_offset;
    waking_flags_offset_ = tracepoint->flags_offset;
  }

  /// One event per thread of the target per CPU, inherited; 0 or the error.
  int begin_per_thread() {
    // Root may lock more; a user gets perf_event_mlock_kb (516 KiB) a CPU without touching
    // RLIMIT_MEMLOCK: 128 data pages and the header page.
    const std::size_t most = ::geteuid() == 0 ? 1024 : 128;
    for (int cpu = 0; cpu < configured_cpus(); ++cpu) {
      int err = 0;
      for (std::size_t pages = most; pages >= 8; pages /= 2) {
        perf_event_attr a = detail::switch_event_attr(pages * page_);
        const int fd = detail::open_perf_event(a, target_, cpu);
        if (fd < 0) {
          err = errno;
          break;
        }
        if (!map(fd, cpu, pages)) {
          err = errno;
          ::close(fd);
          continue;
        }
        fds_.push_back(fd);
        err = 0;
        break;
      }
      if (err == ENODEV || err == EINVAL) continue;  // an offline CPU
      if (err != 0) return err;
    }
    if (buffers_.empty()) return ENODEV;
    threads_ = 1;  // the target's main thread, through the buffers' own events
    // Every other thread now alive; twice, for one started meanwhile by a thread not yet attached.
    std::vector<long> done{target_};
    for (int pass = 0; pass < 2; ++pass) {
      for (const long tid : detail::proc_numbered_entries(fmt::format("/proc/{}/task", target_))) {
        if (std::find(done.begin(), done.end(), tid) != done.end()) continue;
        done.push_back(tid);
        bool any = false;
        for (auto& b : buffers_) {
          perf_event_attr a = detail::switch_event_attr(b.data_bytes);
          const int fd = detail::open_perf_event(a, static_cast<pid_t>(tid), b.cpu);
          if (fd < 0) {
            if (errno == ESRCH) break;  // it ended meanwhile
            return errno;
          }
          fds_.push_back(fd);
          if (::ioctl(fd, PERF_EVENT_IOC_SET_OUTPUT, b.fd) != 0) return errno;
          any = true;
        }
        if (any) ++threads_;
      }
    }
    return 0;
  }

  static void copy_out(const char* data, std::size_t size, std::size_t at, void* out,
                       std::size_t n) noexcept {
    const std::size_t first = std::min(n, size - at);
    std::memcpy(out, data + at, first);
    if (first < n) std::memcpy(static_cast<char*>(out) + first, data, n - first);
  }

  void handle(int cpu, const perf_event_header& h, const char* record, std::size_t size) {
    raw_record r;
    r.cpu = static_cast<std::int16_t>(cpu);
    switch (h.type) {
      case PERF_RECORD_LOST: {
        std::uint64_t lost = 0;
        if (size >= sizeof h + 16) std::memcpy(&lost, record + sizeof h + 8, sizeof lost);
        lost_ += lost;
        if (size >= sizeof h + 16 + sizeof(sample_id)) {
          sample_id id{};
          std::memcpy(&id, record + size - sizeof id, sizeof id);
          r.time = static_cast<std::int64_t>(id.time);
        }
        r.kind = raw_record::lost;  // what this CPU ran meanwhile is unknown
        raw_.push_back(r);
        return;
      }
      case PERF_RECORD_FORK:
      case PERF_RECORD_EXIT: {
        if (size < sizeof h + 24) return;
        std::uint32_t ids[4];  // pid, ppid, tid, ptid
        std::uint64_t time = 0;
        std::memcpy(ids, record + sizeof h, sizeof ids);
        std::memcpy(&time, record + sizeof h + sizeof ids, sizeof time);
        r.time = static_cast<std::int64_t>(time);
        r.pid = static_cast<std::int32_t>(ids[0]);
        r.tid = static_cast<std::int32_t>(ids[2]);
        r.other_pid = static_cast<std::int32_t>(ids[1]);
        r.other_tid = static_cast<std::int32_t>(ids[3]);
        r.kind = h.type == PERF_RECORD_FORK ? raw_record::fork : raw_record::exit;
        raw_.push_back(r);
        return;
      }
      case PERF_RECORD_COMM: {
        if (size < sizeof h + 8 + sizeof(sample_id)) return;
        thread_name n;
        std::memcpy(&n.pid, record + sizeof h, 4);
        std::memcpy(&n.tid, record + sizeof h + 4, 4);
        const std::size_t room = size - sizeof h - 8 - sizeof(sample_id);
        std::memcpy(n.name, record + sizeof h + 8, std::min(room, sizeof n.name - 1));
        names_.push_back(n);
        return;
      }
      case PERF_RECORD_SAMPLE: {  // sched_waking: pid, tid, time, cpu, raw size, raw
        if (size < sizeof h + sizeof(sample_id) + 4) return;
        sample_id id{};
        std::memcpy(&id, record + sizeof h, sizeof id);
        std::uint32_t raw_size = 0;
        std::memcpy(&raw_size, record + sizeof h + sizeof id, 4);
        const std::size_t raw_at = sizeof h + sizeof id + 4;
        if (waking_pid_offset_ + 4 > raw_size || raw_at + raw_size > size) return;
        std::int32_t wakee = 0;
        std::memcpy(&wakee, record + raw_at + waking_pid_offset_, 4);
        std::uint8_t flags = 0;
        if (waking_flags_offset_ < raw_size)
          flags = static_cast<std::uint8_t>(record[raw_at + waking_flags_offset_]);
        r.time = static_cast<std::int64_t>(id.time);
        // In an interrupt (a timer, a disk, the network) the task on the CPU woke nobody.
        const bool interrupt =
            (flags & (kTraceFlagHardirq | kTraceFlagSoftirq | kTraceFlagNmi)) != 0;
        r.pid = interrupt ? 0 : static_cast<std::int32_t>(id.pid);
        r.tid = interrupt ? 0 : static_cast<std::int32_t>(id.tid);
        r.other_tid = wakee;
        r.kind = raw_record::waking;
        raw_.push_back(r);
        return;
      }
      case PERF_RECORD_SWITCH: {
        if (size < sizeof h + sizeof(sample_id)) return;
        sample_id id{};
        std::memcpy(&id, record + size - sizeof id, sizeof id);
        ++records_;
        r.time = static_cast<std::int64_t>(id.time);
        r.pid = static_cast<std::int32_t>(id.pid);
        r.tid = static_cast<std::int32_t>(id.tid);
        if ((h.misc & PERF_RECORD_MISC_SWITCH_OUT) == 0) {
          r.kind = raw_record::in;
        } else {
          r.kind = (h.misc & PERF_RECORD_MISC_SWITCH_OUT_PREEMPT) != 0 ? raw_record::out_preempted
                                                                       : raw_record::out;
        }
        raw_.push_back(r);
        return;
      }
      default:
        return;
    }
  }

  /// The records in time order made into the recorded tree's stretches, names, wake-ups, starts.
  void make_stretches(std::int64_t end_ns, std::vector<on_cpu_interval>& intervals,
                      std::vector<thread_name>& names, std::vector<wakeup>& wakeups,
                      std::vector<thread_start>& starts) {
    std::stable_sort(raw_.begin(), raw_.end(),
                     [](const raw_record& a, const raw_record& b) { return a.time < b.time; });
    // Everything the events saw is the recorded tree's (they are inherited), but the wake-ups,
    // which are every task's: those of a thread the records know.
    const auto in_tree = [&](std::int32_t pid) { return pid != self_ && pid != 0; };
    std::unordered_map<std::int32_t, std::int32_t> pid_of;  // tid -> its process
    struct open_stretch {
      bool open = false;
      on_cpu_interval current;
    };
    std::unordered_map<std::int16_t, open_stretch> on;  // by CPU
    std::unordered_set<std::int32_t> exited;            // threads whose exit was recorded
    const auto close = [&](open_stretch& o, std::int64_t t) {
      o.current.end_ns = std::max(t, o.current.start_ns);
      if (exited.contains(o.current.tid)) o.current.exited = true;
      intervals.push_back(o.current);
      o.open = false;
    };
    for (const auto& r : raw_) {
      if (r.kind != raw_record::waking && r.kind != raw_record::lost) pid_of[r.tid] = r.pid;
      open_stretch& o = on[r.cpu];
      switch (r.kind) {
        case raw_record::lost:
          o.open = false;
          break;
        case raw_record::fork:
          if (in_tree(r.pid)) {
            starts.push_back({r.time, r.other_pid, r.other_tid, r.pid, r.tid});
          }
          break;
        case raw_record::exit:
          // Its events go as it exits, before its last switch-out: it ends here.
          exited.insert(r.tid);
          if (o.open && o.current.tid == r.tid) close(o, r.time);
          break;
        case raw_record::in:
          // The thread on this CPU left it without a switch-out: it ended (a task's events are
          // torn down as it exits) or the record was lost.
          if (o.open) {
            o.current.exited = true;
            close(o, r.time);
          }
          if (in_tree(r.pid)) {
            o.current = on_cpu_interval{};
            o.current.start_ns = r.time;
            o.current.pid = r.pid;
            o.current.tid = r.tid;
            o.current.cpu = r.cpu;
            o.open = true;
          }
          break;
        case raw_record::out:
        case raw_record::out_preempted:
          if (!in_tree(r.pid)) break;
          if (!(o.open && o.current.tid == r.tid)) {  // on the CPU since before the records
            o.current = on_cpu_interval{};
            o.current.start_ns = std::min(start_ns_, r.time);
            o.current.pid = r.pid;
            o.current.tid = r.tid;
            o.current.cpu = r.cpu;
            o.current.started_before = true;
          }
          o.current.preempted = r.kind == raw_record::out_preempted;
          close(o, r.time);
          break;
        case raw_record::waking:
          break;
      }
    }
    for (auto& [cpu, o] : on) {
      if (!o.open) continue;
      o.current.ended_after = true;
      close(o, end_ns);
    }
    std::sort(
        intervals.begin(), intervals.end(),
        [](const on_cpu_interval& a, const on_cpu_interval& b) { return a.start_ns < b.start_ns; });
    // Wake-ups of the tree's threads, now that every thread's process is known.
    for (const auto& r : raw_) {
      if (r.kind != raw_record::waking) continue;
      const auto wakee = pid_of.find(r.other_tid);
      if (wakee == pid_of.end() || !in_tree(wakee->second)) continue;
      wakeups.push_back({r.time, r.pid, r.tid, wakee->second, r.other_tid});
    }
    for (const auto& n : names_) {
      if (in_tree(n.pid)) names.push_back(n);
    }
    raw_.clear();
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
  pid_t self_;  // the collector: never recorded
  std::size_t page_;
  bool per_thread_only_;
  bool wakers_ = false;  // the sched_waking tracepoint on every CPU
  std::size_t waking_pid_offset_ = 0;
  std::size_t waking_flags_offset_ = 2;
  std::size_t threads_ = 0;
  std::vector<cpu_buffer> buffers_;
  std::vector<int> fds_;
  /// What a drain copied out of one CPU's buffer: whole records, read at the end.
  struct copy {
    int cpu = -1;
    std::unique_ptr<char[]> bytes;
    std::size_t size = 0;
  };
  std::vector<copy> copied_;
  std::vector<raw_record> raw_;
  std::vector<thread_name> names_;
  std::int64_t start_ns_ = 0;
  std::uint64_t records_ = 0, lost_ = 0;
};

bool send_message(int fd, std::uint32_t status, std::string_view text) {
  const message_head h{status, static_cast<std::uint32_t>(text.size())};
  return detail::write_all(fd, reinterpret_cast<const char*>(&h), sizeof h) &&
         detail::write_all(fd, text.data(), text.size());
}

template <class T>
bool send_all_of(int fd, const std::vector<T>& v) {
  return detail::write_all(fd, reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

/// The collector process: waits for 'b' (begin, with the pid to record) and 'e' (end) on
/// `commands`, answers on `reports`, drains the buffers while recording. Ends at end of file on
/// `commands`.
int run_collector(pid_t parlab, bool per_thread_only, int commands, int reports) {
  // Ctrl-C reaches the whole foreground group: the collector ends when parlab says so.
  (void)::signal(SIGINT, SIG_IGN);
  (void)::signal(SIGHUP, SIG_IGN);
  {  // Whether the kernel allows it at all: one event on parlab, opened and closed.
    perf_event_attr a =
        detail::switch_event_attr(8 * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE)));
    const int fd = detail::open_perf_event(a, parlab, -1);
    if (fd < 0) return send_message(reports, status_refused, refusal_reason(errno)) ? 0 : 1;
    ::close(fd);
    if (!send_message(reports, status_ok, {})) return 1;
  }
  char command = 0;
  while (::read(commands, &command, 1) == 1) {
    if (command != 'b') continue;
    std::int64_t pid = 0;  // the process to record; 0: parlab
    if (!detail::read_exactly(commands, &pid, sizeof pid)) return 0;
    collector c(pid > 0 ? static_cast<pid_t>(pid) : parlab, ::getpid(), per_thread_only);
    if (const int err = c.begin(); err != 0) {
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
    std::vector<on_cpu_interval> intervals;
    std::vector<thread_name> names;
    std::vector<wakeup> wakeups;
    std::vector<thread_start> starts;
    const schedule_head head = c.end(intervals, names, wakeups, starts);
    if (!send_message(reports, status_ok, {}) ||
        !detail::write_all(reports, reinterpret_cast<const char*>(&head), sizeof head) ||
        !send_all_of(reports, intervals) || !send_all_of(reports, names) ||
        !send_all_of(reports, wakeups) || !send_all_of(reports, starts)) {
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

  void lost_collector() { refusal = "the switch-record collector ended unexpectedly"; }

  /// The collector's answer: its status, and the reason when it refused.
  bool answer() {
    message_head h;
    if (!detail::read_exactly(child.reports_fd(), &h, sizeof h)) {
      lost_collector();
      return false;
    }
    std::string text(h.text_bytes, '\0');
    if (h.text_bytes > 0 && !detail::read_exactly(child.reports_fd(), text.data(), text.size())) {
      lost_collector();
      return false;
    }
    if (h.status != status_ok) {
      refusal = std::move(text);
      return false;
    }
    return true;
  }

  template <class T>
  bool receive(std::vector<T>& v, std::uint64_t n) {
    v.resize(n);
    if (detail::read_exactly(child.reports_fd(), v.data(), v.size() * sizeof(T))) return true;
    lost_collector();
    return false;
  }
};

switch_recorder::switch_recorder(bool per_thread_only) : s_(std::make_unique<state>()) {
  const pid_t parlab = ::getpid();
  s_->child =
      detail::child_process("the switch-record collector", {.reports = true, .commands = true},
                            [parlab, per_thread_only](const detail::child_process::ends& e) {
                              return run_collector(parlab, per_thread_only, e.commands, e.reports);
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
    s_->lost_collector();
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
  std::vector<thread_name> names;
  if (!detail::read_exactly(s_->child.reports_fd(), &h, sizeof h)) {
    s_->lost_collector();
    return out;
  }
  if (!s_->receive(out.intervals, h.intervals) || !s_->receive(names, h.names) ||
      !s_->receive(out.wakeups, h.wakeups) || !s_->receive(out.starts, h.starts)) {
    return switch_schedule{};
  }
  for (const auto& n : names) out.names.push_back({n.pid, n.tid, std::string(n.name)});
  out.start_ns = h.start_ns;
  out.end_ns = h.end_ns;
  out.records = h.records;
  out.lost = h.lost;
  out.buffer_bytes = h.buffer_bytes;
  out.threads = h.threads;
  out.wakers = h.wakers != 0;
  out.root_tid = static_cast<std::int32_t>(h.root);
  return out;
}

switch_recording::switch_recording(switch_recorder* recorder)
    : recorder_(recorder != nullptr && recorder->begin() ? recorder : nullptr) {}

switch_recording::~switch_recording() {
  if (recorder_ == nullptr) return;
  try {
    (void)recorder_->end();  // a run that threw: nothing to keep
  } catch (...) {  // (out of memory for the stretches: the records are lost, nothing else)
  }
}

std::optional<switch_schedule> switch_recording::take(std::int64_t from, std::int64_t to) {
  if (recorder_ == nullptr) return std::nullopt;
  switch_schedule s = std::exchange(recorder_, nullptr)->end();
  s.run = count_switches(s.intervals, from, to);
  return s;
}

}  // namespace parlab
