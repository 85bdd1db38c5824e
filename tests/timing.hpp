#pragma once
// Timing tests: a claim about elapsed time on a shared 2-core VM is tried up to three times and
// holds when one attempt keeps it; when every attempt missed and others held the cores during
// each (this process's CPUs busy with work that was not its own or its children's), the test is
// skipped with the figures instead of failed. A test that uses it says "Timing test" first.
//
//   PARLAB_TIMING_TEST([&]() -> std::string {
//     ... measure ...
//     if (speedup > 2.5) return {};                        // held
//     return fmt::format("speedup {:.2f}x", speedup);      // missed: why, for the message
//   });

#include <parlab/clock.hpp>
#include <parlab/kernel_figures.hpp>
#include <parlab/machine.hpp>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <string>

#include "sanitizers.hpp"

namespace timing {

/// A sanitizer preset (asan, tsan): it changes the timing a claim is about.
#if defined(PARLAB_UNDER_ASAN) || defined(PARLAB_UNDER_TSAN)
inline constexpr bool kSanitized = true;
#else
inline constexpr bool kSanitized = false;
#endif

/// Cores from which others are said to have held the machine during an attempt.
inline constexpr double kBusyCores = 0.25;

/// How many cores others held between its construction and cores() (0 when unknown).
class others_meter {
 public:
  others_meter()
      : busy0_(parlab::busy_cpu_seconds()),
        own0_(parlab::rusage_snapshot::now()),
        t0_(parlab::monotonic_ns()) {}
  [[nodiscard]] double cores() const {
    const std::optional<double> busy = parlab::busy_cpu_seconds();
    const double wall = parlab::to_seconds(parlab::monotonic_ns() - t0_);
    if (!busy || !busy0_ || wall <= 0.0) return 0.0;
    return std::max(0.0, (*busy - *busy0_ -
                          parlab::difference(own0_, parlab::rusage_snapshot::now()).cpu_seconds()) /
                             wall);
  }

 private:
  std::optional<double> busy0_;
  parlab::rusage_snapshot own0_;  // this process and its waited-for children
  std::int64_t t0_;
};

struct outcome {
  bool held = false;
  bool every_miss_busy = true;  ///< others held the cores in every attempt that missed
  std::string why;              ///< one line per missed attempt
};

/// Runs `attempt` (returns "" when the claim held, else why not) up to `attempts` times.
template <class Attempt>
outcome try_timing(Attempt&& attempt, int attempts = 3) {
  outcome o;
  for (int i = 1; i <= attempts; ++i) {
    const others_meter meter;
    const std::string miss = attempt();
    if (miss.empty()) {
      o.held = true;
      return o;
    }
    const double others = meter.cores();
    o.every_miss_busy = o.every_miss_busy && others >= kBusyCores;
    o.why += fmt::format("attempt {}: {} (others held {:.2f} cores)\n", i, miss, others);
  }
  return o;
}

}  // namespace timing

/// Fails the test when no attempt held, skips it when others held the cores in every one.
#define PARLAB_TIMING_TEST(...)                                                             \
  do {                                                                                      \
    const ::timing::outcome parlab_timing_ = ::timing::try_timing(__VA_ARGS__);             \
    if (!parlab_timing_.held) {                                                             \
      if (parlab_timing_.every_miss_busy) {                                                 \
        GTEST_SKIP() << "others held the cores in every attempt:\n" << parlab_timing_.why;  \
      }                                                                                     \
      ADD_FAILURE() << "the timing claim missed in every attempt:\n" << parlab_timing_.why; \
    }                                                                                       \
  } while (false)

/// For a test whose only claim is about time: under a sanitizer it is skipped, saying which test
/// runs the same code there (`covered_by`). Its claim is the release preset's: a sanitizer slows
/// some paths tenfold and others not at all, and such a test ran alone for 7-32 s a preset.
#define PARLAB_TIMING_CLAIM_ONLY(covered_by)                                                  \
  do {                                                                                        \
    if (::timing::kSanitized) {                                                               \
      GTEST_SKIP() << "a timing claim, checked in the release preset; under a sanitizer its " \
                      "code runs in "                                                         \
                   << (covered_by);                                                           \
    }                                                                                         \
  } while (false)
