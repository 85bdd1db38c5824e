#include <parlab/kernel_figures.hpp>

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

}  // namespace parlab
