#pragma once
// Internal: how a step program folds what its steps produced into its result (run_steps, the
// one interpreter every model uses), so every model reports the same checksum for the same task.

#include "core/splitmix.hpp"

#include <cstdint>

namespace parlab::detail {

/// The checksum of a step task before its first step.
[[nodiscard]] constexpr std::uint64_t checksum_start(std::uint64_t seed) noexcept {
  return splitmix64(seed);
}

/// Folds the value one step produced (primes counted, bytes' checksum) into `checksum`.
[[nodiscard]] constexpr std::uint64_t checksum_fold(std::uint64_t checksum,
                                                    std::uint64_t value) noexcept {
  return splitmix64(checksum ^ value);
}

}  // namespace parlab::detail
