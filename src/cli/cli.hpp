#pragma once
// Internal: the parlab command line, kept out of main() so it can be tested and reused.

namespace parlab::cli {

/// Exit codes, documented in the README.
inline constexpr int exit_ok = 0;           ///< everything ran and every task succeeded
inline constexpr int exit_task_failed = 1;  ///< the run finished, but some task failed
inline constexpr int exit_usage = 2;        ///< bad input: unknown name, bad number, bad path
inline constexpr int exit_runtime = 3;      ///< the run itself could not be carried out

/// Parses argv, runs the command, prints, and returns the exit code. Never throws.
int main(int argc, char** argv) noexcept;

}  // namespace parlab::cli
