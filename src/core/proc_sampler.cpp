// The sampler behind `parlab watch`: every interval one pread of each watched thread's schedstat,
// and of its stat, wchan and children files only when the schedstat says it ran or queued (a
// thread asleep since the last look cannot have changed state, CPU or children).

#include <parlab/clock.hpp>
#include <parlab/proc_sampler.hpp>

#include "core/proc_files.hpp"

#include <fmt/format.h>

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <fstream>
#include <iterator>
#include <map>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>

namespace parlab {
namespace {

/// Descriptors a watched thread keeps open: schedstat, stat, wchan, children.
constexpr std::size_t fds_per_thread = 4;
/// Re-list a process's threads at least this often (in looks), in case one ended and another
/// started between two looks (the thread count alone would not show it).
constexpr std::uint64_t rescan_every = 10;

int open_read(const std::string& path) noexcept { return detail::open_proc(path.c_str()); }

void close_fd(int& fd) noexcept {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

/// pread at 0 into `buf`; the text, or empty when the file is gone (the task ended).
std::string_view read_at_0(int fd, std::array<char, 1024>& buf) noexcept {
  return detail::pread_proc(fd, std::span<char>(buf.data(), buf.size() - 1));
}

std::string proc_path(pid_t pid) { return "/proc/" + std::to_string(pid); }
std::string task_path(pid_t pid, pid_t tid) {
  return proc_path(pid) + "/task/" + std::to_string(tid);
}

/// The process's command line, arguments joined by spaces (empty for a kernel thread or a
/// process that is gone).
std::string command_line_of(pid_t pid) {
  std::string text = detail::read_proc(proc_path(pid) + "/cmdline", 4096).value_or(std::string());
  while (!text.empty() && text.back() == '\0') text.pop_back();
  std::replace(text.begin(), text.end(), '\0', ' ');
  return text;
}

std::size_t descriptor_budget() noexcept {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur == RLIM_INFINITY) return 1U << 20U;
  return lim.rlim_cur > 128 ? static_cast<std::size_t>(lim.rlim_cur) - 128 : 0;
}

}  // namespace

struct proc_sampler::state {
  struct thread {
    pid_t pid = 0, tid = 0;
    int sched = -1, stat = -1, wchan = -1, children = -1;
    std::size_t lane = 0;
    proc_schedstat first{}, last{};
    bool looked = false;
    bool born_watched = false;  // started while watched: its CPU counts from 0
    std::uint32_t looks_since_stat = 0, sleeps_since_wchan = 0;
    std::uint32_t asleep_looks = 0;  // looks in a row it was asleep and did not run
    bool skip_next = false;          // a rapid waker: looked at every other time
    char state = 'S';
    std::int16_t cpu = -1;
    thread_wait wait = thread_wait::none;

    void close_all() noexcept {
      close_fd(sched);
      close_fd(stat);
      close_fd(wchan);
      close_fd(children);
    }
  };
  struct process {
    pid_t pid = 0;
    pid_t ppid = 0;
    clockid_t clock{};  // its CPU clock: every thread's time, ended ones' included
    bool has_clock = false;
    std::int64_t ended_ns = -1;     // CPU time of its ended threads at the last look, or -1
    std::int64_t clock_ns = -1;     // its CPU clock at the last look
    std::uint32_t quiet_looks = 0;  // looks skipped since its clock last moved
    std::vector<pid_t> tids;        // its watched threads
    int stat = -1;
    std::int64_t threads = -1;
    std::uint64_t scanned_at = 0;
    std::string comm;
    std::string command;
    std::unordered_set<pid_t> ignored;  // its threads past the lane limit
  };

  pid_t root = 0;
  watch_options options;
  std::vector<watch_lane> lanes;
  std::vector<watched_thread> info;
  std::unordered_map<pid_t, thread> threads;     // by tid
  std::unordered_map<pid_t, process> processes;  // by pid
  std::vector<pid_t> unlooked;                   // threads added since the last look began
  std::unordered_set<pid_t> ignored;  // processes past the lane limit (pruned of ended ones)
  std::size_t room = 0;
  std::size_t fds_left = 0;
  std::uint64_t samples = 0, dropped_threads = 0;
  std::size_t processes_seen = 0;
  std::int64_t start_ns = -1, end_ns = 0;
  std::int64_t cpu_start_ns = 0;
  std::size_t root_cores = 0;  // CPUs the root may run on, as last read
  bool root_ended = false;
  std::array<char, 1024> buf{};

  /// CPUs the root may run on (the machine's online ones when its affinity was never read).
  [[nodiscard]] std::size_t cores() const noexcept {
    return root_cores > 0 ? root_cores
                          : static_cast<std::size_t>(std::max(1L, ::sysconf(_SC_NPROCESSORS_ONLN)));
  }

  void add_process(pid_t pid);
  void scan_threads(process& p);
  void add_thread(process& p, pid_t tid);
  void end_process(pid_t pid);
  void end_thread(pid_t tid);
  /// Looks at one thread; false when it has ended (it is left for the caller to end).
  bool look_at(thread& t);
  /// Looks at every thread of process `p` (tids: its threads), and ends those that ended, with
  /// the CPU time they used since their last look when the process's clock tells it.
  void look_at_process(process* p, const std::vector<pid_t>& tids,
                       std::optional<std::int64_t> clock_ns);
  /// Ends a thread after a last look at `t_ns` with `extra_cpu_ns` more CPU time than before.
  void end_thread_after(thread& t, std::int64_t t_ns, std::int64_t extra_cpu_ns);
};

void proc_sampler::state::add_process(pid_t pid) {
  if (processes.count(pid) != 0 || ignored.count(pid) != 0) return;
  if (info.size() >= options.max_threads || fds_left < fds_per_thread + 1) {
    ignored.insert(pid);
    ++dropped_threads;
    return;
  }
  process p;
  p.pid = pid;
  p.stat = open_read(proc_path(pid) + "/stat");
  if (p.stat < 0) return;  // ended before the sampler could look
  const auto st = parse_proc_stat(read_at_0(p.stat, buf));
  if (!st || st->state == 'Z' || st->state == 'X') {
    close_fd(p.stat);
    return;
  }
  --fds_left;
  p.has_clock = ::clock_getcpuclockid(pid, &p.clock) == 0;
  p.ppid = st->ppid;
  p.comm = st->comm;
  p.command = command_line_of(pid);
  p.threads = st->num_threads;
  ++processes_seen;
  auto& placed = processes.emplace(pid, std::move(p)).first->second;
  scan_threads(placed);
}

void proc_sampler::state::scan_threads(process& p) {
  p.scanned_at = samples;
  if (p.pid == root) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (::sched_getaffinity(root, sizeof set, &set) == 0) {
      root_cores = static_cast<std::size_t>(CPU_COUNT(&set));
    }
  }
  // Ascending: the main thread (tid == pid) first.
  for (const long found : detail::proc_numbered_entries(proc_path(p.pid) + "/task")) {
    const auto tid = static_cast<pid_t>(found);
    if (threads.count(tid) == 0 && p.ignored.count(tid) == 0) add_thread(p, tid);
  }
}

void proc_sampler::state::add_thread(process& p, pid_t tid) {
  if (info.size() >= options.max_threads || fds_left < fds_per_thread) {
    p.ignored.insert(tid);
    ++dropped_threads;
    return;
  }
  const std::string base = task_path(p.pid, tid);
  thread t;
  t.pid = p.pid;
  t.tid = tid;
  t.born_watched = samples > 0 || (p.pid == root && options.new_root);
  t.sched = open_read(base + "/schedstat");
  t.stat = open_read(base + "/stat");
  if (t.sched < 0 || t.stat < 0) {
    t.close_all();
    return;  // ended already
  }
  t.wchan = open_read(base + "/wchan");
  if (options.follow_children) t.children = open_read(base + "/children");
  fds_left -= fds_per_thread;
  const auto st = parse_proc_stat(read_at_0(t.stat, buf));
  t.lane = lanes.size();
  lanes.emplace_back(static_cast<std::uint32_t>(t.lane));
  watched_thread w;
  w.pid = p.pid;
  w.tid = tid;
  w.ppid = p.ppid;
  w.name = st ? st->comm : p.comm;
  w.command = p.command;
  w.lane = static_cast<std::uint32_t>(t.lane);
  info.push_back(std::move(w));
  threads.emplace(tid, t);
  p.tids.push_back(tid);
  unlooked.push_back(tid);
}

void proc_sampler::state::end_thread(pid_t tid) {
  const auto it = threads.find(tid);
  if (it == threads.end()) return;
  lanes[it->second.lane].flush(room);
  const auto owner = processes.find(it->second.pid);
  if (owner != processes.end()) {
    auto& list = owner->second.tids;
    list.erase(std::remove(list.begin(), list.end(), tid), list.end());
  }
  it->second.close_all();
  fds_left += fds_per_thread;
  threads.erase(it);
}

void proc_sampler::state::end_process(pid_t pid) {
  const auto it = processes.find(pid);
  if (it == processes.end()) return;
  std::vector<pid_t> gone;
  for (const auto& [tid, t] : threads) {
    if (t.pid == pid) gone.push_back(tid);
  }
  for (const pid_t tid : gone) end_thread(tid);
  close_fd(it->second.stat);
  ++fds_left;
  if (pid == root) root_ended = true;
  processes.erase(it);
}

bool proc_sampler::state::look_at(thread& t) {
  const auto ss = parse_schedstat(read_at_0(t.sched, buf));
  if (!ss) return false;  // the thread ended
  const std::int64_t now = monotonic_ns();
  const bool ran = !t.looked || ss->on_cpu_ns > t.last.on_cpu_ns;
  const bool queued = t.looked && ss->run_delay_ns > t.last.run_delay_ns;
  const bool was_asleep = t.state == 'S' || t.state == 'D';
  // A short burst out of a sleep (under a tenth of the interval: woke, did a little, slept
  // again) keeps the state, CPU and wait it had; its stat is read every 16th time only. (Reading
  // stat costs 2.7 us here, schedstat 0.65 us: a thread waking every millisecond would otherwise
  // cost the sampler four times as much.)
  // Only for a thread that wakes often (asleep fewer than 4 looks before): one that slept longer
  // is looked at fully when it wakes - it may well sleep somewhere else next.
  const std::int64_t dt = t.looked ? now - info[t.lane].last_ns : 0;
  const bool rapid = t.asleep_looks < 4;
  t.asleep_looks = (ran || queued) ? 0 : t.asleep_looks + 1;
  const bool short_burst =
      t.looked && was_asleep && rapid && (ss->on_cpu_ns - t.last.on_cpu_ns) * 10 < dt;
  if (ran || queued) ++t.looks_since_stat;
  const bool full_look = (ran || queued) && (!short_burst || t.looks_since_stat >= 16);
  // A thread that keeps waking for short bursts is looked at every other time: its bursts are
  // placed within two intervals instead of one (sums stay exact), and watching sixteen threads
  // that wake every millisecond costs the sampler half as many reads.
  t.skip_next = short_burst;
  if (full_look) {
    t.looks_since_stat = 0;
    const auto st = parse_proc_stat(read_at_0(t.stat, buf));
    if (!st || st->state == 'Z' || st->state == 'X') return false;
    t.state = st->state;
    t.cpu = static_cast<std::int16_t>(st->processor);
    watched_thread& w = info[t.lane];
    if (st->comm != w.name) {  // it renamed itself, or its process ran exec
      w.name = st->comm;
      if (t.pid == t.tid) w.command = command_line_of(t.pid);
    }
  }
  if (ran && t.children >= 0 && (full_look || ss->on_cpu_ns - t.last.on_cpu_ns >= 50'000)) {
    // Only a thread that ran can have started a process since the last look, and a fork costs
    // its parent more than 50 us (230 us here); a vfork's parent sleeps until the exec, and a
    // child stays listed until it is reaped: a full look (every 16th) finds it then.
    const std::string list(read_at_0(t.children, buf));
    for (std::size_t at = 0; at < list.size();) {
      pid_t child = 0;
      const auto [end, ec] = std::from_chars(list.data() + at, list.data() + list.size(), child);
      if (ec != std::errc{}) break;
      add_process(child);
      at = static_cast<std::size_t>(end - list.data()) + 1;  // past the space after it
    }
  }
  const bool asleep = t.state == 'S' || t.state == 'D';
  if (!asleep) {
    t.wait = thread_wait::none;
  } else if (!was_asleep || t.wait == thread_wait::none || t.asleep_looks == 4 ||
             ((ran || queued) && (!short_burst || ++t.sleeps_since_wchan >= 16))) {
    // A new sleep: what it sleeps in (a thread that keeps waking after short bursts to sleep in
    // the same place is asked every 16th time, and once more when a sleep has lasted 4 looks). "0"
    // (it was just woken) keeps what it slept in before, if known; else it is asked again at the
    // next look.
    t.sleeps_since_wchan = 0;
    const thread_wait now_in = classify_wchan(read_at_0(t.wchan, buf), t.state);
    if (now_in != thread_wait::none || !was_asleep) t.wait = now_in;
  }
  if (!t.looked) t.first = *ss;
  t.looked = true;
  t.last = *ss;
  lanes[t.lane].look({now, ss->on_cpu_ns, ss->run_delay_ns, t.state, t.cpu, t.wait}, room);
  watched_thread& w = info[t.lane];
  if (w.first_ns == 0) w.first_ns = now;
  w.last_ns = now;
  w.cpu_ns = ss->on_cpu_ns - (t.born_watched ? 0 : t.first.on_cpu_ns);
  w.run_delay_ns = ss->run_delay_ns - (t.born_watched ? 0 : t.first.run_delay_ns);
  w.timeslices = ss->timeslices - (t.born_watched ? 0 : t.first.timeslices);
  return true;
}

void proc_sampler::state::end_thread_after(thread& t, std::int64_t t_ns,
                                           std::int64_t extra_cpu_ns) {
  if (t.looked && extra_cpu_ns > 0) {
    // It ran that long after its last look, then ended: the lane's last interval is that run.
    const std::int64_t at = std::min(t_ns, info[t.lane].last_ns + extra_cpu_ns);
    lanes[t.lane].look(
        {at, t.last.on_cpu_ns + extra_cpu_ns, t.last.run_delay_ns, 'R', t.cpu, thread_wait::none},
        room);
    watched_thread& w = info[t.lane];
    w.last_ns = at;
    w.cpu_ns += extra_cpu_ns;
  }
  end_thread(t.tid);
}

void proc_sampler::state::look_at_process(process* p, const std::vector<pid_t>& tids,
                                          std::optional<std::int64_t> clock_ns) {
  // The process's clock was read first, then its threads: what it counts beyond the live threads'
  // own figures is the time of threads that ended (the kernel keeps their final sums).
  std::vector<pid_t> ended;
  std::int64_t live_ns = 0;
  for (const pid_t tid : tids) {
    const auto it = threads.find(tid);
    if (it == threads.end()) continue;
    if (it->second.skip_next) {
      it->second.skip_next = false;
      live_ns += it->second.last.on_cpu_ns;  // grew by a short burst at most meanwhile
      continue;
    }
    if (look_at(it->second)) {
      live_ns += it->second.last.on_cpu_ns;
    } else {
      ended.push_back(tid);
    }
  }
  const std::int64_t now = monotonic_ns();
  std::int64_t extra = 0;
  if (p != nullptr && clock_ns) {
    const std::int64_t ended_ns = *clock_ns - live_ns;
    // Only when every thread of the process is watched: else the others' time is in it too.
    const bool complete = p->ignored.empty();
    if (complete && p->ended_ns >= 0 && !ended.empty()) {
      extra = std::max<std::int64_t>(ended_ns - p->ended_ns, 0) /
              static_cast<std::int64_t>(ended.size());
    }
    p->ended_ns = ended_ns;
  }
  for (const pid_t tid : ended) {
    const auto it = threads.find(tid);
    if (it == threads.end()) continue;
    const std::int64_t since = now - info[it->second.lane].last_ns;
    end_thread_after(it->second, now, std::min(extra, since));
  }
}

proc_sampler::proc_sampler(pid_t root, const watch_options& options) : s_(new state) {
  s_->root = root;
  s_->options = options;
  s_->room = options.max_events;
  s_->fds_left = descriptor_budget();
  s_->cpu_start_ns = thread_cpu_ns();
  struct stat st {};
  if (root <= 0 || ::stat(proc_path(root).c_str(), &st) != 0) {
    delete s_;
    throw std::invalid_argument("no process " + std::to_string(root) +
                                " (give the PID of a running process of yours)");
  }
  if (::geteuid() != 0 && st.st_uid != ::geteuid()) {
    delete s_;
    throw std::invalid_argument("process " + std::to_string(root) +
                                " belongs to another user (uid " + std::to_string(st.st_uid) +
                                "); parlab watch reads only your own processes");
  }
  s_->add_process(root);
  if (s_->processes.count(root) == 0) {
    if (options.new_root) {
      s_->root_ended = true;  // the command ended before the first look: too short to see
    } else {
      delete s_;
      throw std::invalid_argument("no process " + std::to_string(root) +
                                  " (it ended, or is a zombie)");
    }
  }
}

proc_sampler::~proc_sampler() {
  if (s_ == nullptr) return;
  for (auto& [tid, t] : s_->threads) t.close_all();
  for (auto& [pid, p] : s_->processes) close_fd(p.stat);
  delete s_;
}

bool proc_sampler::root_ended() const noexcept { return s_->root_ended; }

namespace {

/// A process's CPU clock (every thread's time, ended threads' included), or nullopt.
std::optional<std::int64_t> read_clock(bool has_clock, clockid_t clock) noexcept {
  timespec ts{};
  if (!has_clock || ::clock_gettime(clock, &ts) != 0) return std::nullopt;
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace

bool proc_sampler::look() {
  state& s = *s_;
  ++s.samples;
  // Processes past the lane limit are remembered so as to be counted once; those that ended are
  // forgotten now and then, so a fork storm holds no more of them than are alive at once.
  if (s.samples % 1000 == 0) {
    for (auto it = s.ignored.begin(); it != s.ignored.end();) {
      it = ::kill(*it, 0) != 0 && errno == ESRCH ? s.ignored.erase(it) : std::next(it);
    }
  }
  const std::int64_t now = monotonic_ns();
  if (s.start_ns < 0) s.start_ns = now;
  std::vector<pid_t> pids;
  pids.reserve(s.processes.size());
  for (const auto& [pid, p] : s.processes) pids.push_back(pid);
  for (const pid_t pid : pids) {
    const auto it = s.processes.find(pid);
    if (it == s.processes.end()) continue;
    state::process& p = it->second;
    // A process whose clock did not move since the last look had no thread run: none of its
    // threads can have changed state, started a thread or a process, or ended. It is skipped
    // (one syscall instead of a read per thread), and looked at fully every rescan_every looks.
    const auto clock = read_clock(p.has_clock, p.clock);
    if (clock && *clock == p.clock_ns && p.quiet_looks + 1 < rescan_every) {
      ++p.quiet_looks;
      continue;
    }
    p.quiet_looks = 0;
    if (clock) p.clock_ns = *clock;
    // One that ended takes its threads along; one whose thread count changed (or that was not
    // listed for a while) is listed again.
    const auto st = parse_proc_stat(read_at_0(p.stat, s.buf));
    if (!st || st->state == 'Z' || st->state == 'X') {
      s.end_process(pid);
      continue;
    }
    if (st->num_threads != p.threads || s.samples - p.scanned_at >= rescan_every) {
      p.threads = st->num_threads;
      s.scan_threads(p);
    }
    const std::vector<pid_t> tids = p.tids;  // (look_at_process may end some)
    s.look_at_process(&p, tids, clock);
  }
  // Threads found during this look (in processes found during it) get their first look now, so
  // their lanes start here.
  while (!s.unlooked.empty()) {
    std::map<pid_t, std::vector<pid_t>> fresh;
    for (const pid_t tid : std::exchange(s.unlooked, {})) {
      const auto it = s.threads.find(tid);
      if (it != s.threads.end() && !it->second.looked) fresh[it->second.pid].push_back(tid);
    }
    for (const auto& [pid, tids] : fresh) {
      const auto it = s.processes.find(pid);
      s.look_at_process(it != s.processes.end() ? &it->second : nullptr, tids, std::nullopt);
    }
  }
  s.end_ns = monotonic_ns();
  return !(s.root_ended && s.threads.empty());
}

live_view proc_sampler::live() const {
  const state& s = *s_;
  live_view v;
  v.start_ns = std::max<std::int64_t>(s.start_ns, 0);
  v.now_ns = s.end_ns;
  v.samples = s.samples;
  v.cores = s.cores();
  v.processes = s.processes_seen;
  v.dropped_threads = s.dropped_threads;
  v.threads.reserve(s.info.size());
  for (const watched_thread& w : s.info) {
    live_thread t;
    t.seen = w;
    const auto it = s.threads.find(w.tid);
    if (it == s.threads.end() || it->second.lane != w.lane) {
      t.ended = true;
    } else {
      t.state = it->second.state;
      t.wait = it->second.wait;
    }
    v.threads.push_back(std::move(t));
  }
  return v;
}

/// Makes every lane exact from the switch records of the watch, and gives a thread the looks
/// missed (it lived between two) a lane of its own.
void proc_sampler::make_exact(state& s, watch_result& w, switch_schedule exact) {
  // parlab's own threads (a watched command's events are inherited from parlab) are not watched.
  const auto self = static_cast<std::int32_t>(::getpid());
  std::erase_if(exact.intervals, [&](const on_cpu_interval& i) { return i.pid == self; });
  std::erase_if(exact.wakeups, [&](const wakeup& x) { return x.wakee_pid == self; });
  std::erase_if(exact.starts, [&](const thread_start& x) { return x.pid == self; });
  std::map<std::int32_t, std::vector<on_cpu_interval>> by_tid;
  for (const auto& i : exact.intervals) by_tid[i.tid].push_back(i);
  const std::int64_t interval_ns = static_cast<std::int64_t>(s.options.interval.count()) * 1000;
  for (std::size_t i = 0; i < s.lanes.size(); ++i) {
    const auto tid = static_cast<std::int32_t>(w.threads[i].tid);
    const auto found = by_tid.find(tid);
    const std::span<const on_cpu_interval> mine =
        found == by_tid.end() ? std::span<const on_cpu_interval>{} : found->second;
    w.sampling_errors.push_back(refine_watch_lane(s.lanes[i].events(), mine,
                                                  static_cast<std::uint32_t>(i), w.start_ns,
                                                  w.end_ns, interval_ns));
    if (!mine.empty()) {
      w.threads[i].first_ns = std::min(w.threads[i].first_ns, mine.front().start_ns);
      w.threads[i].last_ns = std::max(w.threads[i].last_ns, mine.back().end_ns);
    }
    if (found != by_tid.end()) by_tid.erase(found);
  }
  // The threads no look saw, each with what is known of its process.
  for (auto& [tid, mine] : by_tid) {
    if (s.lanes.size() >= s.options.max_threads) {
      ++w.dropped_threads;
      continue;
    }
    watched_thread t;
    t.pid = mine.front().pid;
    t.tid = tid;
    t.name = fmt::format("pid {}", t.pid);
    for (const auto& n : exact.names) {
      if (n.tid == tid || n.pid == t.pid) t.name = n.name;  // the last it took
    }
    for (const auto& other : w.threads) {
      if (other.pid == t.pid) {
        t.ppid = other.ppid;
        t.name = other.name;
        t.command = other.command;
        break;
      }
    }
    t.lane = static_cast<std::uint32_t>(s.lanes.size());
    t.first_ns = mine.front().start_ns;
    t.last_ns = mine.back().end_ns;
    for (const auto& i : mine) t.cpu_ns += i.end_ns - i.start_ns;
    t.timeslices = mine.size();
    s.lanes.emplace_back(t.lane);
    (void)refine_watch_lane(s.lanes.back().events(), mine, t.lane, w.start_ns, w.end_ns,
                            interval_ns);
    w.threads.push_back(std::move(t));
  }
  exact.run = count_switches(exact.intervals, w.start_ns, w.end_ns);
  exact.root_tid = static_cast<std::int32_t>(w.root);  // the watched program, not parlab
  w.exact = std::move(exact);
}

watch_result proc_sampler::finish(std::optional<switch_schedule> exact) {
  state& s = *s_;
  watch_result w;
  w.root = s.root;
  w.interval = s.options.interval;
  w.cores = s.cores();
  w.start_ns = std::max<std::int64_t>(s.start_ns, 0);
  w.end_ns = s.end_ns;
  w.samples = s.samples;
  w.threads = s.info;
  w.dropped_threads = s.dropped_threads;
  w.processes = s.processes_seen;
  for (auto& lane : s.lanes) lane.flush(s.room);  // every lane ends
  if (exact) make_exact(s, w, std::move(*exact));
  // When each process had a child alive (as seen): its waits then are supervising.
  std::map<pid_t, time_window> lifetime;
  std::map<pid_t, pid_t> parent;
  for (const auto& t : w.threads) {
    auto [it, fresh] = lifetime.try_emplace(t.pid, time_window{t.first_ns, t.last_ns});
    if (!fresh) {
      it->second.from = std::min(it->second.from, t.first_ns);
      it->second.to = std::max(it->second.to, t.last_ns);
    }
    parent[t.pid] = t.ppid;
  }
  std::map<pid_t, std::vector<time_window>> children_alive;
  for (const auto& [pid, life] : lifetime) {
    if (pid != s.root) children_alive[parent[pid]].push_back(life);
  }
  for (auto& [pid, windows] : children_alive) {
    std::sort(windows.begin(), windows.end(),
              [](const time_window& a, const time_window& b) { return a.from < b.from; });
    std::vector<time_window> merged;
    for (const auto& win : windows) {
      if (!merged.empty() && win.from <= merged.back().to) {
        merged.back().to = std::max(merged.back().to, win.to);
      } else {
        merged.push_back(win);
      }
    }
    windows = std::move(merged);
  }
  std::uint32_t next_task = 0;
  std::size_t total = 0;
  for (std::size_t i = 0; i < s.lanes.size(); ++i) {
    auto& lane = s.lanes[i];
    w.dropped_events += lane.dropped();
    const auto it = children_alive.find(w.threads[i].pid);
    watch_tasks(lane.events(), next_task, s.options.idle_after_ns,
                it != children_alive.end() ? std::span<const time_window>(it->second)
                                           : std::span<const time_window>{});
    total += lane.events().size();
  }
  w.events.reserve(total);
  for (auto& lane : s.lanes) {
    w.events.insert(w.events.end(), lane.events().begin(), lane.events().end());
    std::vector<event>().swap(lane.events());
  }
  std::stable_sort(w.events.begin(), w.events.end(),
                   [](const event& a, const event& b) { return a.start_ns < b.start_ns; });
  w.sampler_cpu_seconds = to_seconds(thread_cpu_ns() - s.cpu_start_ns);
  return w;
}

}  // namespace parlab
