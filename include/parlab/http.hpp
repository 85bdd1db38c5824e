#pragma once
/// @file The loopback HTTP server the `http` workload downloads from, and its blocking client.
///
/// The server is a child process running one Boost.Beast event loop on 127.0.0.1 (an ephemeral
/// port). `GET /bytes?n=N&seed=S` answers, after the configured latency, with N bytes generated
/// from S, paced to the configured bandwidth per connection, and an `X-Checksum` header; clients
/// check length and checksum, so a download proves its bytes arrived intact.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

namespace parlab {
namespace detail {
class child_process;
}

/// How the loopback server answers.
struct http_server_options {
  std::chrono::milliseconds latency{20};  ///< before the first byte of every response
  /// Bytes per second per connection; 0 sends as fast as the loopback goes.
  std::uint64_t bandwidth_bytes_per_second = 8ULL << 20U;
};

/// A loopback HTTP server in a child process. Starts in the constructor (throws
/// std::runtime_error when it cannot, std::logic_error when other threads are running: it forks),
/// stops (SIGTERM, reaped) in the destructor. The child dies with the thread that started it
/// (PR_SET_PDEATHSIG), so it never outlives parlab. Not copyable or movable.
class loopback_http_server {
 public:
  explicit loopback_http_server(const http_server_options& options = {});
  ~loopback_http_server();
  loopback_http_server(const loopback_http_server&) = delete;
  loopback_http_server& operator=(const loopback_http_server&) = delete;

  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
  /// The server's process id.
  [[nodiscard]] std::int64_t pid() const noexcept;
  [[nodiscard]] const http_server_options& options() const noexcept { return options_; }

 private:
  http_server_options options_;
  std::unique_ptr<detail::child_process> server_;
  std::int64_t owner_ = -1;  // only the process that started the server stops it (not copies)
  std::uint16_t port_ = 0;
};

/// The checksum of a payload (64-bit, order-sensitive). Pure.
[[nodiscard]] std::uint64_t payload_checksum(std::span<const char> bytes) noexcept;

/// Fills `out` with the payload the server sends for `seed` (deterministic). Pure.
void fill_payload(std::span<char> out, std::uint64_t seed) noexcept;

/// How long a download waits for any one step (connect, send, each read) before it fails with
/// "no progress", when nothing more is known of the server.
inline constexpr std::chrono::milliseconds download_stall_timeout{30'000};

/// The stall timeout for downloads from a server answering with `options`: its latency plus twice
/// the time one 16 KiB chunk takes at its bandwidth, plus download_stall_timeout. Pure.
[[nodiscard]] std::chrono::milliseconds stall_timeout_for(
    const http_server_options& options) noexcept;

/// Downloads `bytes` bytes for `seed` from the loopback server on `port`, blocking the calling
/// thread, and checks length and checksum; returns the checksum. Throws std::runtime_error
/// naming what went wrong (connection refused, no progress for `stall_timeout`, a short or
/// corrupted body, a non-200 status).
[[nodiscard]] std::uint64_t http_download(
    std::uint16_t port, std::uint64_t bytes, std::uint64_t seed,
    std::chrono::milliseconds stall_timeout = download_stall_timeout);

}  // namespace parlab
