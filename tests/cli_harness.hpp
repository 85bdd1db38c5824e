#pragma once
// What the tests that run the parlab binary share: a scratch directory of the test's own, the
// binary run with arguments there (PARLAB_BINARY, set by tests/CMakeLists.txt), and reading back
// what it printed or wrote.

#include "scratch_dir.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace cli_harness {

namespace fs = std::filesystem;

/// How one run of the binary ended and what it printed.
struct outcome {
  int code = -1;
  std::string out;
  std::string err;
};

using scratch::slurp;

/// Quick settings so each case runs in well under a second.
inline const std::string kQuick = " -t 4 -s 2 -r 1 ";

/// Lines in `s` (newlines counted).
inline std::size_t lines(const std::string& s) {
  return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n'));
}

/// A fixture with a scratch directory (removed after the test) and parlab run in it.
class cli_test : public scratch::scratch_test {
 protected:
  /// Runs `parlab ARGS` (through the shell: ARGS may quote), its output into dir_/out and
  /// dir_/err.
  outcome parlab(const std::string& args) { return run_shell(std::string(PARLAB_BINARY), args); }

  /// As parlab(), with `assignments` (NAME=value ...) in its environment.
  outcome parlab_env(const std::string& assignments, const std::string& args) {
    return run_shell("env " + assignments + " " + PARLAB_BINARY, args);
  }

  /// As parlab(), killed by timeout(1) after `seconds` (exit code 137: it was still waiting).
  outcome parlab_within(int seconds, const std::string& args) {
    return run_shell("timeout -s KILL " + std::to_string(seconds) + " " + PARLAB_BINARY, args);
  }

 protected:
  /// `program ARGS` through the shell (program: a path, perhaps with leading arguments).
  outcome run_shell(const std::string& program, const std::string& args) {
    const std::string cmd =
        program + " " + args + " >" + (dir_ / "out").string() + " 2>" + (dir_ / "err").string();
    const int status = std::system(cmd.c_str());
    outcome o;
    o.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
    o.out = slurp(dir_ / "out");
    o.err = slurp(dir_ / "err");
    return o;
  }
};

}  // namespace cli_harness

/// The fixture of the tests that run the binary (suite "Cli", one file per command).
class Cli : public cli_harness::cli_test {};
