#include "cli/cli.hpp"

#include <parlab/clock.hpp>
#include <parlab/experiment.hpp>
#include <parlab/machine.hpp>
#include <parlab/report.hpp>

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace parlab::cli {
namespace {

/// Bad input found after parsing; maps to exit_usage.
struct usage_error : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

/// Where a machine-readable result goes: a file, or "-" for standard output.
struct output_target {
  std::string path;  // empty: not requested

  [[nodiscard]] bool requested() const { return !path.empty(); }
  [[nodiscard]] bool is_stdout() const { return path == "-"; }

  /// Fails early (before any measurement) when the file cannot be written.
  void check(const char* option) const {
    if (!requested() || is_stdout()) return;
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
      throw usage_error(fmt::format("{}: cannot write '{}': {} (give a writable file path or -)",
                                    option, path, std::strerror(errno)));
    }
    ::close(fd);
  }

  void write(const std::string& text) const {
    if (!requested()) return;
    if (is_stdout()) {
      std::fwrite(text.data(), 1, text.size(), stdout);
      std::fflush(stdout);
      return;
    }
    std::ofstream out(path, std::ios::trunc);
    out << text;
    if (!out) throw std::runtime_error("could not write '" + path + "'");
  }
};

struct common_options {
  std::string pin_cores;  // empty: no pinning
  std::string json;
  std::string csv;
  std::int64_t repeat = 3;
};

struct run_options_cli {
  std::string workload = "cpu";
  std::vector<std::string> executors = {"threads", "thread-pool", "processes", "gil-threads"};
  std::optional<std::int64_t> workers;  // not given: the number of cores
  std::optional<std::int64_t> tasks;
  std::optional<std::int64_t> size;
  std::uint64_t seed = 42;
  bool no_baseline = false;
  bool records = false;
  double switch_interval_ms = 5.0;
  std::string fault;
  std::int64_t fault_task = 0;
};

std::size_t at_least(std::int64_t value, std::int64_t minimum, const char* option) {
  if (value < minimum) {
    throw usage_error(fmt::format("{} must be at least {} (got {})", option, minimum, value));
  }
  return static_cast<std::size_t>(value);
}

/// Human-readable output goes to stderr when stdout carries JSON or CSV.
std::FILE* human_stream(const output_target& json, const output_target& csv) {
  return (json.is_stdout() || csv.is_stdout()) ? stderr : stdout;
}

/// The --json and --csv targets, checked before anything runs.
std::pair<output_target, output_target> checked_outputs(const common_options& common) {
  output_target json{common.json};
  output_target csv{common.csv};
  if (json.is_stdout() && csv.is_stdout()) {
    throw usage_error("--json and --csv cannot both write to standard output (-)");
  }
  json.check("--json");
  csv.check("--csv");
  return {std::move(json), std::move(csv)};
}

void print(std::FILE* f, const std::string& s) {
  std::fputs(s.c_str(), f);
  std::fflush(f);
}

/// Runs experiments one after another, keeping every finished row, so that if a later run cannot
/// be carried out the rows already measured are still printed and written (nothing is lost).
class session {
 public:
  session(std::FILE* human, const output_target& json, const output_target& csv)
      : human_(human), json_(json), csv_(csv), tty_(::isatty(::fileno(human)) != 0) {}

  std::vector<measured_run> run(const experiment_spec& spec) {
    const std::size_t first = done_.size();  // this experiment's rows start here
    try {
      return run_experiment(spec, [&](const measured_run& m) {
        if (tty_) {
          std::fprintf(human_, "  measured %-12s W=%-3zu median %.1f ms\n", m.executor.c_str(),
                       m.workers, m.wall_median * 1e3);
          std::fflush(human_);
        }
        done_.push_back(m);
      });
    } catch (const std::invalid_argument&) {
      throw;  // bad input is found before anything runs
    } catch (...) {
      if (!done_.empty()) {
        print(human_,
              format_table({done_.begin() + static_cast<std::ptrdiff_t>(first), done_.end()}));
        write();
        std::fprintf(stderr, "parlab: the %zu rows measured before the error were written\n",
                     done_.size());
      }
      throw;
    }
  }

  /// Writes every row measured so far to the requested outputs.
  void write() const {
    json_.write(to_json(describe_machine(), done_));
    csv_.write(to_csv(done_));
  }

  [[nodiscard]] const std::vector<measured_run>& rows() const { return done_; }

 private:
  std::FILE* human_;
  const output_target& json_;
  const output_target& csv_;
  bool tty_;
  std::vector<measured_run> done_;
};

/// Prints each failed task once and returns the exit code the runs deserve.
int report_failures(const std::vector<measured_run>& runs) {
  int code = exit_ok;
  for (const auto& r : runs) {
    for (const auto& f : r.failures) {
      std::fprintf(stderr, "parlab: %s: %s\n", r.executor.c_str(), f.c_str());
      code = exit_task_failed;
    }
  }
  return code;
}

int command_run(const run_options_cli& o, const common_options& common) {
  experiment_spec spec;
  spec.workload.name = o.workload;
  const workload_info& info = find_workload(o.workload);  // unknown name: invalid_argument
  for (const auto& e : o.executors) (void)make_executor(e);
  spec.executors = o.executors;
  spec.workers = o.workers ? at_least(*o.workers, 1, "--workers") : usable_cores();
  spec.workload.tasks = o.tasks ? at_least(*o.tasks, 1, "--tasks") : info.default_tasks;
  if (o.size) spec.workload.size = at_least(*o.size, 0, "--size");
  spec.workload.seed = o.seed;
  spec.repeat = at_least(common.repeat, 1, "--repeat");
  spec.baseline = !o.no_baseline;
  spec.keep_records = o.records;
  if (!(o.switch_interval_ms > 0.0) || o.switch_interval_ms > 10'000.0) {
    throw usage_error(fmt::format("--switch-interval must be in (0, 10000] milliseconds (got {})",
                                  o.switch_interval_ms));
  }
  spec.gil_switch_interval =
      std::chrono::nanoseconds(static_cast<std::int64_t>(o.switch_interval_ms * 1e6));
  if (!o.fault.empty()) {
    if (o.fault != "throw") {
      throw usage_error(fmt::format("unknown --fault mode '{}' (allowed: throw)", o.fault));
    }
    spec.workload.fault = fault_mode::throw_exception;
    spec.workload.fault_task = at_least(o.fault_task, 0, "--fault-task");
    if (spec.workload.fault_task >= spec.workload.tasks) {
      throw usage_error(fmt::format("--fault-task {} does not exist (tasks are 0..{})",
                                    spec.workload.fault_task, spec.workload.tasks - 1));
    }
  }
  const auto [json, csv] = checked_outputs(common);
  std::FILE* human = human_stream(json, csv);
  print(human, fmt::format("{} workload, {} tasks of size {} ({}), {} repeats\n",
                           spec.workload.name, spec.workload.tasks, effective_size(spec.workload),
                           info.size_meaning, spec.repeat));
  session s(human, json, csv);
  const auto runs = s.run(spec);
  print(human, format_table(runs));
  s.write();
  return report_failures(runs);
}

int command_list() {
  std::string out = "Workloads (--workload):\n";
  for (const auto& w : workloads()) {
    out += fmt::format("  {:<12} {}\n  {:<12} size: {} (default {}), default tasks {}\n", w.name,
                       w.description, "", w.size_meaning, w.default_size, w.default_tasks);
  }
  out += "\nExecutors (--executor):\n";
  for (const auto& e : executors()) {
    out += fmt::format("  {:<12} {}{}\n", e.name, e.description,
                       e.available ? "" : "  [not available on this machine]");
  }
  print(stdout, out);
  return exit_ok;
}

int command_demo(const common_options& common) {
  const auto [json, csv] = checked_outputs(common);
  std::FILE* human = human_stream(json, csv);
  const std::int64_t started = monotonic_ns();
  const machine_info machine = describe_machine();
  const std::vector<std::string> models = {"sequential", "threads", "thread-pool", "processes",
                                           "gil-threads"};

  experiment_spec cpu;
  cpu.workload.name = "cpu";
  cpu.workload.tasks = find_workload("cpu").default_tasks;
  cpu.executors = models;
  cpu.workers = machine.cores;
  cpu.repeat = at_least(common.repeat, 1, "--repeat");

  experiment_spec io = cpu;
  io.workload.name = "io";
  io.workload.tasks = find_workload("io").default_tasks;
  io.workers = 16;

  print(human, fmt::format("parlab demo: the classic experiment on {} ({} core{} usable, {})\n\n",
                           machine.hostname, machine.cores, machine.cores == 1 ? "" : "s",
                           machine.cpu_model));
  print(human,
        fmt::format("CPU-bound: {} tasks, each counting primes for {} units; W = {} (cores)\n",
                    cpu.workload.tasks, effective_size(cpu.workload), cpu.workers));
  session s(human, json, csv);
  const auto cpu_runs = s.run(cpu);
  print(human, format_table(cpu_runs) + "\n");
  print(human,
        fmt::format("I/O-bound: {} tasks, each waiting {} ms then computing 1 unit; W = {}\n",
                    io.workload.tasks, effective_size(io.workload), io.workers));
  const auto io_runs = s.run(io);
  print(human, format_table(io_runs) + "\n");

  std::string text = "Conclusions:\n";
  for (const auto& line : conclusions(cpu_runs, io_runs, machine.cores))
    text += "  * " + line + "\n";
  text += fmt::format(
      "\n(measured in {:.1f} s; each row: median of {} runs after one warm-up; "
      "speedup against sequential in the same invocation)\n",
      to_seconds(monotonic_ns() - started), cpu.repeat);
  print(human, text);

  s.write();
  return report_failures(s.rows());
}

constexpr const char* kExamples = R"(Examples:
  parlab                                   run the classic experiment (same as 'parlab demo')
  parlab run -w cpu -e threads,processes,gil-threads -j 2
  parlab run -w io -e threads,gil-threads -j 16 --tasks 32
  parlab run -w cpu -e gil-threads -j 2 --switch-interval 1 --json result.json --records
  parlab run -w cpu -e threads -j 2 --pin-cores 0      multitasking: two threads, one core
  parlab run -w cpu -e threads --fault throw --fault-task 3
  parlab list

Exit codes: 0 ok, 1 a task failed, 2 bad input, 3 the run could not be carried out.)";

/// --pin-cores: pin this process before any thread starts, so every worker (and every forked
/// child) inherits the mask and the run is confined to those cores.
void apply_pinning(const common_options& common) {
  if (common.pin_cores.empty()) return;
  std::vector<int> cpus;
  try {
    cpus = parse_cpu_list(common.pin_cores);
  } catch (const std::invalid_argument& e) {
    throw usage_error(std::string("--pin-cores: ") + e.what());
  }
  pin_to_cpus(cpus);
}

int dispatch(int argc, char** argv) {
  CLI::App app{
      "parlab - a laboratory for multitasking, multithreading, multiprocessing, "
      "concurrency and parallelism",
      "parlab"};
  app.footer(kExamples);
  app.require_subcommand(0, 1);
  app.set_version_flag("--version", "parlab " PARLAB_VERSION);

  common_options common;
  run_options_cli run_opts;

  auto* run = app.add_subcommand("run", "Run a workload under one or more execution models");
  run->add_option("-w,--workload", run_opts.workload, "Workload: cpu or io (see 'parlab list')")
      ->capture_default_str();
  run->add_option("-e,--executor", run_opts.executors,
                  "Execution models, comma-separated (see 'parlab list')")
      ->delimiter(',')
      ->capture_default_str();
  run->add_option("-j,--workers", run_opts.workers, "W: tasks at once (default: number of cores)");
  run->add_option("-t,--tasks", run_opts.tasks, "Number of tasks (default: the workload's)");
  run->add_option("-s,--size", run_opts.size, "Size of each task (meaning: see 'parlab list')");
  run->add_option("-r,--repeat", common.repeat, "Measured runs per model, after one warm-up")
      ->capture_default_str();
  run->add_option("--seed", run_opts.seed, "Seed of the workload generator")->capture_default_str();
  run->add_flag("--no-baseline", run_opts.no_baseline, "Skip the sequential baseline");
  run->add_option("--switch-interval", run_opts.switch_interval_ms,
                  "gil-threads: milliseconds a waiter waits before forcing a hand-off")
      ->capture_default_str();
  run->add_option("--pin-cores", common.pin_cores,
                  "Run on these CPUs only, children included (e.g. 0, 0,1, 0-3)");
  run->add_option("--json", common.json, "Write the result (schema parlab.result/1) to PATH or -");
  run->add_option("--csv", common.csv, "Write one CSV line per run to PATH or -");
  run->add_flag("--records", run_opts.records, "Include every task's record in the JSON");
  run->add_option("--fault", run_opts.fault, "Inject a fault into one task: throw");
  run->add_option("--fault-task", run_opts.fault_task, "Which task gets the fault")
      ->capture_default_str();
  run->footer(kExamples);

  auto* list = app.add_subcommand("list", "List workloads and execution models");
  auto* demo = app.add_subcommand(
      "demo", "Run the classic experiment: cpu and io under five models, with conclusions");
  demo->add_option("-r,--repeat", common.repeat, "Measured runs per model, after one warm-up")
      ->capture_default_str();
  demo->add_option("--pin-cores", common.pin_cores, "Run on these CPUs only (e.g. 0)");
  demo->add_option("--json", common.json, "Also write the result to PATH or -");
  demo->add_option("--csv", common.csv, "Also write one CSV line per run to PATH or -");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "parlab: %s (see 'parlab --help')\n", e.what());
    return exit_usage;
  }

  apply_pinning(common);
  if (*run) return command_run(run_opts, common);
  if (*list) return command_list();
  return command_demo(common);  // 'parlab demo' and plain 'parlab'
}

}  // namespace

int main(int argc, char** argv) noexcept {
  try {
    return dispatch(argc, argv);
  } catch (const std::invalid_argument& e) {  // includes usage_error
    std::fprintf(stderr, "parlab: %s\n", e.what());
    return exit_usage;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "parlab: error: %s\n", e.what());
    return exit_runtime;
  } catch (...) {
    std::fprintf(stderr, "parlab: error: unknown exception\n");
    return exit_runtime;
  }
}

}  // namespace parlab::cli
