#pragma once
// Internal: what each parlab command was asked to do, parsed by CLI11 into typed structs, and
// the checks that turn text into numbers with the allowed range in every error.

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <parlab/workload.hpp>

namespace CLI {
class App;
}  // namespace CLI

namespace parlab::cli {

/// Bad input found after parsing; maps to exit_usage.
struct usage_error : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

/// The files a command may write (each: a path or "-" for standard output), and pictures.
struct output_options {
  std::optional<std::string> json, csv, trace, svg, report;
  bool timeline = false;

  /// Pictures need the representative runs' timelines.
  [[nodiscard]] bool wants_timelines() const {
    return timeline || trace.has_value() || svg.has_value() || report.has_value();
  }
};

struct run_command {
  std::string workload = "cpu";
  std::optional<std::string> executors;  // comma-separated; nullopt: the four classic models
  std::optional<std::string> workers, tasks, size, repeat, seed;
  std::optional<std::string> pin_cores;
  bool no_baseline = false;
  bool records = false;
  std::optional<std::string> switch_interval_ms, http_latency_ms, http_bandwidth_mib, cpu_fraction,
      serial_fraction, critical_fraction, locks;
  std::optional<std::string> stages, tokens, width, edge_probability;  // the graph shapes
  std::optional<std::string> edge_bytes;                               // any graph workload
  std::optional<std::string> graph;  // a graph file of your own (JSON or DOT)
  std::optional<std::string> fault, fault_task;
  std::optional<std::string> mpi_schedule, hosts, hostfile, mpi_timeout, mpi_start_timeout;
  bool python = false;
  bool exact = false;  // --exact: the kernel's switch records
  output_options outputs;
};

/// `parlab mpi-rank`: one rank of an MPI job (started by the mpi model, or by hand).
struct mpi_rank_command {
  std::optional<std::string> connect;  // the parent's socket; nullopt: run the workload once
  std::string schedule = "dynamic";
  std::string workload = "cpu";
  std::optional<std::string> tasks, size, seed;
  bool pingpong = false;
  bool visibility = false;
};

/// `parlab sweep`: run's workload options (run.workers unused), W as a list, weak scaling.
struct sweep_command {
  run_command run;
  std::optional<std::string> workers;  // "1,2,4" or "1..6"; nullopt: default_sweep_workers
  bool weak = false;
};

/// `parlab advise`: run's workload options (run.workers unused), a time budget.
struct advise_command {
  run_command run;
  std::optional<std::string> budget;  // seconds; nullopt: 30
};

struct predict_command {
  run_command run;                         // the graph (a shape or --graph), the models, --json
  std::optional<std::string> file;         // a graph file with duration_ms, or a saved result
  std::vector<std::string> faster;         // TASK:PCT
  std::optional<std::string> max_workers;  // P up to this (1024)
  bool no_check = false;                   // predict only: no real runs to check against
};

struct demo_command {
  std::optional<std::string> repeat;
  std::optional<std::string> pin_cores;
  bool python = false;
  output_options outputs;  // report defaults to ./parlab-report.html
};

struct overhead_command {
  std::optional<std::string> executors;  // comma-separated; nullopt: every model built here
  std::optional<std::string> tasks, repeat;
  std::optional<std::string> json;
  std::optional<std::string> hosts, hostfile;  // mpi: messages between two hosts too
};

struct report_command {
  std::string saved;  // the JSON file to draw
  output_options outputs;
};

struct fit_command {
  std::string csv;                   // "concurrency,throughput" lines
  std::vector<std::string> predict;  // N to predict the throughput at
};

/// `parlab compare A.json B.json`: B's rows against A's.
struct compare_command {
  std::string a, b;                      // the two result documents
  std::optional<std::string> threshold;  // percent
  std::optional<std::string> json;       // parlab.compare/1 to PATH or -
};

struct example_command {
  bool list = false;
  std::string name;
  std::vector<std::string> args;
};

struct watch_command {
  std::vector<std::string> command;  // what follows '--' (or the first word that is no option)
  std::optional<std::string> pid, interval_ms, duration, max_threads;
  bool no_children = false;
  bool exact = false;      // --exact: the kernel's switch records besides the looks
  bool live = false;       // --live: the tree drawn in place on the terminal meanwhile
  output_options outputs;  // json (parlab.watch/1), trace, svg, report, timeline; no csv
};

/// `parlab completion SHELL`: the completion script, made from the app itself.
struct completion_command {
  std::string shell;
};

/// `parlab manpages DIR` (hidden; the build runs it): parlab.1 and parlab-COMMAND.1 into DIR.
struct manpages_command {
  std::string dir;
};

/// One parsed command line.
struct command_line {
  enum class command {
    run,
    list,
    demo,
    overhead,
    report,
    example,
    fit,
    sweep,
    advise,
    predict,
    compare,
    watch,
    mpi_rank,
    completion,
    manpages
  } which = command::demo;
  run_command run;
  demo_command demo;
  overhead_command overhead;
  report_command report;
  example_command example;
  fit_command fit;
  sweep_command sweep;
  advise_command advise;
  predict_command predict;
  compare_command compare;
  watch_command watch;
  mpi_rank_command mpi_rank;
  completion_command completion;
  manpages_command manpages;
};

/// The whole command line as CLI11 describes it: every command, option and footer, bound to
/// `out` (which must outlive it). parse_command_line parses with it; `parlab completion` and
/// `parlab manpages` describe it.
[[nodiscard]] std::unique_ptr<CLI::App> make_app(command_line& out);

/// Parses argv. Returns the exit code when parsing already answered (--help, --version, a
/// CLI11 parse error, printed in one line), or nullopt to go on with `out`.
[[nodiscard]] std::optional<int> parse_command_line(int argc, char** argv, command_line& out);

/// A whole number in [low, high] from `text` (digits only: no sign, no exponent, no spaces);
/// throws usage_error "OPTION must be a whole number in [low, high] (got 'text')".
/// Bytes: a whole number, optionally followed by K, M or G (KiB, MiB, GiB), in [low, high];
/// throws usage_error naming `option`, the form and the range otherwise.
[[nodiscard]] std::uint64_t parse_bytes(const std::string& text, std::string_view option,
                                        std::uint64_t low, std::uint64_t high);

[[nodiscard]] std::uint64_t parse_count(const std::string& text, std::string_view option,
                                        std::uint64_t low, std::uint64_t high);

/// The counts every workload takes: --tasks (else the workload's default), --size (within its
/// maximum) and --seed, parsed into `spec` (whose name is set); throws usage_error.
void parse_workload_counts(const std::optional<std::string>& tasks,
                           const std::optional<std::string>& size,
                           const std::optional<std::string>& seed, workload_spec& spec);

/// A finite number in [low, high] (or (low, high] when `low_open`); throws usage_error.
[[nodiscard]] double parse_number(const std::string& text, std::string_view option, double low,
                                  double high, bool low_open = false);

/// The names in a comma-separated list; throws usage_error for an empty list or an empty name
/// ("-e threads,,processes").
[[nodiscard]] std::vector<std::string> split_names(const std::string& list,
                                                   std::string_view option);

/// Throws usage_error when an option was given an empty value ("--json ''").
void require_value(const std::optional<std::string>& value, std::string_view option,
                   std::string_view expected);

}  // namespace parlab::cli
