#include "cli/watch_live.hpp"

#include "cli/options.hpp"
#include "core/child_process.hpp"

#include <parlab/printable.hpp>

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace parlab::cli {
namespace {

constexpr std::size_t kHistory = 24;  // refreshes in a row's history: 12 s at 2 Hz

void write_all(int fd, std::string_view text) noexcept {
  (void)detail::write_all(fd, text.data(), text.size());  // a terminal gone: nothing to do
}

/// Copies what `from` holds (from its start) to `to`.
void copy_file(int from, int to) noexcept {
  if (from < 0 || ::lseek(from, 0, SEEK_SET) != 0) return;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(from, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    write_all(to, std::string_view(buf, static_cast<std::size_t>(n)));
  }
}

/// An unnamed file in the temporary directory (unlinked at once: nothing to clean up).
int unnamed_file() {
  const char* dir = std::getenv("TMPDIR");
  std::string path =
      std::string(dir != nullptr && *dir != '\0' ? dir : "/tmp") + "/parlab-watch-XXXXXX";
  const int fd = ::mkstemp(path.data());
  if (fd >= 0) ::unlink(path.c_str());
  return fd;
}

bool utf8_terminal() {
  for (const char* name : {"LC_ALL", "LC_CTYPE", "LANG"}) {
    const char* v = std::getenv(name);
    if (v == nullptr || *v == '\0') continue;
    const std::string value(v);
    return value.find("UTF-8") != std::string::npos || value.find("utf8") != std::string::npos ||
           value.find("UTF8") != std::string::npos || value.find("utf-8") != std::string::npos;
  }
  return false;
}

std::string state_of(const live_thread& t) {
  if (t.ended) return "ended";
  if (t.state == 'R') return "running";
  if (t.state == 'S' || t.state == 'D') {
    return t.wait == thread_wait::none ? "asleep" : fmt::format("{}", to_string(t.wait));
  }
  if (t.state == 'T' || t.state == 't') return "stopped";
  return std::string(1, t.state);
}

/// A bar of `shares` (each 0..1 of a core), one character each.
std::string bar(const std::vector<double>& shares, bool utf8) {
  static constexpr std::string_view kBlocks[] = {" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
  static constexpr std::string_view kAscii = " .:-=+*#%@";
  std::string out;
  for (const double share : shares) {
    const double x = std::clamp(share, 0.0, 1.0);
    if (utf8) {
      out += kBlocks[static_cast<std::size_t>(x * 8.0 + 0.5)];
    } else {
      out += kAscii[static_cast<std::size_t>(x * 9.0 + 0.5)];
    }
  }
  return out;
}

}  // namespace

std::string live_text(const std::string& title, const live_view& view, live_memory& memory,
                      int height, bool utf8) {
  const double dt = memory.last_ns > 0 ? static_cast<double>(view.now_ns - memory.last_ns) : 0.0;
  const double wall = static_cast<double>(view.now_ns - view.start_ns) / 1e9;
  std::size_t alive = 0;
  for (const auto& t : view.threads) alive += t.ended ? 0U : 1U;
  std::vector<std::string> lines;
  lines.push_back(
      fmt::format("parlab watch --live · {} · {:.1f} s · {} thread{} alive of {} seen "
                  "in {} process{} · q or Ctrl-C ends the watch",
                  printable(title), wall, alive, alive == 1 ? "" : "s", view.threads.size(),
                  view.processes, view.processes == 1 ? "" : "es"));
  lines.push_back(fmt::format("{:>7} {:>7}  {:<16} {:<8} {:>5}  {}", "PID", "TID", "NAME", "STATE",
                              "CPU", "CPU share, a column a refresh (newest right)"));
  // Each lane's CPU time since the last refresh, over the refresh's wall time: its share of a
  // core. Summed over the lanes: the cores they kept busy (schedstat's CPU time is exact, where
  // a look only sees whether a thread is on a CPU at that instant).
  std::vector<double> share_of(view.threads.size(), 0.0);
  double busy = 0.0;
  std::size_t working = 0;  // threads that ran in this refresh
  for (std::size_t i = 0; i < view.threads.size(); ++i) {
    const live_thread& t = view.threads[i];
    live_memory::lane& h = memory.lanes[t.seen.lane];
    if (dt > 0.0) {
      share_of[i] = std::max(static_cast<double>(t.seen.cpu_ns - h.cpu_ns) / dt, 0.0);
      h.shares.push_back(share_of[i]);
      if (h.shares.size() > kHistory) h.shares.erase(h.shares.begin());
      busy += share_of[i];
      working += share_of[i] > 0.02 ? 1U : 0U;
    }
    h.cpu_ns = t.seen.cpu_ns;
  }
  if (dt > 0.0) memory.busy.push_back(busy);
  // Live threads first (the busiest first), then the ended ones.
  std::vector<std::size_t> rows(view.threads.size());
  for (std::size_t i = 0; i < rows.size(); ++i) rows[i] = i;
  std::stable_sort(rows.begin(), rows.end(), [&](std::size_t a, std::size_t b) {
    if (view.threads[a].ended != view.threads[b].ended) return !view.threads[a].ended;
    return share_of[a] > share_of[b];
  });
  const int footer = 3;
  const auto room =
      static_cast<std::size_t>(std::max(2, height - static_cast<int>(lines.size()) - footer));
  for (std::size_t shown = 0; shown < rows.size(); ++shown) {
    if (shown + 1 == room && rows.size() > room) {
      lines.push_back(fmt::format("  ... and {} more", rows.size() - shown));
      break;
    }
    const live_thread& t = view.threads[rows[shown]];
    lines.push_back(fmt::format("{:>7} {:>7}  {:<16} {:<8} {:>4.0f}%  {}", t.seen.pid, t.seen.tid,
                                printable(t.seen.name).substr(0, 16), state_of(t),
                                100.0 * share_of[rows[shown]],
                                bar(memory.lanes[t.seen.lane].shares, utf8)));
  }
  // The refreshes so far by the cores kept busy (rounded), and the verdict they support.
  const std::size_t cores = std::max<std::size_t>(view.cores, 1);
  std::vector<std::size_t> by_cores(cores + 1, 0);
  std::size_t over_one = 0;
  for (const double b : memory.busy) {
    ++by_cores[std::min(cores, static_cast<std::size_t>(b + 0.5))];
    over_one += b > 1.2 ? 1U : 0U;
  }
  std::string histogram =
      fmt::format("cores busy: now {:.2f} of {}; refreshes so far at", busy, cores);
  for (std::size_t k = 0; k <= cores && !memory.busy.empty(); ++k) {
    histogram += fmt::format(
        "  {}: {:.0f}%", k,
        100.0 * static_cast<double>(by_cores[k]) / static_cast<double>(memory.busy.size()));
  }
  lines.push_back("");
  lines.push_back(histogram);
  std::string verdict;
  if (over_one > 0) {
    verdict = fmt::format(
        "parallel - more than one core busy at once ({:.1f} at most over half a second)",
        *std::max_element(memory.busy.begin(), memory.busy.end()));
  } else if (working >= 2) {
    verdict =
        fmt::format("concurrent - {} threads work, taking turns on {:.2f} cores", working, busy);
  } else {
    verdict = "serial - one thread works at a time";
  }
  lines.push_back(
      fmt::format("so far: {} (the verdict at the end weighs the whole watch)", verdict));
  std::string text;
  for (const auto& line : lines) text += line + "\x1b[K\n";  // the terminal cuts long rows
  memory.last_ns = view.now_ns;
  return text;
}

live_screen::live_screen(std::string title) : title_(std::move(title)) {
  if (::isatty(STDIN_FILENO) == 0 || ::isatty(STDOUT_FILENO) == 0) {
    throw usage_error(
        "watch: --live draws on a terminal, and standard input or output is not one (use "
        "--timeline, --json or --report off a terminal)");
  }
  utf8_ = utf8_terminal();
  term_ = ::fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
  keys_ = ::fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
  saved_in_ = ::fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
  saved_out_ = ::fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
  saved_err_ = ::fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
  out_ = unnamed_file();
  err_ = unnamed_file();
  const int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (term_ < 0 || keys_ < 0 || saved_in_ < 0 || saved_out_ < 0 || saved_err_ < 0 || out_ < 0 ||
      err_ < 0 || null < 0) {
    if (null >= 0) ::close(null);
    open_ = true;
    close();
    throw std::runtime_error(fmt::format("watch: --live: {}", std::strerror(errno)));
  }
  // The command (and parlab's own lines meanwhile) write into the files; the keys are ours.
  std::fflush(stdout);
  std::fflush(stderr);
  ::dup2(null, STDIN_FILENO);
  ::close(null);
  ::dup2(out_, STDOUT_FILENO);
  ::dup2(err_, STDERR_FILENO);
  if (::tcgetattr(keys_, &termios_) == 0) {
    termios_saved_ = true;
    termios raw = termios_;
    raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO);  // keys one at a time, unechoed;
    raw.c_cc[VMIN] = 0;                                    // Ctrl-C still signals (ISIG)
    raw.c_cc[VTIME] = 0;
    (void)::tcsetattr(keys_, TCSANOW, &raw);
  }
  write_all(term_, "\x1b[?1049h\x1b[?25l\x1b[?7l\x1b[H\x1b[2J");  // alternate screen, no cursor,
  // no wrapping (a row longer than the terminal is cut by it)
  open_ = true;
}

live_screen::~live_screen() { close(); }

void live_screen::draw(const live_view& view) noexcept {
  if (!open_) return;
  try {
    winsize ws{};
    int height = 30;
    if (::ioctl(term_, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0) {
      height = ws.ws_row;
    }
    const std::string text = live_text(title_, view, memory_, height, utf8_);
    write_all(term_, "\x1b[H" + text + "\x1b[J");
  } catch (...) {  // a view that cannot be drawn must not end the watch
  }
  char keys[64];
  const ssize_t n = ::read(keys_, keys, sizeof keys);
  if (n > 0 && !quit_sent_ &&
      std::any_of(keys, keys + n, [](char k) { return k == 'q' || k == 'Q'; })) {
    quit_sent_ = true;
    (void)::kill(::getpid(), SIGINT);  // ends the watch as Ctrl-C does, outputs written
  }
}

void live_screen::close() noexcept {
  if (!open_) return;
  open_ = false;
  if (term_ >= 0)
    write_all(term_, "\x1b[?7h\x1b[?25h\x1b[?1049l");  // wrapping, cursor, screen back
  if (termios_saved_) (void)::tcsetattr(keys_, TCSANOW, &termios_);
  std::fflush(stdout);  // parlab's own lines from meanwhile, into the files first
  std::fflush(stderr);
  if (saved_in_ >= 0) ::dup2(saved_in_, STDIN_FILENO);
  if (saved_out_ >= 0) ::dup2(saved_out_, STDOUT_FILENO);
  if (saved_err_ >= 0) ::dup2(saved_err_, STDERR_FILENO);
  copy_file(out_, STDOUT_FILENO);  // what the command printed while the view was up
  copy_file(err_, STDERR_FILENO);
  for (int* fd : {&term_, &keys_, &saved_in_, &saved_out_, &saved_err_, &out_, &err_}) {
    if (*fd >= 0) ::close(*fd);
    *fd = -1;
  }
}

}  // namespace parlab::cli
