#pragma once
// What the tests that look for processes left behind share: the children of a process, read
// from /proc with parlab's own reader (core/proc_files) and stat parser (parse_proc_stat).

#include <parlab/proc_sampler.hpp>

#include "core/proc_files.hpp"

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

namespace proc {

/// (pid, command name) of each child of `parent`, zombies included, by ascending pid.
inline std::vector<std::pair<pid_t, std::string>> children_of(pid_t parent) {
  std::vector<std::pair<pid_t, std::string>> out;
  for (const long pid : parlab::detail::proc_numbered_entries("/proc")) {
    const auto stat = parlab::parse_proc_stat(
        parlab::detail::read_proc_line("/proc/" + std::to_string(pid) + "/stat"));
    if (stat && stat->ppid == parent) out.emplace_back(static_cast<pid_t>(pid), stat->comm);
  }
  return out;
}

}  // namespace proc
