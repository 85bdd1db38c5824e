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
#include <filesystem>
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

namespace {

/// What identifies the file at `path`: its device and inode when it is a regular file that
/// exists ({0, 0} for a device: any number of writes may share it), else its absolute path with
/// the directories' symbolic links resolved.
struct file_identity {
  dev_t dev = 0;
  ino_t ino = 0;
  std::string path;
  bool shareable = false;  // a device, a FIFO: writes there lose nothing

  bool operator==(const file_identity& o) const {
    if (shareable || o.shareable) return false;
    if (ino != 0 && o.ino != 0) return dev == o.dev && ino == o.ino;
    return path == o.path;
  }
};

file_identity identify(const std::string& path) {
  file_identity id;
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    if (!S_ISREG(st.st_mode)) {
      id.shareable = true;
      return id;
    }
    id.dev = st.st_dev;
    id.ino = st.st_ino;
    return id;
  }
  std::error_code ec;
  std::filesystem::path p =
      std::filesystem::weakly_canonical(std::filesystem::absolute(path, ec), ec);
  if (ec) p = std::filesystem::absolute(path, ec).lexically_normal();
  id.path = p.string();
  return id;
}

}  // namespace

void require_distinct_files(std::span<const std::pair<const char*, std::string>> outputs,
                            std::span<const named_input> inputs) {
  std::vector<file_identity> out_ids;
  for (const auto& [option, path] : outputs)
    out_ids.push_back(path == "-" ? file_identity{0, 0, {}, true} : identify(path));
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    for (const auto& in : inputs) {
      if (in.path == "-" || !(out_ids[i] == identify(in.path))) continue;
      throw usage_error(fmt::format("{} would overwrite {} '{}' (give the output another path)",
                                    outputs[i].first, in.what, in.path));
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (!(out_ids[i] == out_ids[j])) continue;
      throw usage_error(
          fmt::format("{} and {} name the same file '{}' (give each output its own path)",
                      outputs[j].first, outputs[i].first, outputs[i].second));
    }
  }
}

outputs::outputs(const output_options& options, std::span<const named_input> inputs)
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
  std::vector<std::pair<const char*, std::string>> files;
  for (const auto& [target, option] : named()) {
    if (target->requested()) files.emplace_back(option, *target->path);
  }
  require_distinct_files(files, inputs);
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
