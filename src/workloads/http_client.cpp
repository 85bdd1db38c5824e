// The HTTP client of the download step (Boost.Beast): an asynchronous one for the event loop,
// which the blocking call of the thread and process models runs on a loop of its own, plus the
// payload both sides agree on. No operation waits longer than the stall timeout.

#include <parlab/http.hpp>

#include "core/splitmix.hpp"
#include "workloads/http_client.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include <charconv>
#include <cstring>
#include <exception>
#include <stdexcept>

namespace parlab {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

std::uint64_t payload_checksum(std::span<const char> bytes) noexcept {
  std::uint64_t h = 0xCBF29CE484222325ULL ^ bytes.size();
  std::size_t i = 0;
  for (; i + 8 <= bytes.size(); i += 8) {
    std::uint64_t word = 0;
    std::memcpy(&word, bytes.data() + i, 8);
    h = (h ^ word) * 0x100000001B3ULL;
    h ^= h >> 29U;
  }
  for (; i < bytes.size(); ++i) h = (h ^ static_cast<unsigned char>(bytes[i])) * 0x100000001B3ULL;
  return detail::splitmix64(h);
}

void fill_payload(std::span<char> out, std::uint64_t seed) noexcept {
  std::uint64_t state = seed;
  for (std::size_t i = 0; i < out.size(); i += 8) {
    state += detail::splitmix64_step;
    const std::uint64_t word = detail::splitmix64(state);
    std::memcpy(out.data() + i, &word, std::min<std::size_t>(8, out.size() - i));
  }
}

namespace detail {
namespace {

/// A request for the payload, and a parser that accepts exactly that much body (plus one byte,
/// so a longer body is caught as such, not as a parse error).
http::request<http::empty_body> make_request(std::uint64_t bytes, std::uint64_t seed) {
  http::request<http::empty_body> req{http::verb::get, download_target(bytes, seed), 11};
  req.set(http::field::host, "127.0.0.1");
  req.set(http::field::user_agent, "parlab");
  return req;
}

std::runtime_error download_error(std::uint16_t port, const boost::system::system_error& e) {
  return std::runtime_error("download from 127.0.0.1:" + std::to_string(port) +
                            " failed: " + e.code().message());
}

void limit(http::response_parser<http::string_body>& parser, std::uint64_t bytes) {
  parser.body_limit(bytes + 1);
}

std::uint64_t verify(http::response_parser<http::string_body>& parser, std::uint64_t bytes) {
  const auto& res = parser.get();
  const auto header = res["X-Checksum"];
  return verify_download(res.result_int(), std::string_view(header.data(), header.size()),
                         res.body(), bytes);
}

}  // namespace

std::string download_target(std::uint64_t bytes, std::uint64_t seed) {
  return "/bytes?n=" + std::to_string(bytes) + "&seed=" + std::to_string(seed);
}

std::uint64_t verify_download(unsigned status, std::string_view checksum_header,
                              std::string_view body, std::uint64_t bytes) {
  if (status != 200) {
    throw std::runtime_error("download failed: HTTP status " + std::to_string(status));
  }
  if (body.size() != bytes) {
    throw std::runtime_error("download failed: got " + std::to_string(body.size()) +
                             " bytes, expected " + std::to_string(bytes));
  }
  std::uint64_t announced = 0;
  const auto [end, ec] = std::from_chars(
      checksum_header.data(), checksum_header.data() + checksum_header.size(), announced);
  if (ec != std::errc{} || end != checksum_header.data() + checksum_header.size()) {
    throw std::runtime_error("download failed: no valid X-Checksum header");
  }
  const std::uint64_t got = payload_checksum(body);
  if (got != announced) throw std::runtime_error("download failed: checksum mismatch");
  return got;
}

asio::awaitable<std::uint64_t> async_http_download(std::uint16_t port, std::uint64_t bytes,
                                                   std::uint64_t seed,
                                                   std::chrono::milliseconds stall_timeout) {
  http::response_parser<http::string_body> parser;
  limit(parser, bytes);
  try {
    // Every operation gets `stall_timeout` from its start: a server that stops answering ends
    // the download with an error instead of holding the task for ever.
    boost::beast::tcp_stream stream(co_await asio::this_coro::executor);
    stream.expires_after(stall_timeout);
    co_await stream.async_connect(tcp::endpoint{asio::ip::address_v4::loopback(), port},
                                  asio::use_awaitable);
    const auto req = make_request(bytes, seed);
    stream.expires_after(stall_timeout);
    co_await http::async_write(stream, req, asio::use_awaitable);
    boost::beast::flat_buffer buffer;
    while (!parser.is_done()) {
      stream.expires_after(stall_timeout);
      co_await http::async_read_some(stream, buffer, parser, asio::use_awaitable);
    }
  } catch (const boost::system::system_error& e) {
    if (e.code() == boost::beast::error::timeout) {
      throw std::runtime_error("download from 127.0.0.1:" + std::to_string(port) +
                               " failed: no progress for " + std::to_string(stall_timeout.count()) +
                               " ms");
    }
    throw download_error(port, e);
  }
  co_return verify(parser, bytes);
}

}  // namespace detail

std::uint64_t http_download(std::uint16_t port, std::uint64_t bytes, std::uint64_t seed,
                            std::chrono::milliseconds stall_timeout) {
  // The asynchronous client on a loop of this thread's own: one client, and its timeouts.
  asio::io_context io(1);
  std::uint64_t checksum = 0;
  std::exception_ptr failure;
  asio::co_spawn(io, detail::async_http_download(port, bytes, seed, stall_timeout),
                 [&](std::exception_ptr e, std::uint64_t value) {
                   failure = e;
                   checksum = value;
                 });
  io.run();
  if (failure) std::rethrow_exception(failure);
  return checksum;
}

}  // namespace parlab
