// What an installed parlab brings besides its commands: --version and the "build" every JSON
// document carries, the shell completions and the man pages, all made from the app itself. The
// completions are checked against what --help shows, so an option missing from them fails here.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cli_harness.hpp"

namespace {

namespace fs = std::filesystem;

using cli_harness::kQuick;
using cli_harness::slurp;

/// The commands `parlab --help` lists (the "Subcommands:" section).
std::vector<std::string> commands_in_help(const std::string& help) {
  std::vector<std::string> names;
  std::istringstream in(help.substr(help.find("Subcommands:")));
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line) && line.starts_with("  ")) {
    std::istringstream words(line);
    std::string name;
    words >> name;
    names.push_back(name);
  }
  return names;
}

/// The option names `parlab CMD --help` shows (-w, --workload, ...).
std::set<std::string> options_in_help(const std::string& help) {
  std::set<std::string> names;
  const std::regex option(R"((?:^|[ ,])(--?[A-Za-z][-A-Za-z]*))");
  std::istringstream in(help.substr(help.find("Options:")));
  std::string line;
  while (std::getline(in, line)) {
    if (!line.starts_with("  -")) continue;  // a description's continuation or a footer
    const std::string names_part = line.substr(0, line.find("  ", 2));
    for (auto it = std::sregex_iterator(names_part.begin(), names_part.end(), option);
         it != std::sregex_iterator(); ++it) {
      names.insert((*it)[1]);
    }
  }
  return names;
}

class Completion : public cli_harness::cli_test {
 protected:
  /// The script for `shell`, written into the scratch directory; its path.
  fs::path script(const std::string& shell) {
    const auto o = parlab("completion " + shell);
    EXPECT_EQ(o.code, 0) << o.err;
    const fs::path path = dir_ / ("completion." + shell);
    std::ofstream(path) << o.out;
    return path;
  }

  /// What bash completes `words` (the last one being completed) to, one per line.
  std::string bash_completes(const std::string& words) {
    const fs::path file = script("bash");
    const auto o = run_shell("bash -c", "'source " + file.string() + "; COMP_WORDS=(" + words +
                                            "); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); "
                                            "[[ \"" +
                                            words +
                                            "\" == *\" \" ]] && COMP_WORDS+=(\"\") && "
                                            "COMP_CWORD=$((COMP_CWORD + 1)); _parlab; "
                                            "printf \"%s\\n\" \"${COMPREPLY[@]}\"'");
    EXPECT_EQ(o.code, 0) << o.err;
    return "\n" + o.out;
  }
};

TEST_F(Cli, VersionNamesTheCommitTheBuildAndTheModels) {
  const auto o = parlab("--version");
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_TRUE(o.out.starts_with("parlab 0.")) << o.out;
  for (const char* line : {"\ncommit: ", "\nbuild:  ", "\nmodels: sequential, threads"}) {
    EXPECT_NE(o.out.find(line), std::string::npos) << line << " in:\n" << o.out;
  }
  EXPECT_EQ(o.out.find("commit: unknown"), std::string::npos) << "built from a git checkout";
}

TEST_F(Cli, EveryJsonDocumentSaysWhichBuildWroteIt) {
  const auto at = [&](const char* file) { return (dir_ / file).string(); };
  ASSERT_EQ(parlab("run -w cpu -e threads -j 2" + kQuick + "--json " + at("r.json")).code, 0);
  ASSERT_EQ(parlab("overhead -e threads -t 5 -r 1 --json " + at("o.json")).code, 0);
  ASSERT_EQ(parlab("compare " + at("r.json") + " " + at("r.json") + " --json " + at("c.json")).code,
            0);
  ASSERT_EQ(parlab("watch --json " + at("w.json") + " -- /bin/sleep 0.05").code, 0);
  ASSERT_EQ(parlab("sweep -w cpu -e threads -j 1,2" + kQuick + "--json " + at("s.json")).code, 0);
  ASSERT_EQ(parlab("predict -w chain -t 4 --no-check --json " + at("p.json")).code, 0);
  const auto version = parlab("--version").out;
  for (const char* file : {"r.json", "o.json", "c.json", "w.json", "s.json", "p.json"}) {
    const auto doc = nlohmann::json::parse(slurp(dir_ / file));
    ASSERT_TRUE(doc.contains("build")) << file;
    const auto& b = doc["build"];
    EXPECT_EQ(doc["parlab_version"], b["version"]) << file;
    EXPECT_NE(version.find("commit: " + b["commit"].get<std::string>()), std::string::npos) << file;
    EXPECT_FALSE(b["compiler"].get<std::string>().empty()) << file;
    EXPECT_TRUE(b["sanitizers"].is_array()) << file;
    ASSERT_TRUE(b["models"].is_array()) << file;
    EXPECT_EQ(b["models"][0], "sequential") << file;
  }
}

TEST_F(Completion, EveryCommandAndOptionTheHelpShowsIsInEveryShellsScript) {
  const auto help = parlab("--help");
  ASSERT_EQ(help.code, 0);
  const auto commands = commands_in_help(help.out);
  ASSERT_GE(commands.size(), 12U) << help.out;
  const std::string bash = slurp(script("bash"));
  const std::string zsh = slurp(script("zsh"));
  const std::string fish = slurp(script("fish"));
  EXPECT_EQ(bash.find("manpages"), std::string::npos) << "a hidden command is not offered";
  for (const auto& command : commands) {
    // bash: the command's arm ends with the list of its options.
    const auto arm = bash.find("\n    " + command + ")\n");
    ASSERT_NE(arm, std::string::npos) << command;
    const auto last = bash.find("\n      COMPREPLY=($(compgen -W '", arm);
    ASSERT_NE(last, std::string::npos) << command;
    std::string bash_words = bash.substr(last, bash.find('\n', last + 1) - last) + " ";
    std::replace(bash_words.begin(), bash_words.end(), '\'', ' ');
    // zsh: the command's _arguments; fish: the lines for the command.
    const auto zsh_at = zsh.find("\n        " + command + ")\n");
    ASSERT_NE(zsh_at, std::string::npos) << command;
    const std::string zsh_block = zsh.substr(zsh_at, zsh.find("&& return", zsh_at) - zsh_at);
    EXPECT_NE(zsh.find("'" + command + ":"), std::string::npos) << command;
    EXPECT_NE(fish.find("-a " + command + " "), std::string::npos) << command;
    std::string fish_lines;
    std::istringstream in(fish);
    for (std::string line; std::getline(in, line);) {
      if (line.find("'__fish_seen_subcommand_from " + command + "'") != std::string::npos) {
        fish_lines += line + "\n";
      }
    }
    const auto command_help = parlab(command + " --help");
    ASSERT_EQ(command_help.code, 0) << command;
    const auto options = options_in_help(command_help.out);
    EXPECT_GE(options.size(), 1U) << command;
    for (const auto& option : options) {
      EXPECT_NE(bash_words.find(" " + option + " "), std::string::npos)
          << "bash, " << command << ": " << option;
      EXPECT_NE(zsh_block.find(option), std::string::npos) << "zsh, " << command << ": " << option;
      const std::string fish_name =
          option.starts_with("--") ? "-l " + option.substr(2) : "-s " + option.substr(1);
      EXPECT_NE(fish_lines.find(fish_name + " "), std::string::npos)
          << "fish, " << command << ": " << option;
    }
  }
  EXPECT_EQ(parlab("completion tcsh").code, 2);
}

TEST_F(Completion, BashCompletesCommandsOptionsAndTheirValues) {
  EXPECT_NE(bash_completes("parlab ru").find("\nrun\n"), std::string::npos);
  EXPECT_NE(bash_completes("parlab run --ti").find("\n--timeline\n"), std::string::npos);
  const auto workloads = bash_completes("parlab run -w ");
  for (const char* w : {"cpu", "io", "wavefront", "pipeline"}) {
    EXPECT_NE(workloads.find("\n" + std::string(w) + "\n"), std::string::npos) << w;
  }
  // -e takes a list: the last name completes after what is already there.
  const auto models = bash_completes("parlab run -e threads,proc");
  EXPECT_NE(models.find("\nthreads,processes\n"), std::string::npos) << models;
  EXPECT_NE(models.find("\nthreads,process-pool\n"), std::string::npos) << models;
  EXPECT_EQ(models.find("\nthreads,async\n"), std::string::npos) << models;
  EXPECT_NE(bash_completes("parlab run --fault s").find("\nsegv\n"), std::string::npos);
  EXPECT_NE(bash_completes("parlab example race").find("\nrace_condition\n"), std::string::npos);
  EXPECT_NE(bash_completes("parlab completion f").find("\nfish\n"), std::string::npos);
  // Paths complete as files.
  std::ofstream(dir_ / "result-one.json") << "{}";
  EXPECT_NE(
      bash_completes("parlab run --json " + (dir_ / "result-o").string()).find("result-one.json\n"),
      std::string::npos);
}

TEST_F(Completion, FishCompletesTheSameValues) {
  if (std::system("command -v fish >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "fish is not installed (scripts/setup.sh installs it)";
  }
  const fs::path file = script("fish");
  const auto o = run_shell("fish -c", "'source " + file.string() +
                                          "; complete -C \"parlab run -e threads,proc\"; "
                                          "complete -C \"parlab run -w wave\"'");
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find("threads,processes"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("wavefront"), std::string::npos) << o.out;
}

TEST_F(Completion, TheZshScriptIsValidZsh) {
  if (std::system("command -v zsh >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "zsh is not installed (scripts/setup.sh installs it)";
  }
  const fs::path file = script("zsh");
  const auto o = run_shell("zsh -n", file.string());
  EXPECT_EQ(o.code, 0) << o.err;
}

TEST_F(Cli, ManPagesAreWrittenForParlabAndEveryCommand) {
  ASSERT_EQ(parlab("manpages " + (dir_ / "man").string()).code, 0);
  const auto help = parlab("--help").out;
  for (const auto& command : commands_in_help(help)) {
    const std::string page = slurp(dir_ / "man" / ("parlab-" + command + ".1"));
    ASSERT_FALSE(page.empty()) << command;
    EXPECT_TRUE(page.starts_with(".TH PARLAB-")) << command;
    for (const char* section : {"\n.SH NAME\n", "\n.SH SYNOPSIS\n", "\n.SH OPTIONS\n",
                                "\n.SH EXIT STATUS\n", "\n.SH SEE ALSO\n"}) {
      EXPECT_NE(page.find(section), std::string::npos) << command << ": " << section;
    }
  }
  const std::string run = slurp(dir_ / "man" / "parlab-run.1");
  EXPECT_NE(run.find("\\fB\\-w\\fR, \\fB\\-\\-workload\\fR \\fIWORKLOAD\\fR"), std::string::npos);
  EXPECT_NE(run.find(".SH FILES\n"), std::string::npos) << "run writes --json, --csv, ...";
  EXPECT_NE(run.find("parlab run \\-w cpu"), std::string::npos) << "its examples";
  const std::string top = slurp(dir_ / "man" / "parlab.1");
  EXPECT_NE(top.find("\\fBparlab\\-run\\fR(1)"), std::string::npos);
  if (std::system("command -v groff >/dev/null 2>&1") == 0) {  // the page renders without warnings
    const auto o = run_shell("groff -man -Tutf8 -ww -z", (dir_ / "man" / "parlab-run.1").string());
    EXPECT_EQ(o.code, 0) << o.err;
    EXPECT_TRUE(o.err.empty()) << o.err;
  }
}

}  // namespace
