#include <parlab/kernel_figures.hpp>

#include "core/peak_rss.hpp"
#include "core/proc_files.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>

#include <sys/resource.h>

#include <algorithm>

namespace parlab {
namespace {
kernel_figures read_usage(int who) noexcept {
  rusage u{};
  ::getrusage(who, &u);
  kernel_figures k;
  k.user_seconds =
      static_cast<double>(u.ru_utime.tv_sec) + static_cast<double>(u.ru_utime.tv_usec) * 1e-6;
  k.system_seconds =
      static_cast<double>(u.ru_stime.tv_sec) + static_cast<double>(u.ru_stime.tv_usec) * 1e-6;
  k.voluntary_switches = u.ru_nvcsw;
  k.involuntary_switches = u.ru_nivcsw;
  k.peak_rss_bytes = static_cast<std::int64_t>(u.ru_maxrss) * 1024;  // Linux reports KiB
  k.minor_faults = u.ru_minflt;
  return k;
}
}  // namespace

rusage_snapshot rusage_snapshot::now() noexcept {
  return {read_usage(RUSAGE_SELF), read_usage(RUSAGE_CHILDREN)};
}

process_memory parse_smaps_rollup(std::string_view text) noexcept {
  // "Name:   1234 kB" lines; the values are KiB.
  const auto field = [text](std::string_view name) -> std::int64_t {
    for (std::size_t at = 0; at < text.size();) {
      const std::size_t end = std::min(text.find('\n', at), text.size());
      const std::string_view line = text.substr(at, end - at);
      at = end + 1;
      if (line.size() <= name.size() || line.substr(0, name.size()) != name ||
          line[name.size()] != ':') {
        continue;
      }
      std::size_t p = name.size() + 1;
      while (p < line.size() && line[p] == ' ') ++p;
      std::int64_t kib = 0;
      const auto [ptr, ec] = std::from_chars(line.data() + p, line.data() + line.size(), kib);
      if (ec != std::errc{} || ptr == line.data() + p) return -1;
      return kib * 1024;
    }
    return -1;
  };
  process_memory m;
  const std::int64_t rss = field("Rss");
  const std::int64_t pss = field("Pss");
  const std::int64_t clean = field("Private_Clean");
  const std::int64_t dirty = field("Private_Dirty");
  if (rss < 0 || pss < 0 || clean < 0 || dirty < 0) return m;
  m.rss_bytes = rss;
  m.pss_bytes = pss;
  m.uss_bytes = clean + dirty;
  return m;
}

process_memory own_memory() noexcept {
  char text[4096];
  const std::string_view read = detail::read_proc_into("/proc/self/smaps_rollup", text);
  if (read.empty()) return {};
  return parse_smaps_rollup(read);
}

std::int64_t thread_minor_faults() noexcept {
  rusage u{};
  if (::getrusage(RUSAGE_THREAD, &u) != 0) return -1;
  return u.ru_minflt;
}

kernel_figures difference(const rusage_snapshot& before, const rusage_snapshot& after) noexcept {
  kernel_figures d;
  d.user_seconds = (after.self.user_seconds - before.self.user_seconds) +
                   (after.children.user_seconds - before.children.user_seconds);
  d.system_seconds = (after.self.system_seconds - before.self.system_seconds) +
                     (after.children.system_seconds - before.children.system_seconds);
  d.voluntary_switches = (after.self.voluntary_switches - before.self.voluntary_switches) +
                         (after.children.voluntary_switches - before.children.voluntary_switches);
  d.involuntary_switches =
      (after.self.involuntary_switches - before.self.involuntary_switches) +
      (after.children.involuntary_switches - before.children.involuntary_switches);
  d.peak_rss_bytes = std::max(after.self.peak_rss_bytes, after.children.peak_rss_bytes);
  d.minor_faults = (after.self.minor_faults - before.self.minor_faults) +
                   (after.children.minor_faults - before.children.minor_faults);
  return d;
}

namespace detail {
namespace {
std::atomic<std::int64_t> g_child_peak{0};
}  // namespace

bool reset_peak_rss() noexcept {
  g_child_peak.store(0, std::memory_order_relaxed);
  const int fd = ::open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = ::write(fd, "5", 1) == 1;  // 5: reset the peak RSS to the current RSS
  ::close(fd);
  return ok;
}

std::int64_t peak_rss_since_reset() noexcept {
  std::int64_t self = 0;
  char text[8192];
  const std::string_view status = detail::read_proc_into("/proc/self/status", text);
  if (const auto at = status.find("VmHWM:"); at != std::string_view::npos) {
    std::string_view rest = status.substr(at + 6);
    while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
    std::int64_t kib = 0;
    if (std::from_chars(rest.data(), rest.data() + rest.size(), kib).ec == std::errc{}) {
      self = kib * 1024;
    }
  }
  return std::max(self, g_child_peak.load(std::memory_order_relaxed));
}

void note_child_peak_rss(std::int64_t bytes) noexcept {
  std::int64_t seen = g_child_peak.load(std::memory_order_relaxed);
  while (bytes > seen &&
         !g_child_peak.compare_exchange_weak(seen, bytes, std::memory_order_relaxed)) {
  }
}

}  // namespace detail
}  // namespace parlab
