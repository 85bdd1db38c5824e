// parlab manpages DIR (hidden; the build runs it): parlab(1) and parlab-COMMAND(1), written
// from the app itself (app_outline): every option with its description, the examples and notes
// --help prints, the exit codes, the files each command writes.

#include "cli/app_outline.hpp"
#include "cli/cli.hpp"
#include "cli/commands.hpp"
#include "cli/options.hpp"

#include <parlab/output_file.hpp>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <filesystem>
#include <string>

namespace parlab::cli {
namespace {

/// Text for roff: backslashes and hyphens escaped (so that commands copy as typed), a line
/// that would start a request kept as text.
std::string roff(std::string_view text) {
  std::string out;
  bool line_start = true;
  for (const char ch : text) {
    if (line_start && (ch == '.' || ch == '\'')) out += "\\&";
    if (ch == '\\') {
      out += "\\e";
    } else if (ch == '-') {
      out += "\\-";
    } else {
      out += ch;
    }
    line_start = ch == '\n';
  }
  return out;
}

std::string upper(std::string text) {
  for (char& ch : text) {
    if (ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 'a' + 'A');
  }
  return text;
}

std::string header(std::string_view page, std::string_view summary) {
  return fmt::format(".TH {} 1 \"\" \"parlab {}\" \"parlab manual\"\n.SH NAME\n{} \\- {}\n",
                     upper(std::string(page)), PARLAB_VERSION, roff(page), roff(summary));
}

std::string options_section(const outlined_command& c) {
  std::string s = ".SH OPTIONS\n";
  for (const auto& o : c.options) {
    std::string names;
    if (o.names.empty()) {
      names = fmt::format("\\fI{}\\fR", roff(o.value.empty() ? o.positional : o.value));
    } else {
      for (const auto& n : o.names) {
        names += fmt::format("{}\\fB{}\\fR", names.empty() ? "" : ", ", roff(n));
      }
      if (!o.value.empty()) names += fmt::format(" \\fI{}\\fR", roff(o.value));
    }
    s += fmt::format(".TP\n{}\n{}{}\n", names, roff(o.description),
                     o.names.empty() && o.required ? " (required)" : "");
  }
  return s;
}

std::string footer_section(const outlined_command& c) {
  if (c.footer.empty()) return {};
  return fmt::format(".SH EXAMPLES AND NOTES\n.nf\n{}\n.fi\n", roff(c.footer));
}

std::string exit_section() {
  return fmt::format(
      ".SH EXIT STATUS\n"
      ".TP\n{}\nEverything ran and every task succeeded.\n"
      ".TP\n{}\nThe run finished, but a task failed (compare: a row got slower; an example: its "
      "claim did not hold).\n"
      ".TP\n{}\nBad input: an unknown name, a number out of range, a path that cannot be "
      "used; one line on standard error names it and what is allowed.\n"
      ".TP\n{}\nThe run could not be carried out, or an output could not be written.\n"
      ".TP\n128+N\nStopped by signal N (130 for Ctrl-C, 143 for SIGTERM): every child process "
      "was ended and what was measured so far was written.\n",
      exit_ok, exit_task_failed, exit_usage, exit_runtime);
}

std::string files_section(const outlined_command& c) {
  std::string s;
  for (const auto& o : c.options) {
    if (o.names.empty() || o.value != "PATH" || !o.description.starts_with("Write")) continue;
    s += fmt::format(".TP\n\\fB{}\\fR \\fIPATH\\fR\n{}\n", roff(o.names.back()),
                     roff(o.description));
  }
  if (s.empty()) return {};
  return ".SH FILES\nOnly the files asked for are written, each whole or not at all (written "
         "beside its place, then renamed into it); \\- is standard output, and the table then "
         "goes to standard error.\n" +
         s;
}

std::string see_also(const app_outline& a, std::string_view self) {
  std::string s = ".SH SEE ALSO\n";
  bool first = true;
  const auto add = [&](const std::string& page) {
    if (page == self) return;
    s += fmt::format("{}\\fB{}\\fR(1)", first ? "" : ",\n", roff(page));
    first = false;
  };
  add("parlab");
  for (const auto& c : a.commands) add("parlab-" + c.name);
  return s + "\n.PP\nThe guides in /usr/share/doc/parlab (docs/ in the sources).\n";
}

std::string top_page(const app_outline& a) {
  std::string s = header("parlab",
                         "a laboratory for multitasking, multithreading, "
                         "multiprocessing, concurrency and parallelism");
  s += ".SH SYNOPSIS\n.B parlab\n[\\fB\\-\\-help\\fR] [\\fB\\-\\-version\\fR]\n"
       "[\\fICOMMAND\\fR [\\fIOPTIONS\\fR]]\n";
  s += ".SH DESCRIPTION\nparlab runs the same work under different execution models (threads, "
       "processes, a thread or process pool, an emulated interpreter lock, an event loop, "
       "OpenMP, oneTBB, Open MPI) and shows with measurements made on this machine how they "
       "differ: speedups, timelines, what each task waited for, and a verdict. Without a "
       "command it runs \\fBparlab demo\\fR, the classic experiment.\n.SH COMMANDS\n";
  for (const auto& c : a.commands) {
    s += fmt::format(".TP\n\\fB{}\\fR\n{} (\\fBparlab\\-{}\\fR(1))\n", roff(c.name),
                     roff(c.description), roff(c.name));
  }
  s += options_section(a.top) + footer_section(a.top) + exit_section() + see_also(a, "parlab");
  return s;
}

std::string command_page(const app_outline& a, const outlined_command& c) {
  std::string s = header("parlab-" + c.name, c.description);
  s += fmt::format(".SH SYNOPSIS\n.B parlab {}\n[\\fIOPTIONS\\fR]", roff(c.name));
  for (const auto& o : c.options) {
    if (!o.names.empty()) continue;
    const std::string name = roff(o.value.empty() ? o.positional : o.value);
    s += o.required ? fmt::format(" \\fI{}\\fR", name) : fmt::format(" [\\fI{}\\fR]", name);
  }
  if (c.takes_rest) s += c.name == "watch" ? " [\\-\\- \\fICOMMAND\\fR...]" : " [\\fIARGS\\fR...]";
  s += fmt::format("\n.SH DESCRIPTION\n{}.\n", roff(c.description));
  s += options_section(c) + footer_section(c) + exit_section() + files_section(c) +
       see_also(a, "parlab-" + c.name);
  return s;
}

}  // namespace

int command_manpages(const manpages_command& c) {
  command_line unused;
  const auto app = make_app(unused);
  const app_outline a = outline_of(*app);
  const std::filesystem::path dir(c.dir);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw usage_error(fmt::format("manpages: cannot make {} ({})", c.dir, ec.message()));
  write_file_atomically((dir / "parlab.1").string(), top_page(a));
  for (const auto& command : a.commands) {
    write_file_atomically((dir / ("parlab-" + command.name + ".1")).string(),
                          command_page(a, command));
  }
  return exit_ok;
}

}  // namespace parlab::cli
