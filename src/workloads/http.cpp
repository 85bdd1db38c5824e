// http: I/O-bound tasks on real I/O. Each downloads `size` KiB from a loopback HTTP server the
// workload starts (latency and bandwidth set by http_server_options), verifies the bytes' checksum,
// then does one unit of work on them. Blocking models block in the socket read (the download
// step's handler, which this workload installs); the async model awaits its own asynchronous
// client. The server stops when the last copy of the tasks is gone.

#include "workloads/generators.hpp"

#include <memory>

namespace parlab::detail {

void install_download_step() {
  register_step_handler(
      step_kind::download,
      [](task_context&, const step& s, std::uint64_t seed) {
        return http_download(s.port, s.amount, seed,
                             s.stall_timeout_ms > 0 ? std::chrono::milliseconds(s.stall_timeout_ms)
                                                    : download_stall_timeout);
      },
      /*waits=*/true);
}

std::vector<task> make_http_tasks(std::size_t tasks, std::uint64_t size, std::uint64_t seed,
                                  const http_server_options& server) {
  auto running = std::make_shared<const loopback_http_server>(server);
  std::vector<task> out =
      make_batch("http", tasks, seed,
                 {{step_kind::download, size * 1024, running->port(),
                   static_cast<std::uint32_t>(stall_timeout_for(server).count())},
                  {step_kind::compute, 1}});
  for (auto& t : out) t.keep_alive = running;
  return out;
}

}  // namespace parlab::detail
