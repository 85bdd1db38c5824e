// Times for events built by hand in tests: parlab's events carry nanoseconds.
#pragma once

#include <cstdint>

/// One millisecond, in the nanoseconds an event's start and end are given in.
inline constexpr std::int64_t ms = 1'000'000;
