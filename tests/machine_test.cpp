#include <parlab/experiment.hpp>
#include <parlab/limits.hpp>
#include <parlab/machine.hpp>

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>

#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace parlab {
namespace {

int online() { return static_cast<int>(::sysconf(_SC_NPROCESSORS_ONLN)); }

TEST(CpuList, ParsesSinglesListsAndRanges) {
  EXPECT_EQ(parse_cpu_list("0"), std::vector<int>{0});
  if (online() >= 2) {
    EXPECT_EQ(parse_cpu_list("1,0,1"), (std::vector<int>{0, 1}));
    EXPECT_EQ(parse_cpu_list("0-1"), (std::vector<int>{0, 1}));
  }
}

TEST(CpuList, RejectsBadTextAndMissingCpusNamingThem) {
  for (const char* bad : {"", "x", "0,", "-1", "1-0", "0-", "3.5"}) {
    EXPECT_THROW((void)parse_cpu_list(bad), std::invalid_argument) << bad;
  }
  try {
    (void)parse_cpu_list(std::to_string(online()));
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("does not exist"), std::string::npos) << e.what();
  }
}

TEST(Pinning, ConfinesTheThreadAndThreadsItStartsLater) {
  const std::vector<int> before = affinity();
  std::thread([&] {
    // Pin a scratch thread so the test process itself stays unpinned.
    pin_to_cpus({before.front()});
    EXPECT_EQ(affinity(), std::vector<int>{before.front()});
    EXPECT_EQ(usable_cores(), 1U);
    std::vector<int> inner;
    std::thread([&] { inner = affinity(); }).join();
    EXPECT_EQ(inner, std::vector<int>{before.front()});
  }).join();
  EXPECT_EQ(affinity(), before);
  EXPECT_THROW(pin_to_cpus({}), std::invalid_argument);
}

TEST(Pinning, AScopedPinRestoresTheMaskItFoundEvenOnAnException) {
  const std::vector<int> before = affinity();
  if (before.size() < 2) GTEST_SKIP() << "needs two usable CPUs to see a change";
  {
    const scoped_cpu_pin pin({before.back()});
    EXPECT_EQ(affinity(), std::vector<int>{before.back()});
  }
  EXPECT_EQ(affinity(), before);
  try {
    const scoped_cpu_pin pin({before.front()});
    EXPECT_EQ(affinity(), std::vector<int>{before.front()});
    throw std::runtime_error("leaving early");
  } catch (const std::runtime_error&) {
  }
  EXPECT_EQ(affinity(), before);
}

TEST(Machine, DescribesItself) {
  const auto m = describe_machine();
  EXPECT_GE(m.cores, 1U);
  EXPECT_EQ(m.affinity.size(), m.cores);
  EXPECT_FALSE(m.kernel.empty());
  EXPECT_FALSE(m.cpu_model.empty());
}

}  // namespace
}  // namespace parlab

namespace parlab {
namespace {

TEST(Machine, OthersCoresCountsWhatOtherProgramsKeptBusyDuringTheRuns) {
  ASSERT_TRUE(busy_cpu_seconds().has_value()) << "/proc/stat should be readable here";
  // Two processes that spin on this process's cores while a run of waiting tasks (next to no
  // CPU of our own) is measured: the cores were others', and the run says so. Unreaped, the
  // spinners' CPU time is not ours.
  std::vector<pid_t> spinners;
  for (int i = 0; i < 2; ++i) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      // Ends with this test's process even when it dies first (a sanitizer's abort, CTest's
      // timeout): a spinner left behind would hold a core under every test after it.
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() == 1) ::_exit(0);
      std::atomic<std::uint64_t> n{0};
      for (;;) n.fetch_add(1, std::memory_order_relaxed);
    }
    spinners.push_back(pid);
  }
  experiment_spec spec;
  spec.workload.name = "io";
  spec.workload.tasks = 4;
  spec.workload.size = 50;  // ms of waiting per task
  spec.executors = {"threads"};
  spec.workers = 4;
  spec.repeat = 3;
  spec.baseline = false;
  const auto runs = run_experiment(spec);
  for (const pid_t pid : spinners) {
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
  }
  ASSERT_EQ(runs.size(), 1U);
  ASSERT_TRUE(runs[0].others_cores.has_value());
  const double expected = std::min(2.0, static_cast<double>(usable_cores()));
  EXPECT_GT(*runs[0].others_cores, 0.6 * expected) << "two spinners held the cores";
  EXPECT_LT(*runs[0].others_cores, static_cast<double>(usable_cores()) + 0.5);
}

}  // namespace
}  // namespace parlab

namespace parlab {
namespace {

TEST(MachineLimits, DescriptorsAreCountedWhereTheDownloadsHoldThem) {
  rlimit saved{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &saved), 0);
  rlimit low = saved;
  low.rlim_cur = 40;
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &low), 0);
  // A blocking download holds its socket and the loop it runs on (4 descriptors); the event
  // loop one socket per download; a child process's downloads use the child's table.
  bool threads_refused = false;
  std::string why;
  try {
    check_machine_allows("threads", 16, 32, "http");
  } catch (const std::invalid_argument& e) {
    threads_refused = true;
    why = e.what();
  }
  const auto allowed = [](const char* executor, const char* workload) {
    try {
      check_machine_allows(executor, 16, 32, workload);
      return true;
    } catch (const std::invalid_argument&) {
      return false;
    }
  };
  const bool async_ok = allowed("async", "http");
  const bool processes_ok = allowed("processes", "http");
  const bool cpu_ok = allowed("threads", "cpu");
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &saved), 0);
  EXPECT_TRUE(threads_refused);
  EXPECT_NE(why.find("ulimit -n"), std::string::npos) << why;
  EXPECT_NE(why.find("80 open files"), std::string::npos) << why;
  EXPECT_TRUE(async_ok);
  EXPECT_TRUE(processes_ok);
  EXPECT_TRUE(cpu_ok);
}

TEST(MachineLimits, AModelOfYourOwnIsCheckedByTheTraitsItRegisters) {
  // Three descriptors per worker, declared at registration: 16 workers need 16 + 48.
  executor_info mine;
  mine.name = "test-descriptor-hungry";
  mine.description = "a test model";
  mine.factory = [] { return make_executor("sequential"); };
  mine.makes_processes = true;
  mine.fds_per_worker = 3;
  register_executor(mine);
  EXPECT_TRUE(find_executor("test-descriptor-hungry").makes_processes);
  rlimit saved{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &saved), 0);
  rlimit low = saved;
  low.rlim_cur = 40;
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &low), 0);
  std::string why;
  try {
    check_machine_allows("test-descriptor-hungry", 16, 32, "cpu");
  } catch (const std::invalid_argument& e) {
    why = e.what();
  }
  bool few_ok = true;
  try {
    check_machine_allows("test-descriptor-hungry", 4, 32, "cpu");  // 16 + 12
  } catch (const std::invalid_argument&) {
    few_ok = false;
  }
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &saved), 0);
  EXPECT_NE(why.find("64 open files"), std::string::npos) << why;
  EXPECT_TRUE(few_ok);
}

}  // namespace
}  // namespace parlab
