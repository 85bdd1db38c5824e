#include "cli/outputs.hpp"

#include <parlab/output_file.hpp>
#include <parlab/pictures.hpp>
#include <parlab/printable.hpp>
#include <parlab/report.hpp>

#include <fmt/format.h>

#include "core/child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <span>
#include <stdexcept>

namespace parlab::cli {

void print_to(std::FILE* f, const std::string& s) {
  const std::string safe = printable(s, true);
  std::fwrite(safe.data(), 1, safe.size(), f);
  std::fflush(f);
}

void say(std::string_view line) {
  std::string safe = printable(line);  // one line, whatever it quotes
  safe += '\n';
  std::fwrite(safe.data(), 1, safe.size(), stderr);
  std::fflush(stderr);
}

void say_after_blank(std::string_view line) {
  std::fputc('\n', stderr);
  say(line);
}

namespace {

/// Appends what `fd` holds to `text` until its end, at most `max_bytes` in all. Each read waits
/// in poll_or_interrupt, so an interrupting signal ends a wait on a terminal or a pipe at once
/// (throws parlab::interrupted). False when it held more than `max_bytes`.
template <class Refuse>
bool read_all(int fd, std::string& text, std::uintmax_t max_bytes, const Refuse& refuse) {
  char buffer[1 << 16];
  for (;;) {
    pollfd ready{fd, POLLIN, 0};
    if (detail::poll_or_interrupt(std::span(&ready, 1), -1) <= 0) continue;
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n == 0) return true;
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      throw refuse(std::strerror(errno));
    }
    text.append(buffer, static_cast<std::size_t>(n));
    if (text.size() > max_bytes) return false;
  }
}

}  // namespace

std::string read_input_file(const std::string& path, std::uintmax_t max_bytes,
                            std::string_view command, std::string_view expected) {
  const auto refuse = [&](const std::string& why) {
    return usage_error(fmt::format("{}: cannot read '{}': {} (give {}, or - for standard input)",
                                   command, path, why, expected));
  };
  const std::string too_big = fmt::format("more than the {} bytes allowed", max_bytes);
  std::string text;
  if (path == "-") {
    if (!read_all(STDIN_FILENO, text, max_bytes, refuse)) throw refuse(too_big);
    return text;
  }
  // Opened without blocking (a FIFO's open would wait for a writer), then checked for what it is:
  // only a regular file is read - a FIFO, a device (/dev/zero never ends) or a socket is refused
  // at once, before a byte is read.
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) throw refuse(std::strerror(errno));
  struct closer {
    int fd;
    ~closer() { ::close(fd); }
  } close_it{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw refuse(std::strerror(errno));
  if (S_ISDIR(st.st_mode)) throw refuse("it is a directory");
  if (!S_ISREG(st.st_mode)) {
    const char* what = S_ISFIFO(st.st_mode)   ? "a FIFO"
                       : S_ISCHR(st.st_mode)  ? "a character device"
                       : S_ISBLK(st.st_mode)  ? "a block device"
                       : S_ISSOCK(st.st_mode) ? "a socket"
                                              : "not a file";
    throw refuse(fmt::format("it is {}, not a regular file", what));
  }
  if (static_cast<std::uintmax_t>(st.st_size) > max_bytes) {
    throw refuse(fmt::format("it has {} bytes, {}", st.st_size, too_big));
  }
  if (!read_all(fd, text, max_bytes, refuse)) throw refuse(too_big);
  return text;
}

void output_target::check(const char* option) const {
  if (!requested()) return;
  require_value(path, option, "a file path, or - for standard output");
  if (is_stdout()) return;
  try {
    check_writable(*path);
  } catch (const std::runtime_error& e) {
    throw usage_error(fmt::format("{}: {} (give a writable file path or -)", option, e.what()));
  }
}

void output_target::write(const std::string& text) const {
  if (!requested()) return;
  if (is_stdout()) {
    const std::size_t n = std::fwrite(text.data(), 1, text.size(), stdout);
    if (std::fflush(stdout) != 0 || n != text.size()) {
      throw std::runtime_error(std::string("cannot write to standard output: ") +
                               std::strerror(errno));
    }
    return;
  }
  write_file_atomically(*path, text);
}

outputs::outputs(const output_options& options)
    : json_{options.json},
      csv_{options.csv},
      trace_{options.trace},
      svg_{options.svg},
      report_{options.report} {
  std::string on_stdout;
  for (const auto& [target, option] : named()) {
    if (target->is_stdout()) {
      if (!on_stdout.empty()) {
        throw usage_error(
            fmt::format("{} and {} cannot both write to standard output (-)", on_stdout, option));
      }
      on_stdout = option;
    }
    target->check(option);
  }
}

std::FILE* outputs::human() const {
  for (const auto& [target, option] : named()) {
    if (target->is_stdout()) return stderr;
  }
  return stdout;
}

std::array<std::pair<const output_target*, const char*>, 5> outputs::named() const {
  return {{{&json_, "--json"},
           {&csv_, "--csv"},
           {&trace_, "--trace"},
           {&svg_, "--svg"},
           {&report_, "--report"}}};
}

void outputs::write(const machine_info& machine, const std::vector<measured_run>& rows,
                    const std::vector<std::string>& findings, bool interrupted) const {
  std::string failed;
  const auto attempt = [&](const output_target& target, auto&& make) {
    if (!target.requested()) return;  // (nothing is built that nobody asked for)
    try {
      target.write(make());
    } catch (const std::runtime_error& e) {
      failed += (failed.empty() ? "" : "; ") + std::string(e.what());
    }
  };
  attempt(json_, [&] { return to_json(machine, rows, 2, interrupted); });
  attempt(csv_, [&] { return to_csv(rows); });
  attempt(trace_, [&] { return to_chrome_trace(machine, rows); });
  attempt(svg_, [&] { return to_svg(rows); });
  attempt(report_, [&] { return to_html_report(machine, rows, findings); });
  if (!failed.empty()) throw std::runtime_error(failed);
}

}  // namespace parlab::cli
