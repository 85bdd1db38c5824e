// race_condition: an unsynchronised shared counter loses updates; a mutex or an atomic fixes it.
//
// Claim: two threads adding 1 to a shared counter a million times each do not reach two million
// unless the increments are synchronised. "counter = counter + 1" is a load, an add and a store;
// when both threads load the same value, one of the two increments is lost:
//
//   thread 1   load 7 ............ store 8
//   thread 2         load 7 ........... store 8      (two increments, counter + 1)
//
// Whether updates are lost depends on scheduling, so the example runs several trials (more, up
// to 200, until one loses an update, when the first five do not) and the
// claim holds if any of them lost updates (on a single free core it may take several). A
// std::mutex around the increment, or a std::atomic fetch_add, never loses one - at a cost,
// measured below. The data race is undefined behaviour in C++; the tsan preset's
// ThreadSanitizer reports it (the CTest run under tsan expects exactly that report).
//
// Run: race_condition [--quick]

#include "example.hpp"

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <latch>
#include <mutex>
#include <thread>

namespace parlab::examples {
namespace {

// volatile keeps one load and one store per increment (as an unoptimised build would); it does
// not make the increment atomic.
volatile long unsafe_counter = 0;
long locked_counter = 0;
std::mutex counter_mutex;
std::atomic<long> atomic_counter{0};

/// Runs `increment` `n` times on each of two threads started together; returns the seconds taken.
double on_two_threads(long n, const std::function<void()>& increment) {
  std::latch start(2);
  const auto t0 = std::chrono::steady_clock::now();
  auto body = [&] {
    start.arrive_and_wait();  // both threads begin at once, so their increments overlap
    for (long i = 0; i < n; ++i) increment();
  };
  std::thread a(body), b(body);
  a.join();
  b.join();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int race_condition(int argc, char** argv) {
  const options opts = parse_options(argc, argv, pictures::none);
  state_claim("race_condition",
              "an unsynchronised shared counter loses updates; std::mutex and std::atomic do not");
  const long n = opts.quick ? 300'000 : 1'000'000;  // increments per thread
  // Five trials are shown. Losses need the two threads on two cores at the same instant (or a
  // preemption inside one increment), so when none of the five lost anything - on a busy
  // machine one thread may have the core to itself - more trials run until one does, up to 200.
  const int shown = 5;
  const int at_most = 200;

  int trials = 0;
  int trials_with_losses = 0;
  long most_lost = 0;
  double unsafe_seconds = 0.0;
  while (trials < shown || (trials_with_losses == 0 && trials < at_most)) {
    unsafe_counter = 0;
    unsafe_seconds += on_two_threads(n, [] { unsafe_counter = unsafe_counter + 1; });
    const long lost = 2 * n - unsafe_counter;
    ++trials;
    if (trials <= shown) {
      evidence(fmt::format("trial {}: unsynchronised counter = {} of {} ({} updates lost)", trials,
                           static_cast<long>(unsafe_counter), 2 * n, lost));
    }
    if (lost > 0) ++trials_with_losses;
    most_lost = std::max(most_lost, lost);
  }
  if (trials > shown) {
    evidence(fmt::format("none of the first {} lost an update: {} trials in all until one did",
                         shown, trials));
  }

  const double mutex_seconds = on_two_threads(n, [] {
    const std::lock_guard<std::mutex> hold(counter_mutex);
    locked_counter = locked_counter + 1;
  });
  const double atomic_seconds =
      on_two_threads(n, [] { atomic_counter.fetch_add(1, std::memory_order_relaxed); });
  evidence(fmt::format("std::mutex:  counter = {} of {} ({:.1f} ns per increment)", locked_counter,
                       2 * n, mutex_seconds * 1e9 / static_cast<double>(2 * n)));
  evidence(fmt::format("std::atomic: counter = {} of {} ({:.1f} ns per increment)",
                       atomic_counter.load(), 2 * n,
                       atomic_seconds * 1e9 / static_cast<double>(2 * n)));
  evidence(
      fmt::format("unsynchronised: {:.1f} ns per increment, wrong in {} of {} trials (at "
                  "most {} lost)",
                  unsafe_seconds * 1e9 / static_cast<double>(2 * n * trials), trials_with_losses,
                  trials, most_lost));

  const bool lost_some = trials_with_losses > 0;
  const bool fixed = locked_counter == 2 * n && atomic_counter.load() == 2 * n;
  return conclude(lost_some && fixed,
                  !lost_some ? "no trial of 200 lost an update this time (scheduling decides)"
                             : "a synchronised counter lost updates");
}

}  // namespace parlab::examples
