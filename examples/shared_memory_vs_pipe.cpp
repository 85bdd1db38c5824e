// shared_memory_vs_pipe: two ways for processes to exchange data, and what each costs.
//
// Claim: processes share nothing by default, so to hand data over they either pass messages
// through the kernel (a pipe: the sender's bytes are copied into the kernel and out again, with
// a system call per chunk) or map the same memory (a MAP_SHARED mapping: the receiver reads what
// the sender wrote, with no copy by the kernel, but the two must agree on when it is ready -
// here a one-byte message on a pipe). Both deliver the same bytes; for bulk data the shared
// mapping is faster.
//
//   pipe     child: write() -> [kernel buffer] -> read(): parent      (two copies, many calls)
//   shared   child: memcpy -> [shared pages] <- parent reads in place (one copy, one message)
//
// The lesson is the API: fork, pipe, mmap(MAP_SHARED).
//
// Run: shared_memory_vs_pipe [--quick]

#include "example.hpp"

#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace parlab::examples {
namespace {

/// The bytes the sender sends: a fixed pattern, so the receiver can check them.
void fill_pattern(std::vector<char>& out) {
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i] = static_cast<char>((i * 2654435761U) >> 13U);
  }
}

std::uint64_t checksum(const char* data, std::size_t n) {
  std::uint64_t h = 1469598103934665603ULL;  // FNV-1a over 8-byte words
  for (std::size_t i = 0; i + 8 <= n; i += 8) {
    std::uint64_t w;
    std::memcpy(&w, data + i, 8);
    h = (h ^ w) * 1099511628211ULL;
  }
  return h;
}

void write_all(int fd, const char* data, std::size_t n) {
  while (n > 0) {
    const ssize_t w = ::write(fd, data, std::min<std::size_t>(n, 1U << 16U));
    if (w <= 0) ::_exit(1);
    data += w;
    n -= static_cast<std::size_t>(w);
  }
}

bool read_all(int fd, char* data, std::size_t n) {
  while (n > 0) {
    const ssize_t r = ::read(fd, data, std::min<std::size_t>(n, 1U << 16U));
    if (r <= 0) return false;
    data += r;
    n -= static_cast<std::size_t>(r);
  }
  return true;
}

/// The channels between the two processes.
struct channels {
  int commands[2];  // parent -> sender: 'p' (send through the pipe) or 's' (through the mapping)
  int data[2];      // sender -> parent: the bytes, when sent through the pipe
  int done[2];      // sender -> parent: one byte, "the mapping holds the bytes"
  char* shared;     // MAP_SHARED: the same pages in both processes
};

/// The sending process: fills its own buffer once, then obeys commands until end of file.
[[noreturn]] void sender(const channels& c, std::size_t bytes) {
  ::close(c.commands[1]);  // else this process would hold its own command pipe open forever
  ::close(c.data[0]);
  ::close(c.done[0]);
  std::vector<char> source(bytes);
  fill_pattern(source);
  char command = 0;
  while (::read(c.commands[0], &command, 1) == 1) {
    if (command == 'p') {
      write_all(c.data[1], source.data(), bytes);
    } else {
      std::memcpy(c.shared, source.data(), bytes);
      write_all(c.done[1], "d", 1);  // the write orders the memcpy before the parent's read
    }
  }
  ::_exit(0);
}

double median_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int shared_memory_vs_pipe(int argc, char** argv) {
  const options opts = parse_options(argc, argv, pictures::none);
  state_claim("shared_memory_vs_pipe",
              "processes exchange data by messages (pipe) or by a shared mapping; both deliver "
              "the same bytes, the mapping is faster for bulk data");
  const std::size_t bytes = (opts.quick ? 16U : 64U) << 20U;

  channels c{};
  c.shared = static_cast<char*>(
      ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  if (c.shared == MAP_FAILED) throw std::runtime_error("mmap failed");
  if (::pipe(c.commands) != 0 || ::pipe(c.data) != 0 || ::pipe(c.done) != 0) {
    throw std::runtime_error("pipe failed");
  }
  // One long-lived sender, forked before this process holds any large buffer (so neither side
  // pays copy-on-write faults): what is timed is the hand-over, not fork or first touch.
  const pid_t child = ::fork();
  if (child < 0) throw std::runtime_error("fork failed");
  if (child == 0) sender(c, bytes);
  ::close(c.commands[0]);
  ::close(c.data[1]);
  ::close(c.done[1]);

  std::vector<char> received(bytes, 0);
  const auto timed = [&](char command) {
    const auto t0 = std::chrono::steady_clock::now();
    char byte = 0;
    const bool ok = ::write(c.commands[1], &command, 1) == 1 &&
                    (command == 'p' ? read_all(c.data[0], received.data(), bytes)
                                    : ::read(c.done[0], &byte, 1) == 1);
    if (!ok) throw std::runtime_error("the sender stopped");
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  // The first round of each fills page tables (the sender's first touch of the shared pages);
  // the median of the next five is the steady cost. Interleaved, so a noisy moment hurts both.
  const double first_pipe = timed('p');
  const double first_shared = timed('s');
  std::vector<double> pipe_s, shared_s;
  for (int i = 0; i < 5; ++i) {
    pipe_s.push_back(timed('p'));
    shared_s.push_back(timed('s'));
  }
  ::close(c.commands[1]);  // the sender reads end of file and exits
  int status = 0;
  ::waitpid(child, &status, 0);
  ::close(c.data[0]);
  ::close(c.done[0]);

  std::vector<char> want(bytes);
  fill_pattern(want);
  const std::uint64_t expected = checksum(want.data(), bytes);
  const bool pipe_intact = checksum(received.data(), bytes) == expected;
  const bool shared_intact = checksum(c.shared, bytes) == expected;
  ::munmap(c.shared, bytes);

  const double mib = static_cast<double>(bytes >> 20U);
  const double p = median_of(pipe_s), s = median_of(shared_s);
  evidence(
      fmt::format("{:.0f} MiB from a child to its parent, median of 5 after a first round:", mib));
  evidence(fmt::format("pipe:           {:7.1f} ms ({:5.0f} MiB/s), bytes intact: {}", p * 1e3,
                       mib / p, pipe_intact ? "yes" : "NO"));
  evidence(fmt::format("shared mapping: {:7.1f} ms ({:5.0f} MiB/s), bytes intact: {}", s * 1e3,
                       mib / s, shared_intact ? "yes" : "NO"));
  evidence(
      fmt::format("the shared mapping was {:.2f}x faster (first rounds: pipe {:.1f} ms, "
                  "shared {:.1f} ms, paying for first touches of fresh pages)",
                  p / s, first_pipe * 1e3, first_shared * 1e3));

  return conclude(pipe_intact && shared_intact && s < p, !(pipe_intact && shared_intact)
                                                             ? "the bytes arrived damaged"
                                                             : "the pipe was faster this time");
}

}  // namespace parlab::examples
