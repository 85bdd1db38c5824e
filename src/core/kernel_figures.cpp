#include <parlab/kernel_figures.hpp>

#include "core/peak_rss.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>

#include <sys/resource.h>

#include <algorithm>

namespace parlab {
namespace {
kernel_figures read(int who) noexcept {
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
  return k;
}
}  // namespace

rusage_snapshot rusage_snapshot::now() noexcept {
  return {read(RUSAGE_SELF), read(RUSAGE_CHILDREN)};
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
  if (std::FILE* f = std::fopen("/proc/self/status", "re")) {
    char line[256];
    while (std::fgets(line, sizeof line, f) != nullptr) {
      long long kib = 0;
      if (std::sscanf(line, "VmHWM: %lld kB", &kib) == 1) {
        self = static_cast<std::int64_t>(kib) * 1024;
        break;
      }
    }
    std::fclose(f);
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
