#pragma once
// Internal: a command's measurements as they accumulate. A session runs experiments one after
// another and keeps every finished row, so that when a later run fails or a signal interrupts
// it, the rows already measured are still printed and written.

#include "cli/outputs.hpp"

#include <parlab/cpython.hpp>
#include <parlab/experiment.hpp>
#include <parlab/interrupt.hpp>
#include <parlab/machine.hpp>

#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace parlab::cli {

/// Thrown once a command has written what it had and said why it stopped: main only maps it to
/// the exit code.
class interrupted_and_kept : public interrupted {
 public:
  using interrupted::interrupted;
};

class session {
 public:
  explicit session(const outputs& out);

  /// Runs one experiment, printing progress on a terminal; returns its rows (also kept). On an
  /// error or an interrupt, prints and writes the rows so far, then rethrows (an interrupt as
  /// interrupted_and_kept).
  /// Hazards of a kind in `intended` are what the caller asked for (hazard::intended).
  std::vector<measured_run> run(const experiment_spec& spec,
                                const std::vector<std::string>& intended = {});

  /// CPython side by side for `spec` (parlab::cpython_spec_for), rows kept. Says in one line why
  /// there are none when python3 is missing (once per session) or fails, and carries on.
  std::vector<measured_run> run_cpython(const experiment_spec& spec);

  /// Writes every row so far to the requested outputs.
  void write(const std::vector<std::string>& findings = {}) const;

  [[nodiscard]] const std::vector<measured_run>& rows() const { return done_; }
  [[nodiscard]] const machine_info& machine() const { return machine_; }
  [[nodiscard]] std::FILE* human() const { return human_; }

 private:
  [[noreturn]] void stop(const interrupted& e);

  std::FILE* human_;
  const outputs& out_;
  bool tty_;
  machine_info machine_ = describe_machine();  // before any experiment pins a thread
  std::vector<measured_run> done_;
  bool looked_for_python_ = false;  // python3 is looked up once, when first needed
  std::optional<std::string> python_;
};

/// What every command does after a signal: runs `write` (the outputs of what was measured), then
/// says in one line that every child ended and what was kept - `kept` when the write worked,
/// else why it did not - and throws interrupted_and_kept for main to map to the exit code.
[[noreturn]] void stop_keeping(const interrupted& e, const std::function<void()>& write,
                               const std::string& kept);

/// Prints each failed task once (the tasks lost with a whole run that died, in one line) and
/// returns the exit code the runs deserve.
int report_failures(const std::vector<measured_run>& runs);

/// The terminal timelines of `runs`, coloured when `f` is a terminal.
void print_timelines(std::FILE* f, const std::vector<const measured_run*>& runs);

/// The note under a table with CPython rows.
std::string cpython_note(const std::vector<measured_run>& rows);

/// `a` then `b`.
std::vector<measured_run> joined(std::vector<measured_run> a, const std::vector<measured_run>& b);

}  // namespace parlab::cli
