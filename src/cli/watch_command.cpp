// parlab watch [options] -- COMMAND [ARGS...] | --pid PID: samples a program parlab did not write
// (its whole process tree) and draws it like one of parlab's own runs.

#include "cli/cli.hpp"
#include "cli/commands.hpp"
#include "cli/outputs.hpp"
#include "cli/session.hpp"
#include "cli/watch_live.hpp"

#include <parlab/machine.hpp>
#include <parlab/pictures.hpp>
#include <parlab/report.hpp>
#include <parlab/watch.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <system_error>

namespace parlab::cli {
namespace {

/// Exit statuses of a command that cannot be found or started, as a shell gives them.
constexpr int exit_not_found = 127;
constexpr int exit_not_executable = 126;

/// One line each: what the command left running that parlab ended, and what it could not end.
void say_leftovers(const watch_result& result) {
  const auto list = [](const std::vector<std::string>& names) {
    return fmt::format("{} process{} the command had started: {}", names.size(),
                       names.size() == 1 ? "" : "es", fmt::join(names, ", "));
  };
  if (!result.leftovers_ended.empty()) {
    say(fmt::format("parlab: watch: also ended {}", list(result.leftovers_ended)));
  }
  if (!result.leftovers_running.empty()) {
    say(fmt::format(
        "parlab: watch: could not end {} (not this user's to signal): they keep running",
        list(result.leftovers_running)));
  }
}

}  // namespace

int command_watch(const watch_command& c) {
  if (c.command.empty() == !c.pid.has_value()) {
    throw usage_error(c.command.empty()
                          ? "watch: nothing to watch: give a command after '--' (parlab watch -- "
                            "python3 script.py) or --pid PID"
                          : "watch: give a command or --pid PID, not both");
  }
  watch_options options;
  if (c.interval_ms) {
    const double ms = parse_number(*c.interval_ms, "--interval (milliseconds)", 0.1, 1000.0);
    options.interval = std::chrono::microseconds(static_cast<std::int64_t>(ms * 1000.0 + 0.5));
  }
  if (c.max_threads) {
    options.max_threads =
        static_cast<std::size_t>(parse_count(*c.max_threads, "--max-threads", 1, 65536));
  }
  options.follow_children = !c.no_children;
  std::optional<std::chrono::nanoseconds> duration;
  if (c.duration) {
    if (!c.pid) {
      throw usage_error("watch: --duration is for --pid (a command is watched until it ends)");
    }
    duration = std::chrono::nanoseconds(static_cast<std::int64_t>(
        parse_number(*c.duration, "--duration (seconds)", 0.0, 1e6, true) * 1e9));
  }
  // Every output checked up front, at most one on standard output (the human text then goes to
  // standard error), as for every command; each is written below as what a watch makes of it.
  std::FILE* const human = outputs(c.outputs).human();
  const output_target json{c.outputs.json}, trace{c.outputs.trace}, svg{c.outputs.svg},
      report{c.outputs.report};

  constexpr std::string_view without_records = "the timelines are the looks' alone";
  std::unique_ptr<switch_recorder> exact;
  if (c.exact) exact = start_switch_records(without_records);
  if (exact && exact->available()) options.exact = exact.get();
  watch_result result;
  // --live: the terminal shows the view while the watch goes on (and the command's output once
  // it closes); it is closed before anything else is said.
  std::unique_ptr<live_screen> screen;
  const auto go_live = [&](std::string title) {
    if (!c.live) return;
    for (const auto* target :
         {&c.outputs.json, &c.outputs.trace, &c.outputs.svg, &c.outputs.report}) {
      if (target->has_value() && **target == "-") {
        throw usage_error("watch: --live takes the terminal: write the outputs to files, not -");
      }
    }
    screen = std::make_unique<live_screen>(std::move(title));
    options.live = [s = screen.get()](const live_view& view) { s->draw(view); };
  };
  if (c.pid) {
    const auto pid = static_cast<pid_t>(parse_count(*c.pid, "--pid", 1, 4'194'304));
    go_live(fmt::format("pid {}", pid));
    try {
      result = watch_process(pid, options, duration);
    } catch (const std::invalid_argument& e) {
      throw usage_error(fmt::format("watch: --pid: {}", e.what()));
    }
  } else {
    bool not_executable = false;
    const auto program = find_program(c.command.front(), &not_executable);
    if (!program) {
      std::error_code ec;
      say(fmt::format("parlab: watch: '{}': {}", c.command.front(),
                      !not_executable ? "command not found (give a path, or a name on $PATH)"
                      : std::filesystem::is_directory(c.command.front(), ec)
                          ? "is a directory (not an executable file)"
                          : "permission denied (not an executable file)"));
      return not_executable ? exit_not_executable : exit_not_found;
    }
    std::vector<std::string> argv = c.command;
    argv.front() = *program;
    go_live(fmt::format("{}", fmt::join(c.command, " ")));
    try {
      result = watch_program(argv, options);
    } catch (const std::system_error& e) {
      if (screen) screen->close();
      say(fmt::format("parlab: watch: {}", e.what()));
      return exit_not_executable;
    }
    result.command = c.command;
  }
  if (screen) screen->close();
  if (options.exact != nullptr && !result.exact) {  // refused for --pid's process
    say(fmt::format("--exact: {}; {}", exact->refusal(), without_records));
  }
  say_leftovers(result);
  const measured_run run = watch_run(result, watch_min_hold_ns(options.interval));
  print_to(human, format_watch_summary(result, run));
  if (c.outputs.timeline && !too_short_to_judge(result)) print_timelines(human, {&run});
  const machine_info machine = describe_machine();
  std::string failed;
  const auto write = [&](const output_target& target, const char* option, auto&& make) {
    if (!target.requested()) return;
    try {
      target.write(make());
    } catch (const std::exception& e) {
      failed += fmt::format("{}{} ({})", failed.empty() ? "" : "; ", option, e.what());
    }
  };
  write(json, "--json", [&] { return watch_to_json(machine, result, run); });
  write(trace, "--trace", [&] { return to_chrome_trace(machine, {run}); });
  write(svg, "--svg", [&] { return to_svg({run}); });
  write(report, "--report",
        [&] { return to_html_report(machine, {run}, {format_watch_summary(result, run)}); });
  if (!failed.empty()) throw std::runtime_error("watch: could not write " + failed);
  if (!result.exit_status) return exit_ok;
  const int st = *result.exit_status;
  if (WIFEXITED(st)) return WEXITSTATUS(st);
  if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
  return exit_ok;
}

}  // namespace parlab::cli
