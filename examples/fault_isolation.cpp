// fault_isolation: a crashing process takes only itself down; a crashing thread takes its whole
// process down.
//
// Claim: four worker processes, one of which dies of a segmentation fault, leave the parent and
// the other three untouched - the kernel kills only the faulting process and the parent learns
// why from waitpid. Four worker threads in one process, one of which faults the same way, lose
// everything: the signal kills the whole process, and the other threads' work with it.
//
//   processes   P0 |======| ok      threads (one process)  T0 |===X
//               P1 |==X  SIGSEGV                           T1 |==X  SIGSEGV: all gone
//               P2 |======| ok                             T2 |===X
//               P3 |======| ok                             T3 |===X
//
// The thread case runs inside a child process, so that this program survives to tell the story.
// The lesson is the API: fork, waitpid, WIFSIGNALED/WTERMSIG, std::thread.
//
// Run: fault_isolation [--quick]

#include "example.hpp"

#include <parlab/interrupt.hpp>

#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace parlab::examples {
namespace {

constexpr int kWorkers = 4;
constexpr int faulty = 1;
constexpr auto work = std::chrono::milliseconds(150);

/// A real invalid memory access. The default action is restored first, so that a sanitizer's
/// handler (in the asan and tsan builds) does not turn the signal into a report and an exit code.
[[noreturn]] void segfault() {
  std::signal(SIGSEGV, SIG_DFL);
  void* page = ::mmap(nullptr, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  *static_cast<volatile char*>(page) = 1;
  std::abort();  // not reached
}

/// In a forked child: Ctrl-C and SIGTERM end it the default way (it inherited parlab's handlers,
/// which would only set a flag nobody reads here).
void default_signals() {
  for (const int sig : {SIGINT, SIGTERM, SIGHUP}) std::signal(sig, SIG_DFL);
}

std::string describe(int status) {
  if (WIFSIGNALED(status)) return fmt::format("killed by {}", sigabbrev_np(WTERMSIG(status)));
  return fmt::format("exited with {}", WEXITSTATUS(status));
}

}  // namespace

int fault_isolation(int argc, char** argv) {
  (void)parse_options(argc, argv, pictures::none);
  state_claim("fault_isolation",
              "a crashing process takes only itself down; a crashing thread takes its whole "
              "process, and the other threads' work, down with it");

  // Counts of finished work, in memory shared with the children so they can report it.
  auto* finished = static_cast<std::atomic<int>*>(::mmap(nullptr, sizeof(std::atomic<int>),
                                                         PROT_READ | PROT_WRITE,
                                                         MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  if (finished == MAP_FAILED) throw std::runtime_error("mmap failed");
  new (finished) std::atomic<int>(0);

  // 1. One process per worker.
  std::vector<pid_t> children;
  for (int w = 0; w < kWorkers; ++w) {
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
      default_signals();
      if (w == faulty) segfault();
      std::this_thread::sleep_for(work);
      finished->fetch_add(1);
      ::_exit(0);
    }
    children.push_back(pid);
  }
  int process_crashes = 0, process_ok = 0;
  for (int w = 0; w < kWorkers; ++w) {
    int status = 0;
    ::waitpid(children[static_cast<std::size_t>(w)], &status, 0);
    evidence(fmt::format("process worker {}: {}", w, describe(status)));
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV) ++process_crashes;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) ++process_ok;
  }
  // Interrupted meanwhile (under parlab example): the children are reaped, say so and stop.
  throw_if_interrupted();
  const int process_work_done = finished->exchange(0);
  evidence(
      fmt::format("processes: {} of {} workers finished their work; this process is still "
                  "running",
                  process_work_done, kWorkers));

  // 2. One thread per worker, all in one process (a child, so that we survive it).
  const pid_t program = ::fork();
  if (program < 0) throw std::runtime_error("fork failed");
  if (program == 0) {
    default_signals();
    std::vector<std::thread> threads;
    for (int w = 0; w < kWorkers; ++w) {
      threads.emplace_back([w, finished] {
        if (w == faulty) {
          std::this_thread::sleep_for(work / 5);  // the others are well under way
          segfault();
        }
        std::this_thread::sleep_for(work);
        finished->fetch_add(1);
      });
    }
    for (auto& t : threads) t.join();
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(program, &status, 0);
  throw_if_interrupted();
  const int thread_work_done = finished->load();
  ::munmap(finished, sizeof(std::atomic<int>));
  evidence(
      fmt::format("threads: the process running them was {}; {} of {} threads finished "
                  "their work",
                  describe(status), thread_work_done, kWorkers));

  const bool processes_isolated =
      process_crashes == 1 && process_ok == kWorkers - 1 && process_work_done == kWorkers - 1;
  const bool threads_share_fate =
      WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV && thread_work_done < kWorkers - 1;
  return conclude(processes_isolated && threads_share_fate,
                  !processes_isolated ? "a crash in one process affected the others"
                                      : "the threads survived their sibling's crash");
}

}  // namespace parlab::examples
