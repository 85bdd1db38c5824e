// multithreading: a UI thread stays responsive while another thread of the same process
// downloads.
//
// Claim: a UI loop that must tick every 16 ms keeps ticking on time while a second thread
// downloads a file (the download mostly waits on the socket, and the two threads share the
// process's memory, so the result is simply there when it is done). Doing the same download on
// the UI thread freezes the UI for as long as the download takes.
//
//   download on its own thread             download on the UI thread
//   UI        |t|t|t|t|t|t|t|t|t|t|        UI   |t|download..............|t|t|
//   download  |~~~~~~ waiting ~~~~~|                   (no tick for ~0.5 s)
//
// The lesson is the API, so this is plain std::thread; the file comes from parlab's loopback
// HTTP server (a child process answering after a latency, at a limited bandwidth).
//
// Run: multithreading [--quick]

#include "example.hpp"

#include <parlab/clock.hpp>
#include <parlab/http.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace parlab::examples {
namespace {

using namespace std::chrono_literals;
constexpr auto tick_period = 16ms;  // a 60 Hz frame

/// What a UI loop saw: how late each tick was, and the longest time between two ticks (while it
/// lasts, nothing is drawn and no input is handled).
struct ui_ticks {
  std::vector<double> lateness_ms;
  double longest_gap_ms = 0.0;
  [[nodiscard]] double median_lateness() const {
    auto v = lateness_ms;
    std::sort(v.begin(), v.end());
    return v.empty() ? 0.0 : v[v.size() / 2];
  }
};

/// Ticks every 16 ms until `done()` (at least `min_ticks` times), calling `on_tick(k)` each time.
template <class Done, class OnTick>
ui_ticks run_ui_loop(int min_ticks, Done done, OnTick on_tick) {
  using ms = std::chrono::duration<double, std::milli>;
  ui_ticks ticks;
  auto next = std::chrono::steady_clock::now() + tick_period;
  auto previous = next - tick_period;
  for (int k = 0; k < min_ticks || !done(); ++k) {
    std::this_thread::sleep_until(next);
    const auto now = std::chrono::steady_clock::now();
    ticks.lateness_ms.push_back(ms(now - next).count());
    ticks.longest_gap_ms = std::max(ticks.longest_gap_ms, ms(now - previous).count());
    previous = now;
    on_tick(k);  // redraw, handle input... (here: maybe the download)
    next += tick_period;
    while (next < std::chrono::steady_clock::now())
      next += tick_period;  // frames missed while frozen are skipped, not queued
  }
  return ticks;
}

}  // namespace

int multithreading(int argc, char** argv) {
  const options opts = parse_options(argc, argv, pictures::none);
  state_claim("multithreading",
              "a UI loop ticking every 16 ms stays responsive while another thread downloads; "
              "downloading on the UI thread freezes it");

  // The server forks, so it starts before this process has any other thread.
  const loopback_http_server server({.latency = 50ms, .bandwidth_bytes_per_second = 2ULL << 20U});
  const std::uint64_t bytes = opts.quick ? (512ULL << 10U) : (1ULL << 20U);  // ~0.3 / ~0.55 s

  // 1. The download runs on its own thread; the UI thread only looks at a flag.
  std::atomic<bool> downloaded{false};
  std::uint64_t checksum = 0;  // written by the download thread, read after join
  const std::int64_t t0 = monotonic_ns();
  std::thread download([&] {
    checksum = http_download(server.port(), bytes, /*seed=*/1);
    downloaded.store(true, std::memory_order_release);
  });
  const ui_ticks with_thread = run_ui_loop(
      10, [&] { return downloaded.load(std::memory_order_acquire); }, [](int) {});
  download.join();
  const double thread_download_ms = to_seconds(monotonic_ns() - t0) * 1e3;

  // 2. The same download on the UI thread, at the third tick.
  double inline_download_ms = 0.0;
  const ui_ticks on_ui_thread = run_ui_loop(
      10, [] { return true; },
      [&](int k) {
        if (k != 2) return;
        const std::int64_t start = monotonic_ns();
        checksum ^= http_download(server.port(), bytes, /*seed=*/1);
        inline_download_ms = to_seconds(monotonic_ns() - start) * 1e3;
      });

  evidence(
      fmt::format("download of {} KiB from the loopback server: {:.0f} ms on its own thread, "
                  "{:.0f} ms on the UI thread (checksums verified)",
                  bytes >> 10U, thread_download_ms, inline_download_ms));
  evidence(fmt::format(
      "download on its own thread: {} ticks, median {:.2f} ms late, longest "
      "time between two ticks {:.1f} ms",
      with_thread.lateness_ms.size(), with_thread.median_lateness(), with_thread.longest_gap_ms));
  evidence(
      fmt::format("download on the UI thread:  {} ticks, longest time between two ticks "
                  "{:.1f} ms (frozen: nothing drawn, no input handled)",
                  on_ui_thread.lateness_ms.size(), on_ui_thread.longest_gap_ms));

  // Generous bounds: a shared 2-core machine may delay a tick now and then.
  const bool responsive = with_thread.longest_gap_ms < 100.0 &&
                          with_thread.longest_gap_ms * 3 < on_ui_thread.longest_gap_ms;
  const bool froze = on_ui_thread.longest_gap_ms > 0.8 * inline_download_ms;
  return conclude(responsive && froze, !responsive ? "the UI was late even with a download thread"
                                                   : "the UI thread did not freeze");
}

}  // namespace parlab::examples
