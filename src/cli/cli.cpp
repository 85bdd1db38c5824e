// parlab's command line: parse (options.cpp), run one command (one file each), and map what
// went wrong to a documented exit code, printed once in one line.

#include "cli/cli.hpp"
#include "cli/outputs.hpp"

#include "cli/commands.hpp"
#include "cli/session.hpp"

#include <parlab/interrupt.hpp>

#include <fmt/format.h>

#include <cstdio>
#include <stdexcept>

namespace parlab::cli {
namespace {

int dispatch(const command_line& c) {
  using command = command_line::command;
  switch (c.which) {
    case command::run:
      return command_run(c.run);
    case command::list:
      return command_list();
    case command::example:
      return command_example(c.example);
    case command::overhead:
      return command_overhead(c.overhead);
    case command::report:
      return command_report(c.report);
    case command::fit:
      return command_fit(c.fit);
    case command::compare:
      return command_compare(c.compare);
    case command::sweep:
      return command_sweep(c.sweep);
    case command::advise:
      return command_advise(c.advise);
    case command::predict:
      return command_predict(c.predict);
    case command::mpi_rank:
      return command_mpi_rank(c.mpi_rank);
    case command::watch:
      return command_watch(c.watch);
    case command::completion:
      return command_completion(c.completion);
    case command::manpages:
      return command_manpages(c.manpages);
    case command::demo:
      break;
  }
  return command_demo(c.demo);  // 'parlab demo' and plain 'parlab'
}

}  // namespace

int main(int argc, char** argv) noexcept {
  try {
    command_line c;
    if (const auto answered = parse_command_line(argc, argv, c)) return *answered;
    // Ctrl-C and SIGTERM stop a command in order: children ended, rows so far written.
    const interrupt_scope interrupts;
    return dispatch(c);
  } catch (const interrupted_and_kept& e) {
    return e.exit_code();  // the session said what it kept
  } catch (const interrupted& e) {
    say_after_blank(fmt::format("parlab: {}: every child process ended", e.what()));
    return e.exit_code();
  } catch (const std::invalid_argument& e) {  // includes usage_error
    say(fmt::format("parlab: {}", e.what()));
    return exit_usage;
  } catch (const std::exception& e) {
    say(fmt::format("parlab: error: {}", e.what()));
    return exit_runtime;
  } catch (...) {
    say("parlab: error: unknown exception");
    return exit_runtime;
  }
}

}  // namespace parlab::cli
