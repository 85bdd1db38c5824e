// parlab completion bash|zsh|fish: the completion script, written from the app itself
// (app_outline), with the names the commands check against (workloads, models, faults,
// examples). A new command or option is in it the moment it is in the app.

#include "cli/app_outline.hpp"
#include "cli/cli.hpp"
#include "cli/commands.hpp"
#include "cli/options.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>

namespace parlab::cli {
namespace {

/// `text` as one single-quoted shell word (bash, zsh and fish read it alike).
std::string shell_word(std::string_view text) {
  std::string out = "'";
  for (const char ch : text) {
    if (ch == '\'') {
      out += "'\\''";
    } else {
      out += ch;
    }
  }
  return out + "'";
}

/// The first sentence of a description, for the one-line help the shells show beside a name.
std::string brief(std::string_view description) {
  std::string out(description.substr(0, description.find(" (")));
  if (out.size() > 70) out = out.substr(0, 67) + "...";
  return out;
}

std::string names_of(const outlined_command& c) {
  std::vector<std::string> names;
  for (const auto& o : c.options) names.insert(names.end(), o.names.begin(), o.names.end());
  return fmt::format("{}", fmt::join(names, " "));
}

const outlined_option* first_positional(const outlined_command& c) {
  for (const auto& o : c.options) {
    if (o.names.empty()) return &o;
  }
  return nullptr;
}

// ---- bash ------------------------------------------------------------------------------------

/// The case arm completing the value of an option of `kind` (or of a positional).
std::string bash_value(std::string_view kind) {
  if (kind == "PATH")
    return "compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- \"$cur\"))";
  const auto values = values_of(kind);
  if (values.empty()) return "COMPREPLY=()";
  const std::string words = fmt::format("{}", fmt::join(values, " "));
  if (is_list(kind)) return fmt::format("__parlab_list {}", shell_word(words));
  return fmt::format("COMPREPLY=($(compgen -W {} -- \"$cur\"))", shell_word(words));
}

std::string bash(const app_outline& a) {
  std::string s =
      fmt::format(R"(# bash completion for parlab, made by 'parlab completion bash' (parlab {})
# from the program's own options. Installed by the package; from a build tree:
#   source <(parlab completion bash)

__parlab_list() {{  # complete the last name of a comma-separated list of $1
  local prefix="" last="$cur"
  if [[ "$cur" == *,* ]]; then prefix="${{cur%,*}},"; last="${{cur##*,}}"; fi
  COMPREPLY=($(compgen -P "$prefix" -W "$1" -- "$last"))
  compopt -o nospace 2>/dev/null
}}

_parlab() {{
  local cur="${{COMP_WORDS[COMP_CWORD]}}" prev="${{COMP_WORDS[COMP_CWORD-1]}}"
  local cmd="" cmd_at=0 i
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "${{COMP_WORDS[i]}}" in
      -*) ;;
      *) if [ -z "$cmd" ]; then cmd="${{COMP_WORDS[i]}}"; cmd_at=$i; fi ;;
    esac
  done
  if [ -z "$cmd" ]; then
    COMPREPLY=($(compgen -W {} -- "$cur"))
    return
  fi
  case "$cmd" in
)",
                  PARLAB_VERSION, shell_word([&] {
                    std::vector<std::string> words;
                    for (const auto& c : a.commands) words.push_back(c.name);
                    for (const auto& o : a.top.options) {
                      words.insert(words.end(), o.names.begin(), o.names.end());
                    }
                    return fmt::format("{}", fmt::join(words, " "));
                  }()));
  for (const auto& c : a.commands) {
    s += fmt::format("    {})\n", c.name);
    if (c.name == "watch") {
      // After '--' (or the first word that is no option): a program, then its own words.
      s += "      for ((i = cmd_at + 1; i < COMP_CWORD; i++)); do\n"
           "        if [ \"${COMP_WORDS[i]}\" = -- ]; then\n"
           "          if [ $((i + 1)) -eq $COMP_CWORD ]; then COMPREPLY=($(compgen -c -- "
           "\"$cur\"));\n"
           "          else compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "
           "\"$cur\")); fi\n"
           "          return\n"
           "        fi\n"
           "      done\n";
    }
    s += "      case \"$prev\" in\n";
    for (const auto& o : c.options) {
      if (o.names.empty() || o.value.empty()) continue;
      s += fmt::format("        {}) {}; return ;;\n", fmt::join(o.names, "|"), bash_value(o.value));
    }
    s += "      esac\n";
    const outlined_option* positional = first_positional(c);
    if (positional != nullptr) {
      s += fmt::format("      if [[ \"$cur\" != -* ]]; then {}; return; fi\n",
                       bash_value(positional->value));
    }
    s +=
        fmt::format("      COMPREPLY=($(compgen -W {} -- \"$cur\")) ;;\n", shell_word(names_of(c)));
  }
  s += "  esac\n}\ncomplete -F _parlab parlab\n";
  return s;
}

// ---- zsh -------------------------------------------------------------------------------------

/// `text` inside an _arguments description ([...]): brackets and colons escaped.
std::string zsh_escaped(std::string_view text) {
  std::string out;
  for (const char ch : text) {
    if (ch == '[' || ch == ']' || ch == ':' || ch == '\\') out += '\\';
    out += ch;
  }
  return out;
}

std::string zsh_action(std::string_view kind) {
  if (kind == "PATH") return "_files";
  if (is_list(kind)) return "_parlab_models";
  const auto values = values_of(kind);
  if (values.empty()) return " ";
  return fmt::format("({})", fmt::join(values, " "));
}

std::string zsh(const app_outline& a) {
  std::string s = fmt::format(R"(#compdef parlab
# zsh completion for parlab, made by 'parlab completion zsh' (parlab {}) from the program's own
# options. Installed by the package; from a build tree, write it as _parlab into a directory on
# $fpath.

_parlab_models() {{
  compset -P '*,'
  compadd -S '' -q -- {}
}}

_parlab() {{
  local curcontext="$curcontext" state line
  typeset -A opt_args
  _arguments -C \
)",
                              PARLAB_VERSION, fmt::join(values_of("MODELS"), " "));
  for (const auto& o : a.top.options) {
    s += fmt::format("    {} \\\n", shell_word(fmt::format("(- *){}[{}]", o.names.back(),
                                                           zsh_escaped(brief(o.description)))));
  }
  s += "    '1: :->command' \\\n    '*:: :->args'\n  case $state in\n    command)\n"
       "      local -a commands\n      commands=(\n";
  for (const auto& c : a.commands) {
    s += fmt::format("        {}\n", shell_word(c.name + ":" + brief(c.description)));
  }
  s += "      )\n      _describe -t commands 'parlab command' commands ;;\n    args)\n"
       "      case $line[1] in\n";
  for (const auto& c : a.commands) {
    s += fmt::format("        {})\n          _arguments \\\n", c.name);
    int position = 0;
    for (const auto& o : c.options) {
      std::string spec;
      if (o.names.empty()) {
        spec = fmt::format("{}:{}:{}", ++position, o.value.empty() ? o.positional : o.value,
                           zsh_action(o.value));
      } else {
        const std::string exclusive =
            o.names.size() > 1 ? fmt::format("({})", fmt::join(o.names, " ")) : "";
        const std::string names =
            o.names.size() > 1 ? fmt::format("{{{}}}", fmt::join(o.names, ",")) : o.names[0];
        const std::string rest =
            fmt::format("[{}]{}", zsh_escaped(brief(o.description)),
                        o.value.empty() ? "" : fmt::format(":{}:{}", o.value, zsh_action(o.value)));
        // {-w,--workload} is brace expansion: it stays outside the quotes.
        spec = exclusive + names + rest;
        s += fmt::format("            {}{}{} \\\n", shell_word(exclusive), names, shell_word(rest));
        continue;
      }
      s += fmt::format("            {} \\\n", shell_word(spec));
    }
    if (c.takes_rest) s += "            '*::arguments:_normal' \\\n";
    s += "            && return ;;\n";
  }
  s += "      esac ;;\n  esac\n}\n\n_parlab \"$@\"\n";
  return s;
}

// ---- fish ------------------------------------------------------------------------------------

std::string fish(const app_outline& a) {
  std::string commands;
  for (const auto& c : a.commands) commands += " " + c.name;
  std::string s = fmt::format(
      R"(# fish completion for parlab, made by 'parlab completion fish' (parlab {}) from the
# program's own options. Installed by the package; from a build tree:
#   parlab completion fish > ~/.config/fish/completions/parlab.fish

function __parlab_models --description 'complete the last name of a comma-separated list'
    set -l prefix (string replace -r '[^,]*$' '' -- (commandline -ct))
    for name in {}
        echo $prefix$name
    end
end

complete -c parlab -f
)",
      PARLAB_VERSION, fmt::join(values_of("MODELS"), " "));
  for (const auto& o : a.top.options) {
    s += fmt::format("complete -c parlab -n __fish_use_subcommand -l {} -d {}\n",
                     o.names.back().substr(2), shell_word(brief(o.description)));
  }
  for (const auto& c : a.commands) {
    s += fmt::format("complete -c parlab -n __fish_use_subcommand -a {} -d {}\n", c.name,
                     shell_word(brief(c.description)));
  }
  for (const auto& c : a.commands) {
    const std::string when = shell_word("__fish_seen_subcommand_from " + c.name);
    for (const auto& o : c.options) {
      std::string line = fmt::format("complete -c parlab -n {}", when);
      if (o.names.empty()) {
        if (o.value == "PATH") {
          line += " -F";
        } else if (const auto values = values_of(o.value); !values.empty()) {
          line += fmt::format(" -a {}", shell_word(fmt::format("{}", fmt::join(values, " "))));
        } else {
          continue;
        }
        s += line + fmt::format(" -d {}\n", shell_word(brief(o.description)));
        continue;
      }
      for (const auto& name : o.names) {
        line += name.size() == 2 ? fmt::format(" -s {}", name.substr(1))
                                 : fmt::format(" -l {}", name.substr(2));
      }
      if (o.value == "PATH") {
        line += " -r -F";
      } else if (is_list(o.value)) {
        line += " -x -a '(__parlab_models)'";
      } else if (const auto values = values_of(o.value); !values.empty()) {
        line += fmt::format(" -x -a {}", shell_word(fmt::format("{}", fmt::join(values, " "))));
      } else if (!o.value.empty()) {
        line += " -x";
      }
      s += line + fmt::format(" -d {}\n", shell_word(brief(o.description)));
    }
  }
  // watch's COMMAND: a program's name (its own words complete as files).
  s += fmt::format("complete -c parlab -n {} -a '(__fish_complete_command)'\n",
                   shell_word("__fish_seen_subcommand_from watch"));
  return s;
}

std::string completion_script(const app_outline& a, std::string_view shell) {
  if (shell == "bash") return bash(a);
  if (shell == "zsh") return zsh(a);
  if (shell == "fish") return fish(a);
  throw usage_error(
      fmt::format("completion: no script for the shell '{}' (bash, zsh or fish)", shell));
}

}  // namespace

int command_completion(const completion_command& c) {
  command_line unused;
  const auto app = make_app(unused);
  const std::string script = completion_script(outline_of(*app), c.shell);
  std::fwrite(script.data(), 1, script.size(), stdout);
  return std::fflush(stdout) == 0 ? exit_ok : exit_runtime;
}

}  // namespace parlab::cli
