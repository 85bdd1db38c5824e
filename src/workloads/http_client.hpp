#pragma once
// Internal: what the blocking and the asynchronous HTTP clients share, and the asynchronous one
// (the async executor awaits it on its event loop).

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without it

#include <parlab/http.hpp>

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace parlab::detail {

/// The request target for `bytes` bytes of the payload of `seed`: "/bytes?n=...&seed=...".
[[nodiscard]] std::string download_target(std::uint64_t bytes, std::uint64_t seed);

/// Checks a response (status, X-Checksum header, body) against the request for `bytes` bytes;
/// returns the checksum or throws std::runtime_error naming the mismatch.
std::uint64_t verify_download(unsigned status, std::string_view checksum_header,
                              std::string_view body, std::uint64_t bytes);

/// http_download() on an event loop: connects, sends and reads asynchronously.
boost::asio::awaitable<std::uint64_t> async_http_download(
    std::uint16_t port, std::uint64_t bytes, std::uint64_t seed,
    std::chrono::milliseconds stall_timeout = download_stall_timeout);

}  // namespace parlab::detail
