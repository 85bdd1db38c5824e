// The loopback HTTP server of the `http` workload: a child process with one Boost.Beast event
// loop. Each connection is a coroutine: read the request, wait the latency on a timer, send the
// header, then the body in chunks paced to the bandwidth. One thread serves every connection, so
// the server never becomes the bottleneck of a run with many downloads in flight.

#include <parlab/http.hpp>

#include "core/child_process.hpp"
#include "workloads/generators.hpp"

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without it

#include <signal.h>
#include <unistd.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace parlab {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

constexpr std::size_t kChunk = 16 * 1024;
constexpr std::uint64_t kMaxBytes = std::uint64_t{1} << 30U;  // 1 GiB per response at most

/// The value of `key` in a query string "a=1&b=2", if it is a number.
std::optional<std::uint64_t> query_number(std::string_view target, std::string_view key) {
  const auto q = target.find('?');
  if (q == std::string_view::npos) return std::nullopt;
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    if (pair.size() > key.size() && pair.substr(0, key.size()) == key && pair[key.size()] == '=') {
      std::uint64_t v = 0;
      const char* first = pair.data() + key.size() + 1;
      const char* last = pair.data() + pair.size();
      const auto [end, ec] = std::from_chars(first, last, v);
      if (ec == std::errc{} && end == last) return v;
      return std::nullopt;
    }
    if (amp == std::string_view::npos) break;
    rest = rest.substr(amp + 1);
  }
  return std::nullopt;
}

asio::awaitable<void> reply_error(tcp::socket& socket, unsigned version, std::string why) {
  http::response<http::string_body> res{http::status::bad_request, version};
  res.set(http::field::content_type, "text/plain");
  res.keep_alive(false);
  res.body() = std::move(why) + "\n";
  res.prepare_payload();
  co_await http::async_write(socket, res, asio::use_awaitable);
}

/// One connection: one request, one response, then close.
asio::awaitable<void> serve(tcp::socket socket, http_server_options options) {
  try {
    boost::beast::flat_buffer buffer;
    http::request<http::empty_body> req;
    co_await http::async_read(socket, buffer, req, asio::use_awaitable);
    const std::string_view target(req.target().data(), req.target().size());
    const auto n = query_number(target, "n");
    const auto seed = query_number(target, "seed");
    if (req.method() != http::verb::get || target.substr(0, 7) != "/bytes?" || !n || !seed ||
        *n > kMaxBytes) {
      co_await reply_error(socket, req.version(),
                           "expected GET /bytes?n=BYTES&seed=SEED with BYTES at most 2^30");
      co_return;
    }
    std::vector<char> body(*n);
    fill_payload(body, *seed);

    asio::steady_timer timer(socket.get_executor());
    timer.expires_after(options.latency);
    co_await timer.async_wait(asio::use_awaitable);

    http::response<http::empty_body> res{http::status::ok, req.version()};
    res.set(http::field::content_type, "application/octet-stream");
    res.set("X-Checksum", std::to_string(payload_checksum(body)));
    res.content_length(*n);
    res.keep_alive(false);
    http::response_serializer<http::empty_body> header(res);
    co_await http::async_write_header(socket, header, asio::use_awaitable);

    // Paced against the start: chunk k leaves no earlier than k * chunk / bandwidth.
    const auto started = std::chrono::steady_clock::now();
    for (std::size_t sent = 0; sent < body.size();) {
      const std::size_t len = std::min(kChunk, body.size() - sent);
      co_await asio::async_write(socket, asio::buffer(body.data() + sent, len),
                                 asio::use_awaitable);
      sent += len;
      if (options.bandwidth_bytes_per_second != 0 && sent < body.size()) {
        timer.expires_at(started + std::chrono::nanoseconds(static_cast<std::int64_t>(
                                       static_cast<double>(sent) * 1e9 /
                                       static_cast<double>(options.bandwidth_bytes_per_second))));
        co_await timer.async_wait(asio::use_awaitable);
      }
    }
    boost::system::error_code ignored;
    socket.shutdown(tcp::socket::shutdown_send, ignored);
  } catch (const boost::system::system_error&) {
    // The client went away: nothing to report, the server carries on.
  }
}

/// Accepts until the loop stops. Out of descriptors or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM)
/// is a pause, not the end: the connection waits in the listen backlog while the connections
/// being served end and give their descriptors back; a connection that failed before it was
/// accepted (ECONNABORTED) is simply gone.
asio::awaitable<void> accept_forever(tcp::acceptor& acceptor, http_server_options options) {
  asio::steady_timer pause(acceptor.get_executor());
  for (;;) {
    boost::system::error_code ec;
    tcp::socket socket =
        co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (!ec) {
      asio::co_spawn(acceptor.get_executor(), serve(std::move(socket), options), asio::detached);
      continue;
    }
    // The kernel's accept(2) errors, as errno values.
    const int why = ec.value();
    if (why == ECANCELED || why == EBADF) co_return;  // the acceptor is closing
    if (why != ECONNABORTED) {
      pause.expires_after(std::chrono::milliseconds(5));
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }
}

/// The server process: binds, reports its port through `port_out`, serves until SIGTERM.
int server_main(int port_out, const http_server_options& options) {
  asio::io_context io(1);
  tcp::acceptor acceptor(io, {asio::ip::address_v4::loopback(), 0});
  acceptor.listen(asio::socket_base::max_listen_connections);
  const auto port = acceptor.local_endpoint().port();
  (void)detail::write_all(port_out, reinterpret_cast<const char*>(&port), sizeof port);
  ::close(port_out);
  asio::signal_set stop(io, SIGTERM, SIGINT);
  stop.async_wait([&](const boost::system::error_code&, int) { io.stop(); });
  asio::co_spawn(io, accept_forever(acceptor, options), asio::detached);
  io.run();
  return 0;
}

}  // namespace

std::chrono::milliseconds stall_timeout_for(const http_server_options& options) noexcept {
  std::chrono::milliseconds chunk_time{0};
  if (options.bandwidth_bytes_per_second != 0) {
    chunk_time = std::chrono::milliseconds(kChunk * 1000 / options.bandwidth_bytes_per_second + 1);
  }
  return options.latency + 2 * chunk_time + download_stall_timeout;
}

loopback_http_server::loopback_http_server(const http_server_options& options)
    : options_(options), owner_(::getpid()) {
  detail::install_download_step();  // whoever has a server's port may make download steps
  server_ = std::make_unique<detail::child_process>(
      "the loopback HTTP server", detail::child_channels{},
      [&](const detail::child_process::ends& ends) { return server_main(ends.reports, options_); });
  std::uint16_t port = 0;
  const bool got = detail::read_exactly(server_->reports_fd(), &port, sizeof port);
  server_->close_reports();
  if (!got || port == 0) {
    server_->kill(SIGKILL);
    const detail::child_exit how = server_->wait();
    throw std::runtime_error("loopback HTTP server did not start (" +
                             detail::describe_exit(how, "server process") + ")");
  }
  port_ = port;
}

loopback_http_server::~loopback_http_server() {
  if (::getpid() != owner_) {
    (void)server_.release();  // a forked copy: the server is not ours to stop or reap
    return;
  }
  (void)server_->stop(std::chrono::seconds(2));
}

std::int64_t loopback_http_server::pid() const noexcept { return server_->pid(); }

}  // namespace parlab
