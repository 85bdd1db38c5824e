#pragma once
// Internal: the SplitMix64 mixer, one place for every seeded choice parlab makes.

#include <cstdint>

namespace parlab::detail {

/// Steps a SplitMix64 generator from state `x` and returns the mixed output. Pure.
constexpr std::uint64_t splitmix64(std::uint64_t x) noexcept {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30U)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27U)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31U);
}

/// The increment SplitMix64 adds per step (the golden ratio in 64 bits).
inline constexpr std::uint64_t splitmix64_step = 0x9E3779B97F4A7C15ULL;

}  // namespace parlab::detail
