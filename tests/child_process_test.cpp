// The one child-process type: the fork-time thread check, channels, closed descriptors,
// PR_SET_PDEATHSIG, truthful reaping; the interrupt-aware poll and sleep; interrupted runs.

#include <parlab/executor.hpp>
#include <parlab/interrupt.hpp>
#include <parlab/task.hpp>

#include "core/child_process.hpp"
#include "core/interrupt_state.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <latch>
#include <string>
#include <system_error>
#include <thread>

namespace parlab::detail {
namespace {

using namespace std::chrono_literals;

/// True once `pid` is gone or a zombie (its parent died and nobody reaped it yet), within 5 s.
bool ends_within_5s(pid_t pid) {
  for (int i = 0; i < 500; ++i) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(stat, line)) return true;
    const auto close = line.rfind(')');
    if (close != std::string::npos && close + 2 < line.size() && line[close + 2] == 'Z') {
      return true;
    }
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

std::string read_all(int fd) {
  std::string out;
  char buffer[256];
  ssize_t n = 0;
  while ((n = ::read(fd, buffer, sizeof buffer)) > 0) out.append(buffer, static_cast<size_t>(n));
  return out;
}

TEST(ChildProcess, ReportsHowTheChildEnded) {
  child_process three("test", {}, [](const child_process::ends&) { return 3; });
  const child_exit a = three.wait();
  EXPECT_TRUE(a.exited());
  EXPECT_EQ(a.exit_status(), 3);
  EXPECT_EQ(a.describe(), "exited with status 3");
  EXPECT_EQ(three.wait().exit_status(), 3) << "waiting again returns the same";

  child_process killed("test", {}, [](const child_process::ends&) {
    ::kill(::getpid(), SIGKILL);
    return 0;
  });
  const child_exit b = killed.wait();
  EXPECT_TRUE(b.signaled());
  EXPECT_EQ(b.describe(), "killed by SIGKILL");
  EXPECT_EQ(describe_exit(b, "worker 7"), "worker 7 killed by SIGKILL");
}

TEST(ChildProcess, SaysSoWhenSomeoneElseReapedTheChild) {
  child_process c("test", {}, [](const child_process::ends&) { return 0; });
  int status = 0;
  ASSERT_EQ(::waitpid(c.pid(), &status, 0), c.pid());  // reaped behind its back
  const child_exit how = c.wait();
  EXPECT_FALSE(how.known);
  EXPECT_FALSE(how.exited()) << "never 'exited with status 0' when nobody knows";
  EXPECT_NE(how.describe().find("unknown"), std::string::npos) << how.describe();
}

TEST(ChildProcess, DestroyingItKillsAndReapsTheChild) {
  pid_t pid = -1;
  {
    child_process sleeper("test", {}, [](const child_process::ends&) {
      for (;;) ::pause();
      return 0;
    });
    pid = sleeper.pid();
    ASSERT_EQ(::kill(pid, 0), 0);
  }
  errno = 0;
  EXPECT_EQ(::waitpid(pid, nullptr, WNOHANG), -1) << "already reaped: no zombie";
  EXPECT_EQ(errno, ECHILD);
}

TEST(ChildProcess, RefusesToForkWhileAnotherThreadRuns) {
  std::latch release(1);
  std::thread other([&] { release.wait(); });
  try {
    child_process c("the test model", {}, [](const child_process::ends&) { return 0; });
    ADD_FAILURE() << "forked with a second thread alive";
  } catch (const std::logic_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("the test model: refusing to fork while 1 other thread"), std::string::npos)
        << what;
  }
  release.count_down();
  other.join();
  // Once the thread is gone, forking works again.
  child_process c("test", {}, [](const child_process::ends&) { return 0; });
  EXPECT_TRUE(c.wait().exited());
}

TEST(ChildProcess, TheChildHoldsOnlyStdioAndItsChannels) {
  int made[2];
  ASSERT_EQ(::pipe(made), 0);
  // Not close-on-exec, and above the numbers the channels take (3, 4): a plain fork would hand
  // them down.
  const int stray[2] = {::fcntl(made[0], F_DUPFD, 100), ::fcntl(made[1], F_DUPFD, 100)};
  ::close(made[0]);
  ::close(made[1]);
  child_process c("test", {.reports = true, .commands = true}, [&](const child_process::ends& e) {
    const bool stray_closed = ::fcntl(stray[0], F_GETFD) < 0 && ::fcntl(stray[1], F_GETFD) < 0;
    std::uint64_t value = 0;
    if (!read_exactly(e.commands, &value, sizeof value)) return 2;
    value += 1;
    (void)write_all(e.reports, reinterpret_cast<const char*>(&value), sizeof value);
    return stray_closed ? 0 : 1;
  });
  const std::uint64_t sent = 41;
  ASSERT_EQ(::send(c.commands_fd(), &sent, sizeof sent, MSG_NOSIGNAL),
            static_cast<ssize_t>(sizeof sent));
  std::uint64_t got = 0;
  ASSERT_TRUE(read_exactly(c.reports_fd(), &got, sizeof got));
  EXPECT_EQ(got, 42U) << "both channels carry bytes";
  const child_exit how = c.wait();
  EXPECT_TRUE(how.exited() && how.exit_status() == 0) << how.describe() << " (1: a stray fd)";
  ::close(stray[0]);
  ::close(stray[1]);
}

TEST(ChildProcess, AChildDiesWithItsParent) {
  // A middle process starts a grandchild and dies without reaping it: PR_SET_PDEATHSIG ends the
  // grandchild.
  child_process middle("test", {}, [](const child_process::ends& e) -> int {
    auto* grandchild = new child_process("test", {}, [](const child_process::ends&) {
      for (;;) ::pause();
      return 0;
    });
    const pid_t pid = grandchild->pid();
    (void)write_all(e.reports, reinterpret_cast<const char*>(&pid), sizeof pid);
    ::_exit(0);  // no destructor runs: only the kernel can end the grandchild now
  });
  pid_t grandchild = -1;
  ASSERT_TRUE(read_exactly(middle.reports_fd(), &grandchild, sizeof grandchild));
  (void)middle.wait();
  EXPECT_TRUE(ends_within_5s(grandchild)) << "grandchild " << grandchild << " outlived its parent";
}

TEST(ChildProcess, ExecCapturesStandardOutputAndNamesAProgramThatCannotStart) {
  auto echo = child_process::exec("test", {}, {"/bin/echo", "hello", "child"});
  EXPECT_EQ(read_all(echo.reports_fd()), "hello child\n");
  EXPECT_TRUE(echo.wait().exited());
  try {
    (void)child_process::exec("CPython", {}, {"/nonexistent/python3"});
    ADD_FAILURE() << "started a program that does not exist";
  } catch (const std::system_error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot start /nonexistent/python3"), std::string::npos)
        << e.what();
  }
}

TEST(ChildProcess, StopAsksWithSigtermThenKills) {
  child_process polite("test", {}, [](const child_process::ends&) {
    for (;;) ::pause();  // SIGTERM's default action ends it
    return 0;
  });
  EXPECT_EQ(polite.stop(2s).describe(), "killed by SIGTERM");
  child_process stubborn("test", {}, [](const child_process::ends&) {
    ::signal(SIGTERM, SIG_IGN);
    for (;;) ::pause();
    return 0;
  });
  std::this_thread::sleep_for(50ms);  // let it ignore SIGTERM first
  EXPECT_EQ(stubborn.stop(100ms).describe(), "killed by SIGKILL");
}

TEST(Interrupt, PollAndSleepWakeAtTheFirstSignalAndRunsStop) {
  const interrupt_scope scope;
  EXPECT_FALSE(interrupt_requested());
  // A child sends the real signal while this process sleeps 20 s and then polls forever.
  child_process sender("test", {}, [](const child_process::ends&) {
    std::this_thread::sleep_for(100ms);
    ::kill(::getppid(), SIGINT);
    return 0;
  });
  const auto started = std::chrono::steady_clock::now();
  EXPECT_THROW(sleep_or_interrupt(20s), interrupted);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);
  EXPECT_EQ(interrupt_signal(), SIGINT);
  pollfd nothing{-1, POLLIN, 0};
  EXPECT_THROW((void)poll_or_interrupt({&nothing, 1}, -1), interrupted);
  try {
    throw_if_interrupted();
  } catch (const interrupted& e) {
    EXPECT_EQ(e.exit_code(), 130);
    EXPECT_STREQ(e.what(), "interrupted by SIGINT");
  }
  // No run starts once interrupted.
  const std::vector<task> tasks = {
      make_task(0, "t", [](task_context&) -> std::uint64_t { return 1; })};
  EXPECT_THROW((void)make_executor("threads")->run(tasks, {}), interrupted);
  (void)sender.wait();
}

TEST(Interrupt, TheScopeEndsWithItsState) {
  {
    const interrupt_scope scope;
    simulate_interrupt(SIGTERM);
    EXPECT_EQ(interrupt_signal(), SIGTERM);
    EXPECT_THROW(interrupt_scope another, std::logic_error);
  }
  EXPECT_EQ(interrupt_signal(), 0) << "a new command starts clean";
  const interrupt_scope again;
  EXPECT_FALSE(interrupt_requested());
}

/// Each model, interrupted mid-run by a real SIGTERM from another process: the run throws
/// parlab::interrupted and leaves no child behind.
class InterruptedRun : public ::testing::TestWithParam<const char*> {};

TEST_P(InterruptedRun, ThrowsAndLeavesNoChildBehind) {
  std::vector<task> tasks;
  for (std::size_t i = 0; i < 8; ++i) {
    tasks.push_back(make_task(i, "w", [](task_context& ctx) -> std::uint64_t {
      ctx.wait(30s);
      return 1;
    }));
  }
  const interrupt_scope scope;
  child_process sender("test", {}, [](const child_process::ends&) {
    std::this_thread::sleep_for(300ms);
    ::kill(::getppid(), SIGTERM);
    return 0;
  });
  run_options options;
  options.workers = 4;
  const auto model = make_executor(GetParam());
  const auto started = std::chrono::steady_clock::now();
  try {
    (void)model->run(tasks, options);
    ADD_FAILURE() << GetParam() << " finished a run that was interrupted";
  } catch (const interrupted& e) {
    EXPECT_EQ(e.signal(), SIGTERM);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, 20s) << "the waits were cut short";
  (void)sender.wait();
  errno = 0;
  EXPECT_EQ(::waitpid(-1, nullptr, WNOHANG), -1) << GetParam() << " left a child";
  EXPECT_EQ(errno, ECHILD);
}

INSTANTIATE_TEST_SUITE_P(Models, InterruptedRun,
                         ::testing::Values("sequential", "threads", "thread-pool", "processes",
                                           "process-pool", "gil-threads", "async"));

TEST(InterruptedRun, ASupervisedRunEndsItsChild) {
  const std::vector<task> tasks = {make_task(0, "w", [](task_context& ctx) -> std::uint64_t {
    ctx.wait(30s);
    return 1;
  })};
  const interrupt_scope scope;
  child_process sender("test", {}, [](const child_process::ends&) {
    std::this_thread::sleep_for(300ms);
    ::kill(::getppid(), SIGINT);
    return 0;
  });
  const auto model = make_executor("threads");
  EXPECT_THROW((void)run_supervised(*model, tasks, {}, "task 0"), interrupted);
  (void)sender.wait();
  errno = 0;
  EXPECT_EQ(::waitpid(-1, nullptr, WNOHANG), -1) << "the supervised child is reaped";
  EXPECT_EQ(errno, ECHILD);
}

}  // namespace
}  // namespace parlab::detail
