// The fault matrix: each fault mode under each model - who survives, what is reported, and that
// nothing is left behind. Processes isolate faults; threads share their process's fate; MPI ranks
// share their job's.

#include <parlab/executor.hpp>
#include <parlab/experiment.hpp>
#include <parlab/workload.hpp>

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "proc_children.hpp"
#include "sanitizers.hpp"

namespace parlab {
namespace {

constexpr std::size_t kFaultTasks = 6;
constexpr std::size_t kVictim = 3;

#if defined(PARLAB_UNDER_ASAN) || defined(PARLAB_UNDER_TSAN)
constexpr bool kSanitized = true;  // sanitizers catch SIGSEGV and end processes their own way
#else
constexpr bool kSanitized = false;
#endif

class FaultMatrix : public ::testing::TestWithParam<std::tuple<std::string, std::string>> {};

TEST_P(FaultMatrix, ProcessesIsolateTheFaultThreadsShareItsFate) {
  const auto& [mode_name, model] = GetParam();
  const fault_mode mode = fault_mode_from_string(mode_name);
  experiment_spec spec;
  spec.workload.name = "cpu";
  spec.workload.tasks = kFaultTasks;
  spec.workload.size = 20;
  spec.workload.fault = mode;
  spec.workload.fault_task = kVictim;
  spec.executors = {model};
  spec.workers = 2;
  spec.repeat = 1;
  spec.baseline = false;
  spec.keep_records = true;
  const auto runs = run_experiment(spec);  // parlab itself must survive every cell
  ASSERT_EQ(runs.size(), 1U);
  const auto& records = runs[0].representative.records;
  ASSERT_EQ(records.size(), kFaultTasks);
  const std::string& victim = records[kVictim].message;
  EXPECT_FALSE(records[kVictim].ok);

  const bool isolated = find_executor(model).isolates_tasks;
  if (mode == fault_mode::throw_exception || isolated) {
    // Only the faulty task fails; every other one finishes.
    EXPECT_EQ(runs[0].failed_tasks, 1U) << victim;
    for (std::size_t i = 0; i < kFaultTasks; ++i) {
      if (i != kVictim) {
        EXPECT_TRUE(records[i].ok) << i << ": " << records[i].message;
      }
    }
  } else {
    // The whole run died with it, and parlab says how and where.
    EXPECT_EQ(runs[0].failed_tasks, kFaultTasks);
    EXPECT_EQ(victim.rfind("the whole run died: ", 0), 0U) << victim;
    EXPECT_NE(victim.find("in task 3"), std::string::npos) << victim;
    EXPECT_NE(records[0].message.find("lost with the whole run"), std::string::npos);
  }
  // The structured failure says the same as the message, without reading the text.
  const failure_kind kind = records[kVictim].failure;
  if (mode == fault_mode::throw_exception) {
    EXPECT_EQ(kind, failure_kind::threw);
  } else {
    EXPECT_TRUE(kind == failure_kind::killed_by_signal || kind == failure_kind::exited)
        << to_string(kind);
    if (!kSanitized && mode == fault_mode::abort_process) {
      EXPECT_EQ(kind, failure_kind::killed_by_signal);
      EXPECT_EQ(records[kVictim].failure_code, SIGABRT);
    }
    if (!kSanitized && mode == fault_mode::exit_process) {
      EXPECT_EQ(kind, failure_kind::exited);
      EXPECT_EQ(records[kVictim].failure_code, 3);
    }
  }
  if (mode != fault_mode::throw_exception && !isolated) {
    EXPECT_EQ(records[0].failure, failure_kind::lost_with_run);
    EXPECT_EQ(runs[0].failures[0].kind, failure_kind::lost_with_run);
  } else {
    EXPECT_EQ(records[0].failure, failure_kind::none);
  }
  std::string expected;
  switch (mode) {
    case fault_mode::throw_exception:
      expected = "injected fault (throw) in task 3";
      break;
    case fault_mode::abort_process:
      expected = "killed by SIGABRT";
      break;
    case fault_mode::segfault:
      // A sanitizer catches the fault and ends the process its own way (SIGABRT or a status).
      expected = kSanitized ? "" : "killed by SIGSEGV";
      if (kSanitized) {
        EXPECT_TRUE(victim.find("killed by SIG") != std::string::npos ||
                    victim.find("exited with status") != std::string::npos)
            << victim;
      }
      break;
    case fault_mode::exit_process:
      // ThreadSanitizer turns an _exit with unjoined threads into its own status (66).
      expected = kSanitized ? "exited with status" : "exited with status 3";
      break;
    case fault_mode::none:
      break;
  }
  EXPECT_NE(victim.find(expected), std::string::npos) << victim;

  int status = 0;
  EXPECT_TRUE(::waitpid(-1, &status, WNOHANG) < 0 && errno == ECHILD) << "a child is left";
  EXPECT_TRUE(proc::children_of(::getpid()).empty()) << "a child (or zombie) is left in /proc";
}

/// Every model built here: an injected fault is a step of the task's program (data), so MPI
/// ranks run it too; a rank that dies ends the job, and parlab says which rank and how.
std::vector<std::string> every_available_model() {
  std::vector<std::string> names;
  for (const auto& info : executors()) {
    if (info.available) names.push_back(info.name);
  }
  return names;
}

INSTANTIATE_TEST_SUITE_P(ModesTimesModels, FaultMatrix,
                         ::testing::Combine(::testing::Values("throw", "abort", "segv", "exit"),
                                            ::testing::ValuesIn(every_available_model())),
                         [](const auto& param_info) {
                           std::string n =
                               std::get<0>(param_info.param) + "_" + std::get<1>(param_info.param);
                           for (char& c : n) {
                             if (c == '-') c = '_';
                           }
                           return n;
                         });

TEST(FaultModes, NamesRoundTripAndUnknownOnesAreRejected) {
  for (auto m : {fault_mode::throw_exception, fault_mode::abort_process, fault_mode::segfault,
                 fault_mode::exit_process}) {
    EXPECT_EQ(fault_mode_from_string(to_string(m)), m);
  }
  EXPECT_TRUE(kills_process(fault_mode::segfault));
  EXPECT_FALSE(kills_process(fault_mode::throw_exception));
  try {
    (void)fault_mode_from_string("explode");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("'explode'"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("segv"), std::string::npos);
  }
}

}  // namespace
}  // namespace parlab
