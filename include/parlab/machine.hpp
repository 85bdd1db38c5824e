#pragma once
/// @file What machine a run happened on.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parlab {

struct machine_info {
  std::size_t cores = 1;        ///< CPUs this process may run on (its affinity mask)
  std::size_t online_cpus = 1;  ///< CPUs online in the machine
  std::string cpu_model;
  std::string kernel;  ///< uname: sysname release
  std::string hostname;
  std::vector<int> affinity;  ///< ids of the CPUs this process may run on
};

/// Reads /proc/cpuinfo, uname and the affinity mask. Thread-safe.
[[nodiscard]] machine_info describe_machine();

/// This host's name (uname's nodename, as gethostname says); empty when it cannot be read.
[[nodiscard]] std::string host_name();

/// CPUs the calling process may run on (sched_getaffinity), at least 1.
[[nodiscard]] std::size_t usable_cores() noexcept;

/// Ids of the CPUs the calling thread may run on, ascending.
[[nodiscard]] std::vector<int> affinity();

/// CPU seconds the CPUs the calling thread may run on have been busy since boot - every program,
/// the kernel's own threads, and time the hypervisor stole - from /proc/stat (user, nice,
/// system, irq, softirq, steal; counted in ticks of 1/USER_HZ s, 10 ms). Two readings around an
/// interval, minus this process's own CPU time, say how much of its cores others took. nullopt
/// when /proc/stat cannot be read.
[[nodiscard]] std::optional<double> busy_cpu_seconds();

/// This process's CPUs' time since boot, summed over them, from one read of /proc/stat: busy
/// (as busy_cpu_seconds) and steal (the hypervisor ran something else while they wanted to run).
struct cpu_seconds {
  double busy = 0.0;
  double steal = 0.0;
};
/// cpu_seconds now, or nullopt when /proc/stat cannot be read.
[[nodiscard]] std::optional<cpu_seconds> my_cpu_seconds();

/// Parses a CPU list such as "0", "0,2" or "0-3,6" into ascending unique ids, checking each is an
/// online CPU. Throws std::invalid_argument naming the bad part and the allowed range.
[[nodiscard]] std::vector<int> parse_cpu_list(std::string_view list);

/// Restricts the calling thread - and every thread and child process it creates afterwards - to
/// `cpus` (sched_setaffinity). Call it before starting any thread so the whole run is pinned.
/// Throws std::invalid_argument for an empty list, std::system_error if the kernel refuses.
void pin_to_cpus(const std::vector<int>& cpus);

/// Pins the calling thread to `cpus` for its lifetime (pin_to_cpus) and restores the mask it had
/// when it ends, even when an exception leaves the scope. Not copyable or movable; construct and
/// destroy it on the same thread.
class scoped_cpu_pin {
 public:
  explicit scoped_cpu_pin(const std::vector<int>& cpus);
  ~scoped_cpu_pin();
  scoped_cpu_pin(const scoped_cpu_pin&) = delete;
  scoped_cpu_pin& operator=(const scoped_cpu_pin&) = delete;

 private:
  std::vector<int> previous_;
};

/// Where a shell would find `name`: itself when it holds a '/', else the first regular executable
/// file of that name in $PATH. nullopt when there is none; `not_executable` says whether a file
/// of that name exists but may not be run (or, given as a path, is a directory or a device).
[[nodiscard]] std::optional<std::string> find_program(const std::string& name,
                                                      bool* not_executable = nullptr);

}  // namespace parlab
