// The processes a started program leaves behind: found through the parent links in /proc (this
// process reaps the orphans among its descendants, so none escapes to init) and ended.

#include "core/child_process.hpp"
#include "core/interrupt_state.hpp"
#include "core/proc_files.hpp"

#include <parlab/proc_sampler.hpp>

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <map>
#include <string>
#include <thread>

namespace parlab::detail {
namespace {

/// A process as its /proc/PID/stat says.
struct proc_entry {
  pid_t pid = 0;
  proc_stat stat;
};

/// Every process now (thread-group leaders: /proc lists no other thread).
std::vector<proc_entry> every_process() {
  std::vector<proc_entry> out;
  std::array<char, 1024> buf{};
  for (const long pid : proc_numbered_entries("/proc")) {
    const std::string path = "/proc/" + std::to_string(pid) + "/stat";
    if (auto stat = parse_proc_stat(read_proc_into(path.c_str(), buf))) {  // else gone meanwhile
      out.push_back({static_cast<pid_t>(pid), std::move(*stat)});
    }
  }
  return out;
}

/// The tree (see process_tree) out of one look at every process; adopted zombies in `zombies`.
std::vector<tree_process> tree_of(pid_t root, const std::vector<proc_entry>& all,
                                  std::vector<pid_t>* zombies) {
  const pid_t self = ::getpid();
  std::multimap<pid_t, const proc_entry*> children;
  for (const auto& e : all) children.emplace(e.stat.ppid, &e);
  std::vector<const proc_entry*> todo;
  for (const auto& e : all) {
    if (e.stat.ppid != self) continue;
    const bool started_by_us = is_tracked_child(e.pid);
    if (started_by_us && e.pid != root) continue;  // another child_process: its owner's
    if (e.stat.state != 'Z') {
      todo.push_back(&e);
    } else if (!started_by_us && zombies != nullptr) {
      zombies->push_back(e.pid);  // an adopted orphan that ended: reaped by end_tree
    }
  }
  std::vector<tree_process> out;
  while (!todo.empty()) {
    const proc_entry* e = todo.back();
    todo.pop_back();
    if (e->stat.state != 'Z') out.push_back({e->pid, e->stat.comm});
    const auto [first, last] = children.equal_range(e->pid);
    for (auto it = first; it != last; ++it) todo.push_back(it->second);
  }
  return out;
}

void reap(const std::vector<pid_t>& zombies) noexcept {
  for (const pid_t pid : zombies) {
    int status = 0;
    (void)::waitpid(pid, &status, WNOHANG);
  }
}

}  // namespace

std::string tree_process::describe() const { return std::to_string(pid) + " (" + name + ")"; }

void adopt_orphans() noexcept { (void)::prctl(PR_SET_CHILD_SUBREAPER, 1UL, 0UL, 0UL, 0UL); }

std::vector<tree_process> process_tree(pid_t root) {
  return tree_of(root, every_process(), nullptr);
}

void signal_tree(pid_t root, int sig) noexcept {
  try {
    for (const auto& p : process_tree(root)) ::kill(p.pid, sig);
  } catch (...) {  // out of memory: the caller's later stop still ends them
  }
}

tree_end end_tree(pid_t root, std::chrono::milliseconds grace) {
  using clock = std::chrono::steady_clock;
  constexpr auto kPause = std::chrono::milliseconds(5);
  std::map<pid_t, std::string> signalled;
  std::vector<pid_t> zombies;
  const auto look = [&] {
    zombies.clear();
    auto tree = tree_of(root, every_process(), &zombies);
    reap(zombies);
    return tree;
  };
  const auto send = [&](const std::vector<tree_process>& tree, int sig) {
    for (const auto& p : tree) {
      ::kill(p.pid, sig);
      signalled.emplace(p.pid, p.name);
    }
  };
  auto tree = look();
  if (grace.count() > 0 && !tree.empty()) {
    const auto deadline = clock::now() + grace;
    while (!tree.empty() && clock::now() < deadline) {
      send(tree, SIGTERM);  // again for any started meanwhile: a second TERM changes nothing
      std::this_thread::sleep_for(kPause);
      tree = look();
    }
  }
  // SIGKILL until the tree has stayed empty for a moment after anything was signalled: a process
  // ending just then (one the kernel handed us as its parent died) becomes a zombie of ours after
  // a look that saw nothing, and the next looks reap it, so none is left behind.
  constexpr auto kSettle = std::chrono::milliseconds(100);
  const auto deadline = clock::now() + std::chrono::seconds(2);
  auto empty_since = clock::now();
  while (clock::now() < deadline) {
    if (!tree.empty()) {
      send(tree, SIGKILL);
    } else if (signalled.empty() || clock::now() - empty_since >= kSettle) {
      break;
    }
    std::this_thread::sleep_for(kPause);
    const bool was_empty = tree.empty();
    tree = look();
    if (tree.empty() && !was_empty) empty_since = clock::now();
  }
  tree_end out;
  out.left = tree;
  for (auto& [pid, name] : signalled) {
    const bool still = std::any_of(tree.begin(), tree.end(), [&](auto& p) { return p.pid == pid; });
    if (!still) out.ended.push_back({pid, std::move(name)});
  }
  return out;
}

}  // namespace parlab::detail
