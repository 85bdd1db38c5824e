#include "cli/cli.hpp"

#include "example.hpp"

#include <parlab/clock.hpp>
#include <parlab/cpython.hpp>
#include <parlab/experiment.hpp>
#include <parlab/machine.hpp>
#include <parlab/overhead.hpp>
#include <parlab/pictures.hpp>
#include <parlab/report.hpp>

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
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
  std::string trace;
  std::string svg;
  std::string report;
  std::int64_t repeat = 3;
  bool timeline = false;

  /// Pictures need the representative runs' timelines.
  [[nodiscard]] bool wants_timelines() const {
    return timeline || !trace.empty() || !svg.empty() || !report.empty();
  }
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
  std::int64_t http_latency_ms = 20;
  double http_bandwidth_mib = 8.0;
  double cpu_fraction = 0.5;
  bool python = false;
};

std::size_t at_least(std::int64_t value, std::int64_t minimum, const char* option) {
  if (value < minimum) {
    throw usage_error(fmt::format("{} must be at least {} (got {})", option, minimum, value));
  }
  return static_cast<std::size_t>(value);
}

void print_to(std::FILE* f, const std::string& s) {
  std::fputs(s.c_str(), f);
  std::fflush(f);
}

/// Every file a command may write, checked before anything runs.
struct outputs {
  output_target json, csv, trace, svg, report;

  /// Throws usage_error for an unwritable path or for two outputs on standard output.
  explicit outputs(const common_options& common)
      : json{common.json},
        csv{common.csv},
        trace{common.trace},
        svg{common.svg},
        report{common.report} {
    std::string on_stdout;
    for (const auto& [target, option] : named()) {
      if (target->is_stdout()) {
        if (!on_stdout.empty()) {
          throw usage_error(
              fmt::format("{} and {} cannot both write to standard output (-)", on_stdout, option));
        }
        on_stdout = option;
      }
      target->check(option);
    }
  }

  /// Human-readable output goes to stderr when stdout carries a document.
  [[nodiscard]] std::FILE* human() const {
    for (const auto& [target, option] : named()) {
      if (target->is_stdout()) return stderr;
    }
    return stdout;
  }

  /// Every target with the option that names it.
  [[nodiscard]] std::array<std::pair<const output_target*, const char*>, 5> named() const {
    return {{{&json, "--json"},
             {&csv, "--csv"},
             {&trace, "--trace"},
             {&svg, "--svg"},
             {&report, "--report"}}};
  }

  /// Writes every requested document for these rows.
  void write(const machine_info& machine, const std::vector<measured_run>& rows,
             const std::vector<std::string>& findings) const {
    json.write(to_json(machine, rows));
    csv.write(to_csv(rows));
    trace.write(to_chrome_trace(machine, rows));
    svg.write(to_svg(rows));
    report.write(to_html_report(machine, rows, findings));
  }
};

/// The terminal timelines of `runs`, coloured when `f` is a terminal.
void print_timelines(std::FILE* f, const std::vector<const measured_run*>& runs) {
  const bool colour = ::isatty(::fileno(f)) != 0;
  for (const auto* r : runs) {
    std::string text = format_timeline(*r, {96, colour});
    text.insert(text.begin(), '\n');  // (not "\n" + ...: GCC 12 -Wrestrict false positive)
    print_to(f, text);
  }
}

/// Runs experiments one after another, keeping every finished row, so that if a later run cannot
/// be carried out the rows already measured are still printed and written (nothing is lost).
class session {
 public:
  explicit session(const outputs& out)
      : human_(out.human()), out_(out), tty_(::isatty(::fileno(human_)) != 0) {}

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
        print_to(human_,
                 format_table({done_.begin() + static_cast<std::ptrdiff_t>(first), done_.end()}));
        write();
        std::fprintf(stderr, "parlab: the %zu rows measured before the error were written\n",
                     done_.size());
      }
      throw;
    }
  }

  /// Adds rows measured elsewhere (CPython's) to what is written.
  void add(const std::vector<measured_run>& rows) {
    done_.insert(done_.end(), rows.begin(), rows.end());
  }

  /// Writes every row measured so far to the requested outputs.
  void write(const std::vector<std::string>& findings = {}) const {
    out_.write(machine_, done_, findings);
  }

  [[nodiscard]] const std::vector<measured_run>& rows() const { return done_; }
  [[nodiscard]] const machine_info& machine() const { return machine_; }

 private:
  std::FILE* human_;
  const outputs& out_;
  bool tty_;
  machine_info machine_ = describe_machine();  // before any experiment pins a thread
  std::vector<measured_run> done_;
};

/// Prints each failed task once (the tasks lost with a whole run that died, in one line) and
/// returns the exit code the runs deserve.
int report_failures(const std::vector<measured_run>& runs) {
  int code = exit_ok;
  for (const auto& r : runs) {
    std::size_t lost = 0;
    for (const auto& f : r.failures) {
      code = exit_task_failed;
      if (f.find("failed: lost with the whole run") != std::string::npos) {
        ++lost;
        continue;
      }
      std::fprintf(stderr, "parlab: %s: %s\n", r.executor.c_str(), f.c_str());
    }
    if (lost != 0) {
      std::fprintf(stderr, "parlab: %s: %zu other task%s lost with the whole run\n",
                   r.executor.c_str(), lost, lost == 1 ? "" : "s");
    }
  }
  return code;
}

/// CPython side by side for one experiment of parlab's: the same tasks, workers, repeats and
/// seed (cpu tasks with 1/cpython_cpu_scale of the units). Says in one line why there are no rows
/// when python3 is missing or fails, and carries on.
std::vector<measured_run> cpython_side_by_side(session& s, std::FILE* human,
                                               const experiment_spec& spec) {
  static const std::optional<std::string> python = find_python3();
  if (!python) {
    static bool said = false;  // once per invocation, not once per experiment
    if (!std::exchange(said, true)) {
      print_to(human, "python3 not found on PATH: no CPython rows (install python3 to see them)\n");
    }
    return {};
  }
  cpython_spec py;
  py.workload = spec.workload.name;
  py.tasks = spec.workload.tasks;
  const std::uint64_t size = effective_size(spec.workload);
  py.size = py.workload == "cpu" ? std::max<std::uint64_t>(1, size / cpython_cpu_scale) : size;
  py.workers = spec.workers;
  py.repeat = spec.repeat;
  py.seed = spec.workload.seed;
  try {
    auto rows = run_cpython(py, *python);
    s.add(rows);
    return rows;
  } catch (const std::runtime_error& e) {
    std::fprintf(stderr, "parlab: no CPython rows: %s\n", e.what());
    return {};
  }
}

/// The note under a table with CPython rows.
std::string cpython_note(const std::vector<measured_run>& rows) {
  if (rows.empty()) return {};
  const auto& r = rows.front();
  return fmt::format(
      "cpython-* rows: the same {} tasks run by CPython (python/parlab_reference.py), {} {} "
      "each{}; their speedups are against cpython-sequential\n",
      r.tasks, r.size, r.workload == "cpu" ? "units" : "ms",
      r.workload == "cpu"
          ? fmt::format(" (1/{} of the units: CPython computes far slower)", cpython_cpu_scale)
          : "");
}

/// `a` then `b`.
std::vector<measured_run> joined(std::vector<measured_run> a, const std::vector<measured_run>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
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
  spec.keep_records = o.records || common.wants_timelines();
  if (!(o.switch_interval_ms > 0.0) || o.switch_interval_ms > 10'000.0) {
    throw usage_error(fmt::format("--switch-interval must be in (0, 10000] milliseconds (got {})",
                                  o.switch_interval_ms));
  }
  spec.gil_switch_interval =
      std::chrono::nanoseconds(static_cast<std::int64_t>(o.switch_interval_ms * 1e6));
  if (o.http_latency_ms < 0 || o.http_latency_ms > 60'000) {
    throw usage_error(fmt::format("--http-latency must be in [0, 60000] milliseconds (got {})",
                                  o.http_latency_ms));
  }
  if (!(o.http_bandwidth_mib >= 0.0) || o.http_bandwidth_mib > 1e6) {
    throw usage_error(
        fmt::format("--http-bandwidth must be in [0, 1000000] MiB/s, 0 for unlimited (got {})",
                    o.http_bandwidth_mib));
  }
  if (!(o.cpu_fraction >= 0.0 && o.cpu_fraction <= 1.0)) {
    throw usage_error(fmt::format("--cpu-fraction must be in [0, 1] (got {})", o.cpu_fraction));
  }
  spec.workload.cpu_fraction = o.cpu_fraction;
  spec.workload.http.latency = std::chrono::milliseconds(o.http_latency_ms);
  spec.workload.http.bandwidth_bytes_per_second =
      static_cast<std::uint64_t>(o.http_bandwidth_mib * 1024.0 * 1024.0);
  if (!o.fault.empty()) {
    try {
      spec.workload.fault = fault_mode_from_string(o.fault);
    } catch (const std::invalid_argument& e) {
      throw usage_error(std::string("--fault: ") + e.what());
    }
    spec.workload.fault_task = at_least(o.fault_task, 0, "--fault-task");
    if (spec.workload.fault_task >= spec.workload.tasks) {
      throw usage_error(fmt::format("--fault-task {} does not exist (tasks are 0..{})",
                                    spec.workload.fault_task, spec.workload.tasks - 1));
    }
  }
  if (o.python && spec.workload.name != "cpu" && spec.workload.name != "io") {
    throw usage_error(
        fmt::format("--python: no CPython reference for workload '{}' (allowed: "
                    "cpu, io)",
                    spec.workload.name));
  }
  const outputs out(common);
  std::FILE* human = out.human();
  print_to(human, fmt::format("{} workload, {} tasks of size {} ({}), {} repeats\n",
                              spec.workload.name, spec.workload.tasks,
                              effective_size(spec.workload), info.size_meaning, spec.repeat));
  session s(out);
  auto runs = s.run(spec);
  if (o.python) {
    const auto py = cpython_side_by_side(s, human, spec);
    runs = joined(std::move(runs), py);
    print_to(human, format_table(runs) + cpython_note(py));
  } else {
    print_to(human, format_table(runs));
  }
  if (common.timeline) {
    std::vector<const measured_run*> all;
    for (const auto& r : runs) all.push_back(&r);
    print_timelines(human, all);
  }
  s.write();
  return report_failures(runs);
}

int command_list() {
  std::string out = "Workloads (--workload):\n";
  for (const auto& w : workloads()) {
    out += fmt::format("  {:<12} {}\n  {:<12} size: {} (default {}), default tasks {}\n", w.name,
                       w.description, "", w.size_meaning, w.default_size, w.default_tasks);
  }
  out += fmt::format("\nExecutors (--executor):\n  {:<12} {:<13} {}\n", "name", "here", "model");
  for (const auto& e : executors()) {
    out += fmt::format("  {:<12} {:<13} {}\n", e.name, e.available ? "available" : "not built",
                       e.description);
  }
  print_to(stdout, out);
  return exit_ok;
}

struct overhead_options_cli {
  std::vector<std::string> executors;  // empty: every model built here
  std::int64_t tasks = 200;
  std::int64_t repeat = 7;
  std::string json;
};

int command_overhead(const overhead_options_cli& o) {
  std::vector<std::string> models = o.executors;
  if (models.empty()) {
    for (const auto& e : executors()) {
      if (e.available) models.push_back(e.name);
    }
  }
  for (const auto& m : models) (void)make_executor(m);  // unknown or unbuilt: exit 2
  const std::size_t tasks = at_least(o.tasks, 2, "--tasks");
  const std::size_t repeat = at_least(o.repeat, 1, "--repeat");
  const output_target json{o.json};
  json.check("--json");
  std::FILE* human = json.is_stdout() ? stderr : stdout;
  const machine_info machine = describe_machine();
  print_to(human, fmt::format("Fixed costs per model with W = 1 and empty tasks ({} per batch, "
                              "median of {}), on {} cores:\n",
                              tasks, repeat, machine.cores));
  std::vector<overhead_figures> rows;
  for (const auto& m : models) {
    rows.push_back(measure_overhead(m, tasks, repeat));
  }
  json.write(overhead_to_json(machine, rows));
  print_to(human, format_overhead_table(rows));
  print_to(human,
           "\nfirst task: run start until the first task starts (creating the worker);\n"
           "per task: each further task (dispatch + result back; a thread or process per task "
           "also pays its creation and join);\nfinish: last task's end until the run returns "
           "(join, reap).\n");
  return exit_ok;
}

/// Runs `spec` with this thread (and so every worker and child it starts) confined to `cpu`,
/// then restores the previous mask: the demo's one-core multitasking case.
std::vector<measured_run> run_on_one_cpu(session& s, const experiment_spec& spec, int cpu) {
  const scoped_cpu_pin pin({cpu});
  return s.run(spec);
}

const measured_run* find_run(const std::vector<measured_run>& runs, std::string_view executor) {
  for (const auto& r : runs) {
    if (r.executor == executor) return &r;
  }
  return nullptr;
}

int command_demo(const common_options& common, bool python) {
  const outputs out(common);
  std::FILE* human = out.human();
  // Unless told otherwise, the demo leaves its report in the current directory - if it can.
  std::optional<output_target> default_report;
  if (!out.report.requested()) {
    default_report = output_target{"parlab-report.html"};
    try {
      default_report->check("--report");
    } catch (const usage_error& e) {
      std::fprintf(stderr, "parlab: no HTML report: %s\n", e.what());
      default_report.reset();
    }
  }
  const std::int64_t started = monotonic_ns();
  const std::vector<std::string> models = {"sequential", "threads",     "thread-pool",
                                           "processes",  "gil-threads", "async"};
  session s(out);
  const machine_info& machine = s.machine();

  experiment_spec cpu;
  cpu.workload.name = "cpu";
  cpu.workload.tasks = find_workload("cpu").default_tasks;
  cpu.executors = models;
  cpu.workers = machine.cores;
  cpu.repeat = at_least(common.repeat, 1, "--repeat");
  cpu.keep_records = true;  // the report and the pictures below draw the timelines

  experiment_spec io = cpu;
  io.workload.name = "io";
  io.workload.tasks = find_workload("io").default_tasks;
  io.workers = 16;

  // The classic pictures need two more runs: threads on one core (multitasking: concurrency
  // without parallelism) and more threads than cores on every core (both at once).
  experiment_spec one_core = cpu;
  one_core.workload.tasks = 4;
  one_core.workload.size = 3000;
  one_core.executors = {"threads"};
  one_core.workers = 2;
  one_core.baseline = false;

  experiment_spec both = one_core;
  both.workload.tasks = 2 * machine.cores + 2;
  both.workers = 2 * machine.cores;

  print_to(human,
           fmt::format("parlab demo: the classic experiment on {} ({} core{} usable, {})\n\n",
                       machine.hostname, machine.cores, machine.cores == 1 ? "" : "s",
                       machine.cpu_model));
  print_to(human,
           fmt::format("CPU-bound: {} tasks, each counting primes for {} units; W = {} (cores)\n",
                       cpu.workload.tasks, effective_size(cpu.workload), cpu.workers));
  const auto cpu_runs = s.run(cpu);
  const auto py_cpu = python ? cpython_side_by_side(s, human, cpu) : std::vector<measured_run>{};
  print_to(human, format_table(joined(cpu_runs, py_cpu)) + cpython_note(py_cpu) + "\n");
  print_to(human,
           fmt::format("I/O-bound: {} tasks, each waiting {} ms then computing 1 unit; W = {}\n",
                       io.workload.tasks, effective_size(io.workload), io.workers));
  const auto io_runs = s.run(io);
  const auto py_io = python ? cpython_side_by_side(s, human, io) : std::vector<measured_run>{};
  print_to(human, format_table(joined(io_runs, py_io)) + cpython_note(py_io) + "\n");

  const int first_cpu = machine.affinity.empty() ? 0 : machine.affinity.front();
  print_to(human, fmt::format("Multitasking: {} threads computing, all pinned to CPU {}\n",
                              one_core.workers, first_cpu));
  const auto one_core_runs = run_on_one_cpu(s, one_core, first_cpu);
  print_to(human, format_table(one_core_runs) + "\n");
  print_to(human, fmt::format("Both: {} threads computing on {} core{}\n", both.workers,
                              machine.cores, machine.cores == 1 ? "" : "s"));
  const auto both_runs = s.run(both);
  print_to(human, format_table(both_runs) + "\n");

  std::vector<std::string> findings = conclusions(cpu_runs, io_runs, machine.cores);
  for (auto& line : cpython_conclusions(cpu_runs, py_cpu, py_io)) findings.push_back(line);
  std::string text = "Conclusions:\n";
  for (const auto& line : findings) text += "  * " + line + "\n";
  print_to(human, text);

  // One picture per verdict: serial, concurrent (one core), parallel, both.
  print_to(human,
           "\nWhat ran when (one lane per worker and per CPU; 'parlab run --timeline' "
           "draws any run):\n");
  std::vector<const measured_run*> pictures;
  for (const measured_run* r :
       {find_run(cpu_runs, "sequential"), find_run(one_core_runs, "threads"),
        find_run(cpu_runs, "threads"), find_run(both_runs, "threads")}) {
    if (r != nullptr) pictures.push_back(r);
  }
  print_timelines(human, pictures);

  std::string report_note;
  if (default_report) {
    default_report->write(to_html_report(machine, s.rows(), findings));
    report_note = fmt::format("HTML report: {}/{} (open it in a browser)\n",
                              std::filesystem::current_path().string(), default_report->path);
  } else if (out.report.requested() && !out.report.is_stdout()) {
    report_note = fmt::format("HTML report: {}\n", out.report.path);
  }
  s.write(findings);
  print_to(human,
           fmt::format("\n{}(measured in {:.1f} s; each row: median of {} runs after one warm-up; "
                       "speedup against sequential in the same invocation)\n",
                       report_note, to_seconds(monotonic_ns() - started), cpu.repeat));
  return report_failures(s.rows());
}

int command_report(const std::string& path, common_options common) {
  std::ifstream in(path);
  if (!in) {
    throw usage_error(
        fmt::format("report: cannot read '{}': {} (give a JSON file written by "
                    "'parlab run --json PATH --records')",
                    path, std::strerror(errno)));
  }
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  saved_result saved;
  try {
    saved = read_result_json(text);
  } catch (const std::invalid_argument& e) {
    throw usage_error(fmt::format("report: '{}': {}", path, e.what()));
  }
  if (common.trace.empty() && common.svg.empty() && common.report.empty()) common.timeline = true;
  const outputs out(common);
  std::FILE* human = out.human();
  print_to(human, format_table(saved.runs));
  std::vector<const measured_run*> drawn;
  std::vector<measured_run> cpu, io;
  for (const auto& r : saved.runs) {
    if (r.workload == "cpu" && r.tasks == find_workload("cpu").default_tasks) cpu.push_back(r);
    if (r.workload == "io") io.push_back(r);
    drawn.push_back(&r);
  }
  const auto findings = !cpu.empty() && !io.empty() ? conclusions(cpu, io, saved.machine.cores)
                                                    : std::vector<std::string>{};
  if (common.timeline) print_timelines(human, drawn);
  bool any_timeline = false;
  for (const auto& r : saved.runs)
    any_timeline = any_timeline || !r.representative.recorded.events.empty();
  if (!any_timeline) {
    std::fprintf(stderr, "parlab: report: '%s' has no timelines (write it with --records)\n",
                 path.c_str());
  }
  out.write(saved.machine, saved.runs, findings);  // (report takes no --json or --csv)
  return exit_ok;
}

/// 'parlab example': the catalog, or one example run with its own arguments.
int command_example(bool list, const std::string& name, const std::vector<std::string>& args) {
  const auto& all = examples::catalog();
  std::string names;
  for (const auto& e : all) names += (names.empty() ? "" : ", ") + std::string(e.name);
  if (list || name.empty()) {
    std::string out =
        "Examples (parlab example NAME [--quick] [--help]; * also draws: --timeline, --svg "
        "PATH):\n";
    for (const auto& e : all) {
      out += fmt::format("  {:<28} {} {}\n", e.name,
                         e.draws == examples::pictures::drawn ? '*' : ' ', e.idea);
    }
    out +=
        "\nEach states its claim, measures it here and ends with 'verdict: holds' (exit 0) or "
        "'verdict: does not hold' (exit 1).\nSources: examples/NAME.cpp\n";
    print_to(stdout, out);
    return exit_ok;
  }
  const examples::example* e = examples::find(name);
  if (e == nullptr) {
    throw usage_error(fmt::format("example: unknown example '{}' (one of: {})", name, names));
  }
  std::vector<std::string> storage{"parlab example " + name};
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  return examples::run(e->name, e->main, static_cast<int>(storage.size()), argv.data());
}

constexpr const char* kExamples = R"(Examples:
  parlab                                   run the classic experiment (same as 'parlab demo')
  parlab run -w cpu -e threads,processes,gil-threads -j 2
  parlab demo --python                     the same work in CPython too: the real GIL
  parlab run -w io -e threads,gil-threads -j 16 --tasks 32
  parlab run -w http -e sequential,threads,async,process-pool -j 16   I/O on real sockets
  parlab run -w cpu -e gil-threads -j 2 --switch-interval 1 --json result.json --records
  parlab run -w cpu -e threads -j 2 --pin-cores 0 --timeline   multitasking: 2 threads, 1 core
  parlab run -w cpu -e threads,gil-threads -j 2 --report report.html --trace trace.json
  parlab run -w cpu -e threads --fault throw --fault-task 3
  parlab run -w cpu -e threads,process-pool --fault segv --fault-task 3   who survives a crash
  parlab report result.json --svg timeline.svg     draw a saved result
  parlab list
  parlab example --list                    the catalog: one small program per idea
  parlab example race_condition            run one; it ends with 'verdict: holds' or not
  parlab overhead --json overhead.json     what creating, dispatching and joining cost here

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
  run->add_option("-w,--workload", run_opts.workload,
                  "Workload: cpu, io, http, file, mem or mixed (see 'parlab list')")
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
  run->add_flag("--timeline", common.timeline, "Print each run's timeline in the terminal");
  run->add_option("--trace", common.trace,
                  "Write a Chrome trace (open in ui.perfetto.dev) to PATH or -");
  run->add_option("--svg", common.svg, "Write the timelines as an SVG image to PATH or -");
  run->add_option("--report", common.report, "Write a self-contained HTML report to PATH or -");
  run->add_option("--cpu-fraction", run_opts.cpu_fraction,
                  "mixed: share of each task's time spent computing, 0..1")
      ->capture_default_str();
  run->add_option("--http-latency", run_opts.http_latency_ms,
                  "http: milliseconds the loopback server waits before each response")
      ->capture_default_str();
  run->add_option("--http-bandwidth", run_opts.http_bandwidth_mib,
                  "http: MiB/s per connection the server sends at (0: unlimited)")
      ->capture_default_str();
  run->add_option(
      "--fault", run_opts.fault,
      "Inject a fault into one task: throw, abort, segv or exit (abort, segv and exit kill "
      "the process: under a thread model the whole run dies, in a supervised child)");
  run->add_option("--fault-task", run_opts.fault_task, "Which task gets the fault")
      ->capture_default_str();
  run->add_flag("--python", run_opts.python,
                "Also run the same cpu or io tasks in CPython (threading, multiprocessing, "
                "asyncio) when python3 is on PATH");
  run->footer(kExamples);

  auto* list = app.add_subcommand("list", "List workloads and execution models");
  auto* demo = app.add_subcommand(
      "demo", "Run the classic experiment: cpu and io under six models, with conclusions");
  demo->add_option("-r,--repeat", common.repeat, "Measured runs per model, after one warm-up")
      ->capture_default_str();
  bool demo_python = false;
  demo->add_flag("--python", demo_python,
                 "Also run the same work in CPython (threads, processes, asyncio) side by side");
  demo->add_option("--pin-cores", common.pin_cores, "Run on these CPUs only (e.g. 0)");
  demo->add_option("--json", common.json, "Also write the result to PATH or -");
  demo->add_option("--csv", common.csv, "Also write one CSV line per run to PATH or -");
  demo->add_option("--trace", common.trace, "Also write a Chrome trace to PATH or -");
  demo->add_option("--svg", common.svg, "Also write the timelines as SVG to PATH or -");
  demo->add_option("--report", common.report,
                   "Write the HTML report to PATH or - (default: ./parlab-report.html)");

  overhead_options_cli overhead_opts;
  auto* overhead = app.add_subcommand(
      "overhead", "Measure what each model costs here: start a worker, per task, finish");
  overhead
      ->add_option("-e,--executor", overhead_opts.executors,
                   "Models to measure (default: every model built here)")
      ->delimiter(',');
  overhead->add_option("-t,--tasks", overhead_opts.tasks, "Empty tasks per batch run")
      ->capture_default_str();
  overhead->add_option("-r,--repeat", overhead_opts.repeat, "Runs per figure (median)")
      ->capture_default_str();
  overhead->add_option("--json", overhead_opts.json,
                       "Write the figures (schema parlab.overhead/1) to PATH or -");

  bool example_list = false;
  std::string example_name;
  auto* example = app.add_subcommand(
      "example", "Run an example from the catalog: one idea, measured, with a verdict");
  example->add_flag("-l,--list", example_list, "List the examples");
  example->add_option("name", example_name, "The example to run (see --list)");
  example->prefix_command();  // what follows the name is the example's own options

  std::string saved;
  auto* report = app.add_subcommand(
      "report", "Draw a saved result (parlab run --json PATH --records): table and pictures");
  report->add_option("result", saved, "A JSON file written by parlab run/demo --json")->required();
  report->add_flag("--timeline", common.timeline,
                   "Print the timelines (the default when no other output is asked for)");
  report->add_option("--trace", common.trace, "Write a Chrome trace to PATH or -");
  report->add_option("--svg", common.svg, "Write the timelines as SVG to PATH or -");
  report->add_option("--report,--html", common.report,
                     "Write a self-contained HTML report to PATH or -");
  report->footer(R"(Examples:
  parlab run -w cpu -e threads,gil-threads -j 2 --json result.json --records
  parlab report result.json                      table and terminal timelines
  parlab report result.json --html report.html --svg timeline.svg --trace trace.json)");

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
  if (*example) return command_example(example_list, example_name, example->remaining());
  if (*overhead) return command_overhead(overhead_opts);
  if (*report) return command_report(saved, common);
  return command_demo(common, demo_python);  // 'parlab demo' and plain 'parlab'
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
