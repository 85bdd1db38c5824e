#pragma once
// Internal: where a command's documents go. Every file is checked before anything runs (creating
// nothing) and written atomically at the end (parlab::write_file_atomically); "-" is standard
// output, at most one document per command may go there, and the human-readable text then goes
// to standard error.

#include "cli/options.hpp"

#include <parlab/experiment.hpp>
#include <parlab/machine.hpp>

#include <array>
#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace parlab::cli {

/// Prints and flushes, every byte a terminal would act on but newline and tab escaped
/// (printable): text made of a saved result's names, a program's thread names, a file's values.
void print_to(std::FILE* f, const std::string& s);

/// One line on standard error (a newline added), escaped as print_to does and its newlines too
/// (a quoted value cannot break the line); say_after_blank puts
/// an empty line first (after a table or a ^C on the terminal).
void say(std::string_view line);
void say_after_blank(std::string_view line);

/// The largest saved result `parlab report` and `parlab compare` read (1 GiB).
inline constexpr std::uintmax_t kMaxResultBytes = std::uintmax_t{1} << 30U;

/// The text of an input file a command reads, or of standard input for "-"; usage_error
/// "COMMAND: cannot read 'PATH': why (give EXPECTED, or - for standard input)" when it is
/// missing, unreadable, not a regular file (a directory, a FIFO, a device: refused before a byte
/// is read, never waited on) or larger than `max_bytes`. A wait on standard input ends at the
/// first interrupting signal (parlab::interrupted).
[[nodiscard]] std::string read_input_file(const std::string& path, std::uintmax_t max_bytes,
                                          std::string_view command, std::string_view expected);

/// One output: a file, "-" for standard output, or nothing.
struct output_target {
  std::optional<std::string> path;  // nullopt: not requested

  [[nodiscard]] bool requested() const { return path.has_value(); }
  [[nodiscard]] bool is_stdout() const { return path && *path == "-"; }

  /// Throws usage_error naming `option` when the path is empty or cannot be written. Creates
  /// nothing.
  void check(const char* option) const;

  /// Writes `text` whole (atomically) or throws std::runtime_error naming the path.
  void write(const std::string& text) const;
};

/// A file a command reads: what messages call it ("the saved result") and its path ("-":
/// standard input).
struct named_input {
  std::string what;
  std::string path;
};

/// Throws usage_error, before anything is read or run, when two of `outputs` (option, path) or
/// an output and one of `inputs` name the same file - the same device and inode when it exists,
/// else the same absolute path with its directories' symbolic links resolved: "--json and --csv
/// name the same file 'X' (give each output its own path)", "--svg would overwrite the saved
/// result 'a.json' (give the output another path)". "-" is never a file; a device (/dev/null)
/// takes any number of writes.
void require_distinct_files(std::span<const std::pair<const char*, std::string>> outputs,
                            std::span<const named_input> inputs = {});

/// Every file a run-like command may write, checked before anything runs.
class outputs {
 public:
  /// Throws usage_error for an empty or unwritable path, for two outputs on standard output and
  /// for two outputs, or an output and one of `inputs`, naming the same file.
  explicit outputs(const output_options& options, std::span<const named_input> inputs = {});

  /// Human-readable output goes to stderr when stdout carries a document.
  [[nodiscard]] std::FILE* human() const;

  [[nodiscard]] const output_target& report() const { return report_; }

  /// Writes every requested document for these rows; an output that fails does not stop the
  /// others. Throws std::runtime_error naming every output that could not be written.
  void write(const machine_info& machine, const std::vector<measured_run>& rows,
             const std::vector<std::string>& findings, bool interrupted) const;

 private:
  [[nodiscard]] std::array<std::pair<const output_target*, const char*>, 5> named() const;

  output_target json_, csv_, trace_, svg_, report_;
};

}  // namespace parlab::cli
