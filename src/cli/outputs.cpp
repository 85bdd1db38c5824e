#include "cli/outputs.hpp"

#include <parlab/output_file.hpp>
#include <parlab/pictures.hpp>
#include <parlab/report.hpp>

#include <fmt/format.h>

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace parlab::cli {

void print_to(std::FILE* f, const std::string& s) {
  std::fputs(s.c_str(), f);
  std::fflush(f);
}

std::string read_input_file(const std::string& path, std::uintmax_t max_bytes,
                            std::string_view command, std::string_view expected) {
  const auto refuse = [&](const std::string& why) {
    return usage_error(
        fmt::format("{}: cannot read '{}': {} (give {})", command, path, why, expected));
  };
  const std::string too_big = fmt::format("more than the {} bytes allowed", max_bytes);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw refuse(std::strerror(errno));
  if (S_ISDIR(st.st_mode)) throw refuse("it is a directory");
  if (S_ISREG(st.st_mode) && static_cast<std::uintmax_t>(st.st_size) > max_bytes) {
    throw refuse(fmt::format("it has {} bytes, {}", st.st_size, too_big));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw refuse(std::strerror(errno));
  std::string text;
  char buffer[1 << 16];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    text.append(buffer, static_cast<std::size_t>(in.gcount()));
    if (text.size() > max_bytes) throw refuse(too_big);
  }
  if (in.bad()) throw refuse("a read error");
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
