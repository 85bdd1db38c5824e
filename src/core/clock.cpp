#include <parlab/clock.hpp>

#include <ctime>

namespace parlab {
namespace {
std::int64_t read(clockid_t id) noexcept {
  timespec ts{};
  ::clock_gettime(id, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}
}  // namespace

std::int64_t monotonic_ns() noexcept { return read(CLOCK_MONOTONIC); }
std::int64_t thread_cpu_ns() noexcept { return read(CLOCK_THREAD_CPUTIME_ID); }

}  // namespace parlab
