#pragma once
// The one entry point every fuzz target defines (libFuzzer's), so the same file builds as a
// libFuzzer program with clang (scripts/fuzz.sh) and as a corpus replayer with any compiler
// (fuzz/replay_main.cpp, a CTest in every preset).

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);
