#include "cli/options.hpp"

#include "cli/cli.hpp"
#include "cli/outputs.hpp"

#include <parlab/build_info.hpp>
#include <parlab/limits.hpp>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace parlab::cli {
namespace {

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
  parlab sweep -w cpu -e threads,processes,gil-threads   how it scales with W, and which W to use
  parlab fit load-test.csv                 the scaling laws fitted to your own measurements
  parlab advise -w io                      which model and W to use for this work, and why
  parlab list
  parlab example --list                    the catalog: one small program per idea
  parlab example race_condition            run one; it ends with 'verdict: holds' or not
  parlab overhead --json overhead.json     what creating, dispatching and joining cost here

Ctrl-C (SIGINT) or SIGTERM stops a run: every child process is ended, the rows measured so far
are still written (the JSON says "interrupted": true) and parlab exits 130 (143 for SIGTERM).
Every output file is written whole or not at all.

Exit codes: 0 ok, 1 a task failed, 2 bad input, 3 the run could not be carried out or an output
could not be written, 128+N stopped by signal N.)";

void add_outputs(CLI::App* app, output_options& o, bool results) {
  if (results) {
    app->add_option("--json", o.json, "Write the result (schema parlab.result/1) to PATH or -")
        ->type_name("PATH");
    app->add_option("--csv", o.csv, "Write one CSV line per run to PATH or -")->type_name("PATH");
  }
  app->add_option("--trace", o.trace, "Write a Chrome trace (open in ui.perfetto.dev) to PATH or -")
      ->type_name("PATH");
  app->add_option("--svg", o.svg, "Write the timelines as an SVG image to PATH or -")
      ->type_name("PATH");
}

// The options that say what to run, shared by run and sweep (not W: run takes a count, sweep a
// list).
void add_workload_options(CLI::App* app, run_command& r) {
  app->add_option(
         "-w,--workload", r.workload,
         "Workload: cpu, io, http, file, mem, mixed, amdahl, locks, or a task graph: chain, "
         "fork-join, map-reduce, wavefront, pipeline, layered (see 'parlab list')")
      ->capture_default_str()
      ->type_name("WORKLOAD");
  app->add_option("-e,--executor", r.executors,
                  "Execution models, comma-separated (see 'parlab list'; default: threads,"
                  "thread-pool,processes,gil-threads)")
      ->type_name("MODELS");
  app->add_option("-t,--tasks", r.tasks, "Number of tasks (default: the workload's)");
  app->add_option("-s,--size", r.size, "Size of each task (meaning and range: 'parlab list')");
  app->add_option("-r,--repeat", r.repeat, "Measured runs per model, after one warm-up (3)");
  app->add_option("--seed", r.seed, "Seed of the workload generator (42)");
  app->add_flag("--no-baseline", r.no_baseline, "Skip the sequential baseline");
  app->add_option("--switch-interval", r.switch_interval_ms,
                  "gil-threads: milliseconds a waiter waits before forcing a hand-off (5)");
  app->add_option("--pin-cores", r.pin_cores,
                  "Run on these CPUs only, children included (e.g. 0, 0,1, 0-3)");
  app->add_option("--cpu-fraction", r.cpu_fraction,
                  "mixed: share of each task's time spent computing, 0..1 (0.5)");
  app->add_option("--serial-fraction", r.serial_fraction,
                  "amdahl: share of each task's compute that runs alone, 0..1 (0.3)");
  app->add_option("--critical-fraction", r.critical_fraction,
                  "locks: share of each task's compute inside critical sections, 0..1 (0.5)");
  app->add_option("--locks", r.locks, "locks: shared locks the critical sections use, 1..256 (1)");
  app->add_option("--graph", r.graph,
                  "Run your own task graph from FILE (JSON or Graphviz DOT; docs/graphs.md), or "
                  "- for standard input")
      ->type_name("PATH");
  app->add_option("--stages", r.stages,
                  "pipeline: stages each item goes through, the first and last serial, 1..64 (3)");
  app->add_option("--tokens", r.tokens,
                  "pipeline: items in the pipeline at once at most (its bounded queue) (2)");
  app->add_option("--width", r.width, "layered: tasks per layer (4)");
  app->add_option("--edge-probability", r.edge_probability,
                  "layered: chance a task waits for each task of the layer before, 0..1 (0.5)");
  app->add_option("--edge-bytes", r.edge_bytes,
                  "graph workloads: bytes each task hands each successor, K/M/G allowed (0): "
                  "shared in memory by threads, copied between processes");
  app->add_option("--http-latency", r.http_latency_ms,
                  "http: milliseconds the loopback server waits before each response (20)");
  app->add_option("--http-bandwidth", r.http_bandwidth_mib,
                  "http: MiB/s per connection the server sends at, 0: unlimited (8)");
  app->add_option(
         "--fault", r.fault,
         "Inject a fault into one task: throw, abort, segv or exit (abort, segv and exit kill "
         "the process: under a thread model the whole run dies, in a supervised child)")
      ->type_name("FAULT");
  app->add_option("--fault-task", r.fault_task, "Which task gets the fault (0)");
}

}  // namespace

void parse_workload_counts(const std::optional<std::string>& tasks,
                           const std::optional<std::string>& size,
                           const std::optional<std::string>& seed, workload_spec& spec) {
  const workload_info& info = find_workload(spec.name);  // unknown name: invalid_argument
  spec.tasks = tasks ? parse_count(*tasks, "--tasks", 1, limits::max_tasks) : info.default_tasks;
  if (size) {
    spec.size =
        parse_count(*size, fmt::format("--size for workload '{}'", info.name), 0, info.max_size);
  }
  if (seed) spec.seed = parse_count(*seed, "--seed", 0, UINT64_MAX);
}

std::uint64_t parse_count(const std::string& text, std::string_view option, std::uint64_t low,
                          std::uint64_t high) {
  std::uint64_t value = 0;
  const char* first = text.data();
  const char* last = first + text.size();
  const auto [end, ec] = std::from_chars(first, last, value);
  const bool digits_only =
      !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
  if (!digits_only || ec != std::errc{} || end != last || value < low || value > high) {
    throw usage_error(
        fmt::format("{} must be a whole number in [{}, {}] (got '{}')", option, low, high, text));
  }
  return value;
}

std::uint64_t parse_bytes(const std::string& text, std::string_view option, std::uint64_t low,
                          std::uint64_t high) {
  std::string digits = text;
  unsigned shift = 0;
  if (!digits.empty()) {
    const char unit = digits.back();
    shift = unit == 'K' || unit == 'k'   ? 10U
            : unit == 'M' || unit == 'm' ? 20U
            : unit == 'G' || unit == 'g' ? 30U
                                         : 0U;
    if (shift != 0) digits.pop_back();
  }
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  const bool digits_only =
      !digits.empty() && digits.find_first_not_of("0123456789") == std::string::npos;
  if (!digits_only || ec != std::errc{} || end != digits.data() + digits.size() ||
      value > (high >> shift) || (value << shift) < low) {
    throw usage_error(fmt::format(
        "{} must be a whole number of bytes, K, M or G after it for KiB, MiB or GiB, in [{}, {}] "
        "(got '{}')",
        option, low, high, text));
  }
  return value << shift;
}

double parse_number(const std::string& text, std::string_view option, double low, double high,
                    bool low_open) {
  double value = 0;
  const char* first = text.data();
  const char* last = first + text.size();
  const auto [end, ec] = std::from_chars(first, last, value);
  const bool in_range =
      std::isfinite(value) && (low_open ? value > low : value >= low) && value <= high;
  if (text.empty() || ec != std::errc{} || end != last || !in_range) {
    throw usage_error(fmt::format("{} must be a number in {}{}, {}] (got '{}')", option,
                                  low_open ? "(" : "[", low, high, text));
  }
  return value;
}

std::vector<std::string> split_names(const std::string& list, std::string_view option) {
  std::vector<std::string> names;
  std::size_t from = 0;
  for (;;) {
    const std::size_t comma = list.find(',', from);
    names.push_back(
        list.substr(from, comma == std::string::npos ? std::string::npos : comma - from));
    if (names.back().empty()) {
      throw usage_error(fmt::format(
          "{}: an empty name in '{}' (give names separated by single commas, see 'parlab list')",
          option, list));
    }
    if (comma == std::string::npos) return names;
    from = comma + 1;
  }
}

void require_value(const std::optional<std::string>& value, std::string_view option,
                   std::string_view expected) {
  if (value && value->empty()) {
    throw usage_error(fmt::format("{}: the value is empty (give {})", option, expected));
  }
}

std::unique_ptr<CLI::App> make_app(command_line& out) {
  auto app = std::make_unique<CLI::App>(
      "parlab - a laboratory for multitasking, multithreading, multiprocessing, "
      "concurrency and parallelism",
      "parlab");
  app->footer(kExamples);
  app->require_subcommand(0, 1);
  app->set_version_flag(
      "--version", [] { return build_text(this_build()); },
      "Print the version, the commit, how it was built and its models");

  run_command& r = out.run;
  auto* run = app->add_subcommand("run", "Run a workload under one or more execution models");
  add_workload_options(run, r);
  run->add_option("-j,--workers", r.workers, "W: tasks at once (default: number of cores)");
  add_outputs(run, r.outputs, true);
  run->add_flag("--records", r.records, "Include every task's record in the JSON");
  run->add_flag("--timeline", r.outputs.timeline, "Print each run's timeline in the terminal");
  run->add_flag("--exact", r.exact,
                "Record every context switch from the kernel's switch records (perf events, no "
                "privilege needed): exact slices, preemptions and migrations (docs/exact.md)");
  run->add_option("--report", r.outputs.report, "Write a self-contained HTML report to PATH or -")
      ->type_name("PATH");
  run->add_option("--mpi-schedule", r.mpi_schedule,
                  "mpi: dynamic (rank 0 hands out tasks) or static (rank r takes r, r+W, ...)")
      ->type_name("SCHEDULE");
  run->add_option("--hosts", r.hosts,
                  "mpi: where the ranks run, HOST[:SLOTS],... with this host first (mpirun's "
                  "--host); every rank's host gets a lane and its clock is aligned");
  run->add_option("--hostfile", r.hostfile, "mpi: where the ranks run, as an Open MPI hostfile")
      ->type_name("PATH");
  run->add_option("--mpi-timeout", r.mpi_timeout,
                  "mpi: seconds a batch may go without an answer before the job is taken for "
                  "hung and ended (3600)");
  run->add_option("--mpi-start-timeout", r.mpi_start_timeout,
                  "mpi: seconds the job may take to start on every host before it is ended, "
                  "naming the host that did not answer (30)");
  run->add_flag("--python", r.python,
                "Also run the same cpu or io tasks in CPython (threading, multiprocessing, "
                "asyncio) when python3 is on PATH");
  run->footer(kExamples);

  predict_command& pr = out.predict;
  auto* predict = app->add_subcommand(
      "predict",
      "Predict a task graph on 1 to 1024 workers under each model's measured costs and "
      "scheduling (one queue, or work stealing for tbb) and the slowdown of tasks running at "
      "once, and check the prediction against real runs");
  predict
      ->add_option("file", pr.file,
                   "A graph file whose tasks give duration_ms, or a saved result with records "
                   "(parlab run --json PATH --records): predicted, not run")
      ->type_name("PATH");
  add_workload_options(predict, pr.run);
  predict->add_option("--faster", pr.faster,
                      "What if task TASK (an id or a label) took PCT% less time: TASK:PCT "
                      "(repeatable; default: the longest task on and off the critical path, 50%)");
  predict->add_option("--max-workers", pr.max_workers, "Predict up to this P (1024)");
  predict->add_flag("--no-check", pr.no_check,
                    "Predict only: skip the real runs at W = 1 and W = cores");
  predict
      ->add_option("--json", pr.run.outputs.json,
                   "Write the prediction (schema parlab.prediction/1) to PATH or -")
      ->type_name("PATH");
  predict->footer(R"(Examples:
  parlab predict -w wavefront -t 64 -e thread-pool,process-pool
  parlab predict --graph build.dot --faster link:50
  parlab predict build-times.json          (tasks with duration_ms: predicted only))");

  app->add_subcommand("list", "List workloads and execution models");

  demo_command& d = out.demo;
  auto* demo = app->add_subcommand(
      "demo", "Run the classic experiment: cpu and io under six models, with conclusions");
  demo->add_option("-r,--repeat", d.repeat, "Measured runs per model, after one warm-up (3)");
  demo->add_flag("--python", d.python,
                 "Also run the same work in CPython (threads, processes, asyncio) side by side");
  demo->add_option("--pin-cores", d.pin_cores, "Run on these CPUs only (e.g. 0)");
  add_outputs(demo, d.outputs, true);
  demo->add_option("--report", d.outputs.report,
                   "Write the HTML report to PATH or - (default: ./parlab-report.html)")
      ->type_name("PATH");

  overhead_command& o = out.overhead;
  auto* overhead = app->add_subcommand(
      "overhead", "Measure what each model costs here: start a worker, per task, finish");
  overhead
      ->add_option("-e,--executor", o.executors,
                   "Models to measure, comma-separated (default: every model built here)")
      ->type_name("MODELS");
  overhead->add_option("-t,--tasks", o.tasks, "Empty tasks per batch run (200)");
  overhead->add_option("-r,--repeat", o.repeat, "Runs per figure, median (7)");
  overhead
      ->add_option("--json", o.json, "Write the figures (schema parlab.overhead/1) to PATH or -")
      ->type_name("PATH");
  overhead->add_option("--hosts", o.hosts,
                       "mpi: also time messages between the first two of these hosts "
                       "(HOST[:SLOTS],...), over the network");
  overhead
      ->add_option("--hostfile", o.hostfile,
                   "mpi: also time messages between the first two hosts of this Open MPI "
                   "hostfile, over the network")
      ->type_name("PATH");

  example_command& e = out.example;
  auto* example = app->add_subcommand(
      "example", "Run an example from the catalog: one idea, measured, with a verdict");
  example->add_flag("-l,--list", e.list, "List the examples");
  example->add_option("name", e.name, "The example to run (see --list)")->type_name("EXAMPLE");
  example->prefix_command();  // what follows the name is the example's own options

  report_command& p = out.report;
  auto* report = app->add_subcommand(
      "report", "Draw a saved result (parlab run --json PATH --records): table and pictures");
  report
      ->add_option("result", p.saved,
                   "A JSON file written by parlab run/demo --json, or - for standard input")
      ->required()
      ->type_name("PATH");
  report->add_flag("--timeline", p.outputs.timeline,
                   "Print the timelines (the default when no other output is asked for)");
  add_outputs(report, p.outputs, false);
  report
      ->add_option("--report,--html", p.outputs.report,
                   "Write a self-contained HTML report to PATH or -")
      ->type_name("PATH");
  report->footer(R"(Examples:
  parlab run -w cpu -e threads,gil-threads -j 2 --json result.json --records
  parlab report result.json                      table and terminal timelines
  parlab report result.json --html report.html --svg timeline.svg --trace trace.json)");

  fit_command& f = out.fit;
  auto* fit = app->add_subcommand(
      "fit", "Fit the scaling laws (USL, Amdahl) to a CSV of concurrency,throughput points");
  fit->add_option("csv", f.csv,
                  "The measurements: 'concurrency,throughput' lines (a file, or - for standard "
                  "input)")
      ->required()
      ->type_name("PATH");
  fit->add_option("predict", f.predict, "N to predict the throughput at");
  fit->footer(R"(Examples:
  parlab fit load-test.csv                       sigma, kappa, lambda, peak, regime, advice
  parlab fit load-test.csv 10 50 100             ... and the throughput predicted at those N
  ./load-test | parlab fit -                     the points from standard input)");

  compare_command& cmp = out.compare;
  auto* compare = app->add_subcommand(
      "compare", "Compare two saved results row by row: B's wall times against A's, tested");
  compare->add_option("a", cmp.a, "The result to compare against (parlab run --json; - for stdin)")
      ->required()
      ->type_name("PATH");
  compare->add_option("b", cmp.b, "The result compared (- for stdin)")
      ->required()
      ->type_name("PATH");
  compare->add_option("--threshold", cmp.threshold,
                      "Percent slower that counts, when the test finds it significant (5)");
  compare->add_option("--json", cmp.json, "Write the comparison (parlab.compare/1) to PATH or -")
      ->type_name("PATH");
  compare->footer(
      R"(Exit 0 when no row got slower beyond the threshold, 1 when one did, 2 for bad input.
Examples:
  parlab run -w cpu -e threads,processes -j 2 -r 5 --json before.json
  parlab run -w cpu -e threads,processes -j 2 -r 5 --json after.json
  parlab compare before.json after.json --threshold 10)");

  sweep_command& w = out.sweep;
  auto* sweep = app->add_subcommand(
      "sweep", "How a workload scales: W from 1 up, per model speedups, fitted laws, the W to use");
  add_workload_options(sweep, w.run);
  sweep->add_option("-j,--workers", w.workers,
                    "W to measure: a list (1,2,4,8) or a range (1..6); default: 1 up to twice "
                    "the cores, at least 6 points");
  sweep->add_flag("--weak", w.weak,
                  "Weak scaling (Gustafson): W times the tasks at W, so time should stay flat");
  sweep
      ->add_option("--json", w.run.outputs.json,
                   "Write the sweep (schema parlab.sweep/1) to PATH or -")
      ->type_name("PATH");
  sweep->add_option("--csv", w.run.outputs.csv, "Write one CSV line per model and W to PATH or -")
      ->type_name("PATH");
  sweep
      ->add_option("--svg", w.run.outputs.svg,
                   "Write the plots (throughput, efficiency, Karp-Flatt) as SVG to PATH or -")
      ->type_name("PATH");
  sweep
      ->add_option("--report", w.run.outputs.report,
                   "Write a self-contained HTML page to PATH or -")
      ->type_name("PATH");
  sweep->footer(R"(Examples:
  parlab sweep -w cpu -e threads,processes,gil-threads      W = 1..6 on 2 cores
  parlab sweep -w io -e threads,async -j 1,2,4,8,16,32 --tasks 64
  parlab sweep -w cpu -e thread-pool --weak --report sweep.html

Ctrl-C keeps the points measured so far: they are printed, fitted when there are enough, and
written to the files asked for (the JSON says "interrupted": true); exit 130.)");

  advise_command& a = out.advise;
  auto* advise = app->add_subcommand(
      "advise", "Which model and how many workers for a workload here, measured within a budget");
  add_workload_options(advise, a.run);
  advise->add_option("--budget", a.budget, "Seconds to spend measuring, at most (30)");
  advise
      ->add_option("--json", a.run.outputs.json,
                   "Write the advice and its sweep (schema parlab.advice/1) to PATH or -")
      ->type_name("PATH");
  advise->footer(R"(Examples:
  parlab advise -w cpu                  every model, W = 2 and 4 on 2 cores: which wins, and why
  parlab advise -w io --budget 20       W grows past the cores while throughput still rises
  parlab advise -w http -e threads,async,process-pool

Ctrl-C keeps what was measured: the advice those points support is printed and written.)");

  watch_command& wc = out.watch;
  auto* watch = app->add_subcommand(
      "watch", "Watch any program's threads and processes: timeline, wait reasons, verdict");
  watch->add_option("--pid", wc.pid, "Watch a running process of yours instead of a command");
  watch->add_option("--interval", wc.interval_ms,
                    "Milliseconds between two looks at every thread (1; 0.1 to 1000)");
  watch->add_option("--duration", wc.duration,
                    "With --pid: stop watching after this many seconds (default: until it ends)");
  watch->add_option("--max-threads", wc.max_threads,
                    "Threads drawn at most; later ones are counted, not drawn (1024)");
  watch->add_flag("--no-children", wc.no_children,
                  "Watch only the process itself, not the processes it starts");
  watch->add_flag("--exact", wc.exact,
                  "Also record every context switch from the kernel's switch records: exact "
                  "slices for every thread, short-lived ones included, and the sampling error");
  watch->add_flag("--live", wc.live,
                  "On a terminal, draw the watched threads in place about twice a second (state, "
                  "CPU share, history, threads at once, the verdict so far); q or Ctrl-C ends the "
                  "watch. The command's output is shown when the view closes");
  watch->add_flag("--timeline", wc.outputs.timeline, "Print the timeline of every thread");
  watch
      ->add_option("--json", wc.outputs.json,
                   "Write what was seen (schema parlab.watch/1) to PATH or -")
      ->type_name("PATH");
  watch
      ->add_option("--trace", wc.outputs.trace,
                   "Write a Chrome/Perfetto trace (ui.perfetto.dev) to PATH or -")
      ->type_name("PATH");
  watch->add_option("--svg", wc.outputs.svg, "Write the timeline as SVG to PATH or -")
      ->type_name("PATH");
  watch
      ->add_option("--report,--html", wc.outputs.report,
                   "Write a self-contained HTML report to PATH or -")
      ->type_name("PATH");
  watch->prefix_command();  // without '--', the first word that is no option starts the command
  watch->footer(R"(The command's exit status is parlab's (128 + N when a signal N killed it); 127
when the command does not exist, 2 for bad options or a PID that is not yours, 3 when watching
failed. Ctrl-C reaches the command; what was seen until it ended is written.
Examples:
  parlab watch --timeline -- python3 python/classic_threads_cpu.py
  parlab watch --live -- python3 python/classic_threads_cpu.py     drawn as it runs
  parlab watch --json make.json --svg make.svg -- make -j2
  parlab watch --pid 1234 --duration 10 --report server.html)");

  mpi_rank_command& m = out.mpi_rank;
  auto* mpi_rank = app->add_subcommand(
      "mpi-rank",
      "One rank of an MPI job: what the mpi model starts, or run it by hand with mpirun");
  mpi_rank->add_option("--connect", m.connect, "The mpi model's socket (set by parlab)");
  mpi_rank->add_option("--schedule", m.schedule, "dynamic or static")
      ->capture_default_str()
      ->type_name("SCHEDULE");
  mpi_rank->add_option("-w,--workload", m.workload, "Workload, when started by hand")
      ->capture_default_str()
      ->type_name("WORKLOAD");
  mpi_rank->add_option("-t,--tasks", m.tasks, "Number of tasks (default: the workload's)");
  mpi_rank->add_option("-s,--size", m.size, "Size of each task");
  mpi_rank->add_option("--seed", m.seed, "Seed of the workload generator (42)");
  mpi_rank->add_flag("--pingpong", m.pingpong,
                     "Instead: ranks 0 and 1 time messages of 8 B to 4 MiB (median round trips)");
  mpi_rank->add_flag("--visibility", m.visibility,
                     "Ranks 0 and 1 show that a write on one is invisible to the other until sent");
  mpi_rank->footer(R"(Example (as root, Open MPI also wants OMPI_ALLOW_RUN_AS_ROOT=1 and
OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1):
  mpirun --oversubscribe -np 3 parlab mpi-rank -w cpu -t 8     rank 0 manages, 2 ranks work
  mpirun -np 2 parlab mpi-rank -w cpu -t 8 --schedule static  both ranks work)");

  auto* completion = app->add_subcommand(
      "completion", "Print the shell completion script for bash, zsh or fish (see the footer)");
  completion->add_option("shell", out.completion.shell, "bash, zsh or fish")
      ->required()
      ->type_name("SHELL");
  completion->footer(
      R"(Made from this program's own options, so it is never out of date. The package installs
it; from a build tree:
  source <(parlab completion bash)                    bash, this shell
  parlab completion zsh > ~/.zfunc/_parlab             zsh (with ~/.zfunc on fpath)
  parlab completion fish > ~/.config/fish/completions/parlab.fish)");

  // Hidden: the build writes the man pages with it (parlab(1), parlab-COMMAND(1)).
  auto* manpages = app->add_subcommand("manpages", "Write the man pages into DIR");
  manpages->group("");
  manpages->add_option("dir", out.manpages.dir, "The directory to write them into")
      ->required()
      ->type_name("PATH");
  return app;
}

std::optional<int> parse_command_line(int argc, char** argv, command_line& out) {
  // parlab watch [options] -- COMMAND...: what follows the first '--' is the command, word for
  // word (CLI11 would take it as positionals of its own).
  if (argc > 2 && std::string_view(argv[1]) == "watch") {
    for (int i = 2; i < argc; ++i) {
      if (std::string_view(argv[i]) != "--") continue;
      out.watch.command.assign(argv + i + 1, argv + argc);
      argc = i;
      break;
    }
  }
  const auto app = make_app(out);
  try {
    app->parse(argc, argv);
  } catch (const CLI::CallForHelp& err) {
    return app->exit(err);
  } catch (const CLI::CallForAllHelp& err) {
    return app->exit(err);
  } catch (const CLI::CallForVersion& err) {
    return app->exit(err);
  } catch (const CLI::ParseError& err) {
    say(fmt::format("parlab: {} (see 'parlab --help')", err.what()));
    return exit_usage;
  }
  using command = command_line::command;
  static const std::pair<const char*, command> kCommands[] = {
      {"run", command::run},           {"list", command::list},
      {"demo", command::demo},         {"overhead", command::overhead},
      {"report", command::report},     {"fit", command::fit},
      {"compare", command::compare},   {"sweep", command::sweep},
      {"advise", command::advise},     {"predict", command::predict},
      {"mpi-rank", command::mpi_rank}, {"watch", command::watch},
      {"example", command::example},   {"completion", command::completion},
      {"manpages", command::manpages}};
  for (const CLI::App* sub : app->get_subcommands()) {
    const auto* found = std::find_if(std::begin(kCommands), std::end(kCommands),
                                     [&](const auto& c) { return sub->get_name() == c.first; });
    if (found == std::end(kCommands)) {
      throw std::logic_error("parse_command_line: no command for '" + sub->get_name() + "'");
    }
    out.which = found->second;
  }
  if (out.which == command::watch && out.watch.command.empty()) {
    out.watch.command = app->get_subcommand("watch")->remaining();
  }
  if (out.which == command::example) out.example.args = app->get_subcommand("example")->remaining();
  return std::nullopt;
}

}  // namespace parlab::cli
