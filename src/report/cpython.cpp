// CPython side by side: runs the reference script (built into parlab) with python3 and reads its
// parlab.result/1 document back.

#include <parlab/cpython.hpp>
#include <parlab/machine.hpp>
#include <parlab/pictures.hpp>
#include <parlab/timeline_analysis.hpp>

#include "core/child_process.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace parlab {
namespace {

void check_spec(const cpython_spec& spec) {
  if (spec.workload != "cpu" && spec.workload != "io") {
    throw std::invalid_argument("no CPython reference for workload '" + spec.workload +
                                "' (CPython runs: cpu, io)");
  }
  if (spec.tasks == 0 || spec.workers == 0 || spec.repeat == 0) {
    throw std::invalid_argument("CPython runs need at least one task, one worker and one repeat");
  }
  for (const auto& m : spec.models) {
    if (std::find(cpython_models().begin(), cpython_models().end(), m) == cpython_models().end()) {
      std::string allowed;
      for (const auto& known : cpython_models()) allowed += (allowed.empty() ? "" : ", ") + known;
      throw std::invalid_argument("unknown CPython model '" + m + "' (one of: " + allowed + ")");
    }
  }
}

/// Runs argv with its standard output captured (standard error passes through); returns the
/// output and how the program ended. An interrupt kills and reaps it.
std::pair<std::string, detail::child_exit> capture_stdout(const std::vector<std::string>& args) {
  auto child = detail::child_process::exec("CPython", {}, args);
  std::string text;
  char buffer[1 << 16];
  pollfd out{child.reports_fd(), POLLIN, 0};
  for (;;) {
    if (detail::poll_or_interrupt({&out, 1}, -1) <= 0) continue;
    const ssize_t n = ::read(child.reports_fd(), buffer, sizeof buffer);
    if (n > 0) {
      text.append(buffer, static_cast<std::size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  child.close_reports();
  return {std::move(text), child.wait()};
}

}  // namespace

const std::vector<std::string>& default_cpython_models() {
  static const std::vector<std::string> models = {"cpython-sequential", "cpython-threads",
                                                  "cpython-processes", "cpython-asyncio"};
  return models;
}

const std::vector<std::string>& cpython_models() {
  static const std::vector<std::string> models = {"cpython-sequential",   "cpython-threads",
                                                  "cpython-thread-pool",  "cpython-processes",
                                                  "cpython-process-pool", "cpython-asyncio"};
  return models;
}

cpython_spec cpython_spec_for(const experiment_spec& spec) {
  cpython_spec py;
  py.workload = spec.workload.name;
  py.tasks = spec.workload.tasks;
  const std::uint64_t size = effective_size(spec.workload);
  py.size = py.workload == "cpu" ? std::max<std::uint64_t>(1, size / cpython_cpu_scale) : size;
  py.workers = spec.workers;
  py.repeat = spec.repeat;
  py.seed = spec.workload.seed;
  check_spec(py);
  return py;
}

std::optional<std::string> find_python3() { return find_program("python3"); }

std::vector<measured_run> run_cpython(const cpython_spec& spec, const std::string& python) {
  check_spec(spec);
  std::string models;
  for (const auto& m : spec.models.empty() ? default_cpython_models() : spec.models) {
    models += (models.empty() ? "" : ",") + m;
  }
  const auto [text, how] = capture_stdout(
      {python, "-c", std::string(cpython_reference_script()), "--workload", spec.workload,
       "--tasks", std::to_string(spec.tasks), "--size", std::to_string(spec.size), "--workers",
       std::to_string(spec.workers), "--repeat", std::to_string(spec.repeat), "--seed",
       std::to_string(spec.seed), "--models", models, "--json", "-"});
  if (!how.exited() || how.exit_status() != 0) {
    throw std::runtime_error("the CPython reference script " + how.describe());
  }
  saved_result saved;
  try {
    saved = read_result_json(text);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(std::string("the CPython reference script wrote no result: ") +
                             e.what());
  }
  // The verdict comes from the recorded events, by the same rule as parlab's own rows.
  const std::size_t cores = usable_cores();
  for (auto& r : saved.runs) {
    r.concurrency = summarize(r.representative.recorded.events, r.workers, cores);
  }
  return std::move(saved.runs);
}

}  // namespace parlab
