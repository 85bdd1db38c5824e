// Replays a fuzz target's seed corpus and a few thousand deterministic mutations of it, without
// libFuzzer (any compiler, any sanitizer preset): `NAME_replay CORPUS_DIR [MUTATIONS]`. A crash,
// a sanitizer report or an unexpected exception ends the program; exit 0 means every input was
// handled. scripts/fuzz.sh runs the real coverage-guided fuzzer.

#include "fuzz_target.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

namespace {

/// SplitMix64: a fixed sequence, so a failure is reproducible from the seed and the count.
struct prng {
  std::uint64_t state;
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30U)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27U)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31U);
  }
  std::size_t below(std::size_t n) { return n == 0 ? 0 : static_cast<std::size_t>(next() % n); }
};

// Tokens that have broken parsers before: huge, negative, fractional, non-finite, empty, deep.
const char* const kTokens[] = {"99999999999999999999",
                               "18446744073709551616",
                               "-1",
                               "1e30",
                               "-9.2e9",
                               "nan",
                               "inf",
                               "",
                               ",",
                               ",,",
                               "0",
                               "4000000000",
                               "null",
                               "[[[[[[[[",
                               "]]]]",
                               "{\"a\":",
                               "\"\\ud800\"",
                               "\n",
                               "--json\n-",
                               "-j\n",
                               "1180591620717411303424",
                               "true",
                               "1e-9"};

std::string mutate(std::string s, prng& rng) {
  const std::size_t edits = 1 + rng.below(4);
  for (std::size_t e = 0; e < edits; ++e) {
    const std::size_t at = rng.below(s.size() + 1);
    switch (rng.below(5)) {
      case 0:  // flip a bit
        if (!s.empty()) s[std::min(at, s.size() - 1)] ^= static_cast<char>(1U << rng.below(8));
        break;
      case 1:  // delete a stretch
        s.erase(std::min(at, s.size()), rng.below(16));
        break;
      case 2:  // insert a token
        s.insert(std::min(at, s.size()), kTokens[rng.below(std::size(kTokens))]);
        break;
      case 3:  // replace a number with a token
        if (const auto digit = s.find_first_of("0123456789", at); digit != std::string::npos) {
          const auto end = s.find_first_not_of("0123456789.e-", digit);
          s.replace(digit, (end == std::string::npos ? s.size() : end) - digit,
                    kTokens[rng.below(std::size(kTokens))]);
        }
        break;
      default:  // duplicate a stretch
        if (!s.empty()) s.insert(at, s.substr(rng.below(s.size()), rng.below(64)));
        break;
    }
  }
  return s;
}

void run(const std::string& input) {
  (void)LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(input.data()), input.size());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR [MUTATIONS]\n", argv[0]);
    return 2;
  }
  const long mutations = argc > 2 ? std::strtol(argv[2], nullptr, 10) : 2000;
  std::vector<std::string> seeds;
  for (const auto& entry : std::filesystem::directory_iterator(argv[1])) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    seeds.push_back(text.str());
  }
  if (seeds.empty()) {
    std::fprintf(stderr, "no seeds in %s\n", argv[1]);
    return 2;
  }
  for (const auto& s : seeds) run(s);
  prng rng{42};
  for (long i = 0; i < mutations; ++i) run(mutate(seeds[rng.below(seeds.size())], rng));
  std::printf("%zu seeds and %ld mutations handled\n", seeds.size(), mutations);
  return 0;
}
