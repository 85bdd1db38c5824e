// multiprocessing: each process has its own memory; only what is explicitly shared is shared.
//
// Claim: after fork() the child has a copy of the parent's memory - a variable the child changes
// keeps its old value in the parent - unless the memory was mapped MAP_SHARED, which both see.
// The copy is lazy (copy-on-write): the kernel copies a page only when one side writes to it,
// which the child's count of page faults shows: reading 8,192 inherited pages costs (almost)
// nothing, writing them costs one fault - one page copied - each.
//
//   parent  counter=1 ------------------------------ counter=1   shared=42
//             \ fork                                                ^
//   child      counter=1 -> counter=42, shared=42 ------------------/
//
// The lesson is the API: fork, waitpid, mmap, pipe, getrusage.
//
// Run: multiprocessing [--quick]

#include "example.hpp"

#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

namespace parlab::examples {
namespace {

int counter = 1;  // an ordinary global: every process has its own

long minor_faults() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return u.ru_minflt;
}

/// What the child reports back through the pipe.
struct child_report {
  int counter_in_child = 0;
  long read_faults = 0;   ///< page faults while reading every inherited page
  long write_faults = 0;  ///< page faults while writing one byte in every inherited page
};

}  // namespace

int multiprocessing(int argc, char** argv) {
  (void)parse_options(argc, argv, pictures::none);
  state_claim("multiprocessing",
              "a child's changes stay in the child unless memory is explicitly shared; "
              "private pages are copied only when written (copy-on-write)");

  constexpr std::size_t page = 4096;
  constexpr std::size_t pages = 8192;  // 32 MiB
  // Private memory the parent has written: after fork both processes map the same frames.
  auto* inherited = static_cast<char*>(
      ::mmap(nullptr, pages * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  // Memory mapped shared before the fork: one set of frames seen by both processes.
  auto* shared = static_cast<int*>(
      ::mmap(nullptr, page, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  if (inherited == MAP_FAILED || shared == MAP_FAILED) throw std::runtime_error("mmap failed");
  ::madvise(inherited, pages * page, MADV_NOHUGEPAGE);  // count 4 KiB pages, not 2 MiB ones
  std::memset(inherited, 1, pages * page);
  *shared = 1;

  int report_pipe[2];
  if (::pipe(report_pipe) != 0) throw std::runtime_error("pipe failed");
  const pid_t child = ::fork();
  if (child < 0) throw std::runtime_error("fork failed");
  if (child == 0) {
    counter = 42;  // the child's own copy
    *shared = 42;  // the one frame both map
    child_report r{counter, 0, 0};
    long before = minor_faults();
    long sum = 0;
    for (std::size_t p = 0; p < pages; ++p) sum += static_cast<volatile char*>(inherited)[p * page];
    r.read_faults = minor_faults() - before;
    before = minor_faults();
    for (std::size_t p = 0; p < pages; ++p) inherited[p * page] = static_cast<char>(sum);
    r.write_faults = minor_faults() - before;
    const bool sent = ::write(report_pipe[1], &r, sizeof r) == static_cast<ssize_t>(sizeof r);
    ::_exit(sent ? 0 : 1);
  }
  ::close(report_pipe[1]);
  child_report r{};
  const bool got = ::read(report_pipe[0], &r, sizeof r) == static_cast<ssize_t>(sizeof r);
  ::close(report_pipe[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  const bool child_ok = got && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  const int shared_seen = *shared;
  const bool parent_pages_unchanged = inherited[0] == 1 && inherited[(pages - 1) * page] == 1;
  ::munmap(inherited, pages * page);
  ::munmap(shared, page);
  if (!child_ok) throw std::runtime_error("the child did not report back");

  evidence(fmt::format("ordinary global: the child set it to {}, the parent still sees {}",
                       r.counter_in_child, counter));
  evidence(fmt::format("MAP_SHARED int: the child set it to 42, the parent sees {}", shared_seen));
  evidence(
      fmt::format("{} inherited private pages in the child: reading them took {} page "
                  "faults, writing them took {} (one copy per page written)",
                  pages, r.read_faults, r.write_faults));
  evidence(fmt::format("the parent's copy of those pages is unchanged: {}",
                       parent_pages_unchanged ? "yes" : "no"));

  const bool isolated = r.counter_in_child == 42 && counter == 1 && parent_pages_unchanged;
  const bool shared_seen_by_both = shared_seen == 42;
  // Bounds leave room for a sanitizer's shadow memory faulting in too.
  const bool copy_on_write = r.write_faults >= static_cast<long>(pages * 9 / 10) &&
                             r.read_faults < static_cast<long>(pages / 4);
  return conclude(isolated && shared_seen_by_both && copy_on_write,
                  !isolated              ? "the parent saw the child's change"
                  : !shared_seen_by_both ? "the shared mapping was not shared"
                                         : "page faults do not show copy-on-write");
}

}  // namespace parlab::examples
