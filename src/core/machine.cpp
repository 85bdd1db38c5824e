#include <parlab/machine.hpp>

#include "core/proc_files.hpp"

#include <sched.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>

namespace parlab {
namespace {
/// The fields of /proc/stat's lines of this process's CPUs, summed: user nice system idle iowait
/// irq softirq steal (guest is already in user), in seconds; nullopt when unreadable.
std::optional<std::array<double, 8>> my_cpu_times() {
  const std::optional<std::string> stat = detail::read_proc("/proc/stat");
  if (!stat) return std::nullopt;
  std::istringstream in(*stat);
  const std::vector<int> mine = affinity();
  const long ticks_per_second = ::sysconf(_SC_CLK_TCK);
  if (ticks_per_second <= 0) return std::nullopt;
  std::array<std::uint64_t, 8> sum{};
  bool any = false;
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("cpu", 0) != 0) break;  // the cpu lines come first
    int id = -1;
    const char* p = line.data() + 3;
    const char* end = line.data() + line.size();
    const auto [after_id, ec] = std::from_chars(p, end, id);
    if (ec != std::errc{} || !std::binary_search(mine.begin(), mine.end(), id)) continue;
    p = after_id;
    for (auto& f : sum) {
      while (p < end && *p == ' ') ++p;
      std::uint64_t v = 0;
      const auto [next, fec] = std::from_chars(p, end, v);
      if (fec != std::errc{}) return std::nullopt;
      f += v;
      p = next;
    }
    any = true;
  }
  if (!any) return std::nullopt;
  std::array<double, 8> seconds{};
  for (std::size_t i = 0; i < sum.size(); ++i) {
    seconds[i] = static_cast<double>(sum[i]) / static_cast<double>(ticks_per_second);
  }
  return seconds;
}
}  // namespace

std::optional<cpu_seconds> my_cpu_seconds() {
  const auto t = my_cpu_times();
  if (!t) return std::nullopt;
  return cpu_seconds{(*t)[0] + (*t)[1] + (*t)[2] + (*t)[5] + (*t)[6] + (*t)[7], (*t)[7]};
}

std::optional<double> busy_cpu_seconds() {
  const auto t = my_cpu_seconds();
  if (!t) return std::nullopt;
  return t->busy;
}

namespace {
/// CPUs online in the machine, at least 1.
int online_count() noexcept {
  const long online = ::sysconf(_SC_NPROCESSORS_ONLN);
  return online > 0 ? static_cast<int>(online) : 1;
}
}  // namespace

std::size_t usable_cores() noexcept {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof(set), &set) == 0) {
    const int n = CPU_COUNT(&set);
    if (n > 0) return static_cast<std::size_t>(n);
  }
  return static_cast<std::size_t>(online_count());
}

std::vector<int> affinity() {
  std::vector<int> cpus;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof(set), &set) != 0) return cpus;
  for (int c = 0; c < CPU_SETSIZE; ++c) {
    if (CPU_ISSET(static_cast<std::size_t>(c), &set)) cpus.push_back(c);
  }
  return cpus;
}

namespace {

int parse_cpu(std::string_view text, std::string_view whole) {
  int value = -1;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  const int online = online_count();
  const std::string allowed = online == 1 ? "0" : "0-" + std::to_string(online - 1);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < 0) {
    throw std::invalid_argument("bad CPU list '" + std::string(whole) +
                                "' (use ids like 0 or 0,1 "
                                "or 0-3; this machine has CPUs " +
                                allowed + ")");
  }
  if (value >= online) {
    throw std::invalid_argument("CPU " + std::to_string(value) +
                                " does not exist (this machine has CPUs " + allowed + ")");
  }
  return value;
}
}  // namespace

std::vector<int> parse_cpu_list(std::string_view list) {
  std::set<int> cpus;
  std::string_view rest = list;
  while (true) {
    const auto comma = rest.find(',');
    const std::string_view part = rest.substr(0, comma);
    const auto dash = part.find('-');
    if (dash == std::string_view::npos) {
      cpus.insert(parse_cpu(part, list));
    } else {
      const int first = parse_cpu(part.substr(0, dash), list);
      const int last = parse_cpu(part.substr(dash + 1), list);
      if (first > last) {
        throw std::invalid_argument("bad CPU range '" + std::string(part) + "' (first > last)");
      }
      for (int c = first; c <= last; ++c) cpus.insert(c);
    }
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  return {cpus.begin(), cpus.end()};
}

void pin_to_cpus(const std::vector<int>& cpus) {
  if (cpus.empty()) throw std::invalid_argument("pin_to_cpus: no CPU given");
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int c : cpus) {
    if (c < 0 || c >= CPU_SETSIZE)
      throw std::invalid_argument("CPU " + std::to_string(c) + " is out of range");
    CPU_SET(static_cast<std::size_t>(c), &set);
  }
  if (::sched_setaffinity(0, sizeof(set), &set) != 0) {
    throw std::system_error(errno, std::generic_category(), "sched_setaffinity");
  }
}

machine_info describe_machine() {
  machine_info m;
  m.cores = usable_cores();
  m.affinity = affinity();
  m.online_cpus = static_cast<std::size_t>(online_count());

  std::istringstream cpuinfo(detail::read_proc("/proc/cpuinfo").value_or(std::string()));
  for (std::string line; std::getline(cpuinfo, line);) {
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos)
        m.cpu_model = line.substr(line.find_first_not_of(' ', colon + 1));
      break;
    }
  }
  if (m.cpu_model.empty()) m.cpu_model = "unknown";

  utsname u{};
  if (::uname(&u) == 0) m.kernel = std::string(u.sysname) + " " + u.release;
  m.hostname = host_name();
  return m;
}

std::string host_name() {
  utsname u{};
  return ::uname(&u) == 0 ? std::string(u.nodename) : std::string();
}

scoped_cpu_pin::scoped_cpu_pin(const std::vector<int>& cpus) : previous_(affinity()) {
  pin_to_cpus(cpus);
}

scoped_cpu_pin::~scoped_cpu_pin() {
  try {
    pin_to_cpus(previous_);
  } catch (...) {  // cannot happen for a mask we just had; never throw from a destructor
  }
}

std::optional<std::string> find_program(const std::string& name, bool* not_executable) {
  bool denied = false;
  const auto usable = [&](const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
    if (::access(path.c_str(), X_OK) == 0) return true;
    denied = true;
    return false;
  };
  std::optional<std::string> found;
  if (name.find('/') != std::string::npos) {
    if (usable(name)) {
      found = name;
    } else if (struct stat st{}; ::stat(name.c_str(), &st) == 0) {
      denied = true;  // there, but a directory or a device: a shell says 126 too
    }
  } else if (!name.empty()) {
    const char* env = std::getenv("PATH");
    const std::string path = env != nullptr ? env : "/usr/local/bin:/usr/bin:/bin";
    std::size_t from = 0;
    while (!found && from <= path.size()) {
      const auto colon = std::min(path.find(':', from), path.size());
      // An empty entry is the current directory. (Built by appending: GCC 12 -Wrestrict false
      // positive on assigning a literal.)
      std::string candidate = colon == from ? std::string(1, '.') : path.substr(from, colon - from);
      candidate.append(1, '/').append(name);
      if (usable(candidate)) found = std::move(candidate);
      from = colon + 1;
    }
  }
  if (not_executable != nullptr) *not_executable = !found && denied;
  return found;
}

}  // namespace parlab
