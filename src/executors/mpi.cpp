// mpi: tasks on Open MPI ranks. The executor starts one MPI job (mpirun, through the one
// child-process type) on its first run and keeps it for the runs after, as a pool keeps its
// workers: the job's start is paid once, in the warm-up. Rank 0 connects to the executor's local
// socket; for each batch it reads the tasks (their step programs: no code travels), broadcasts
// them, the ranks run them under the schedule, and rank 0 gathers every record and timeline
// event and sends them back. Ranks of one host share CLOCK_MONOTONIC, so their events go on the
// run's lanes as they are.
//
// dynamic: rank 0 manages (W + 1 ranks): a worker rank asks, rank 0 answers with the next task
// or "stop"; rank 0 polls for requests with short sleeps, so it does not spin on a core (Open
// MPI's blocking receive would). static: W ranks, rank r runs tasks r, r + W, ...
//
// This file is the executor (the parent's side: the job, its socket, merging the ranks' times)
// and the two-rank measurements; the rank program is executors/mpi_rank.cpp and the bytes they
// exchange executors/mpi_wire.hpp.

#include <parlab/mpi.hpp>

#include "core/child_process.hpp"
#include "core/proc_files.hpp"
#include "executors/dependencies.hpp"
#include "executors/edge_data.hpp"
#include "executors/factories.hpp"
#include "executors/mpi_wire.hpp"
#include "executors/run_task.hpp"

#include <parlab/clock.hpp>
#include <parlab/clock_alignment.hpp>
#include <parlab/interrupt.hpp>
#include <parlab/kernel_figures.hpp>
#include <parlab/machine.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <tuple>
#include <unordered_map>
#include <vector>

#if PARLAB_HAVE_MPI
#include <mpi.h>
#endif

namespace parlab {

using detail::child_exit;
using detail::child_process;

std::string_view to_string(mpi_schedule schedule) noexcept {
  return schedule == mpi_schedule::fixed ? "static" : "dynamic";
}

mpi_schedule mpi_schedule_from_string(std::string_view name) {
  if (name == "dynamic") return mpi_schedule::dynamic;
  if (name == "static") return mpi_schedule::fixed;
  throw std::invalid_argument(
      fmt::format("unknown MPI schedule '{}' (allowed: dynamic, static)", name));
}

namespace {

std::mutex program_mutex;
std::string program_path;  // guarded by program_mutex

}  // namespace

void set_rank_program(std::string path) {
  const std::lock_guard lock(program_mutex);
  program_path = std::move(path);
}

std::string rank_program() {
  {
    const std::lock_guard lock(program_mutex);
    if (!program_path.empty()) return program_path;
  }
  if (const char* env = std::getenv("PARLAB_BINARY"); env != nullptr && *env != '\0') return env;
#ifdef PARLAB_BUILT_BINARY
  if (std::filesystem::exists(PARLAB_BUILT_BINARY)) return PARLAB_BUILT_BINARY;
#endif
  if (const char* path = std::getenv("PATH")) {
    std::string_view rest(path);
    while (!rest.empty()) {
      const auto colon = rest.find(':');
      const std::filesystem::path candidate =
          std::filesystem::path(std::string(rest.substr(0, colon))) / "parlab";
      if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
      if (colon == std::string_view::npos) break;
      rest.remove_prefix(colon + 1);
    }
  }
  throw std::runtime_error(
      "mpi: no parlab binary to run as the ranks (set PARLAB_BINARY or put parlab on PATH)");
}

namespace {
constexpr std::size_t kMaxHostName = 253;  // RFC 1035, as written in dotted form
constexpr std::size_t kMaxHostLabel = 63;

/// The comma-separated entries of `hosts`, HOST or HOST:SLOTS ("a:2,b" -> "a:2", "b"), empty
/// ones kept.
std::vector<std::string_view> host_entries(std::string_view hosts) {
  std::vector<std::string_view> out;
  for (;;) {
    const auto comma = hosts.find(',');
    out.push_back(hosts.substr(0, comma));
    if (comma == std::string_view::npos) return out;
    hosts.remove_prefix(comma + 1);
  }
}
}  // namespace

void check_mpi_placement(const std::string& hosts, const std::string& hostfile) {
  if (!hosts.empty() && !hostfile.empty()) {
    throw std::invalid_argument("give the hosts (--hosts) or a hostfile (--hostfile), not both");
  }
  if (!hostfile.empty()) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(hostfile, ec) || ::access(hostfile.c_str(), R_OK) != 0) {
      throw std::invalid_argument(
          fmt::format("hostfile '{}' is not a readable file (allowed: a file of lines such as "
                      "'node1 slots=2')",
                      hostfile));
    }
  }
  if (hosts.empty()) return;
  for (const std::string_view entry : host_entries(hosts)) {
    const auto colon = entry.find(':');
    const std::string_view name = entry.substr(0, colon);
    bool ok = !name.empty() && std::all_of(name.begin(), name.end(), [](char ch) {
      return std::isalnum(static_cast<unsigned char>(ch)) != 0 || ch == '.' || ch == '-' ||
             ch == '_';
    });
    // A DNS name: at most 253 characters, each dot-separated label 1-63 (mpirun overflowed a
    // stack buffer on a 3,000-character one: "stack smashing detected").
    if (ok && name.size() > kMaxHostName) {
      throw std::invalid_argument(
          fmt::format("a host name of {} characters (allowed: at most {}, each dot-separated label "
                      "1-{})",
                      name.size(), kMaxHostName, kMaxHostLabel));
    }
    for (std::string_view labels = name; ok && !labels.empty();) {
      const auto dot = labels.find('.');
      const std::string_view label = labels.substr(0, dot);
      if (label.empty() || label.size() > kMaxHostLabel) {
        throw std::invalid_argument(fmt::format(
            "host '{}' has a label of {} characters (allowed: host names of at most {} "
            "characters, each dot-separated label 1-{})",
            name.size() > 80 ? std::string(name.substr(0, 80)) + "..." : std::string(name),
            label.size(), kMaxHostName, kMaxHostLabel));
      }
      if (dot == std::string_view::npos) break;
      labels.remove_prefix(dot + 1);
    }
    if (ok && colon != std::string_view::npos) {
      const std::string_view slots = entry.substr(colon + 1);
      ok = !slots.empty() && slots.size() <= 4 &&
           std::all_of(slots.begin(), slots.end(),
                       [](char ch) { return std::isdigit(static_cast<unsigned char>(ch)) != 0; }) &&
           std::stoi(std::string(slots)) >= 1;
    }
    if (!ok) {
      throw std::invalid_argument(
          fmt::format("host '{}' is not HOST or HOST:SLOTS (allowed: names of letters, digits, "
                      "'.', '-' and '_', slots 1-9999, comma-separated, e.g. node1:2,node2:2)",
                      entry));
    }
  }
}

#if !PARLAB_HAVE_MPI

bool mpi_built() noexcept { return false; }

std::vector<message_cost> measure_mpi_messages() {
  throw std::invalid_argument("mpi: this parlab was built without Open MPI");
}

message_route measure_mpi_messages_between(const std::string& /*hosts*/,
                                           const std::string& /*hostfile*/) {
  throw std::invalid_argument("mpi: this parlab was built without Open MPI");
}

memory_visibility measure_mpi_visibility() {
  throw std::invalid_argument("mpi: this parlab was built without Open MPI");
}

int mpi_rank_main(const mpi_rank_options& /*options*/) {
  std::fprintf(stderr,
               "parlab: mpi-rank: this parlab was built without Open MPI (install openmpi-bin "
               "and libopenmpi-dev, then rebuild)\n");
  return 2;
}

#else

bool mpi_built() noexcept { return true; }

// --- the executor (the parent's side) -------------------------------------------------------

namespace {

using namespace mpi_wire;  // NOLINT(google-build-using-namespace): this file reads the format

/// Prefix of the executor's private directories: parlab-mpi-PID-XXXXXX.
constexpr std::string_view kDirPrefix = "parlab-mpi-";

/// A new private directory under `base`, named for this process (sweep_stale_job_dirs).
std::string private_dir(const std::filesystem::path& base) {
  std::string pattern =
      (base / (std::string(kDirPrefix) + std::to_string(::getpid()) + "-XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::system_error(errno, std::generic_category(),
                            "mpi: a private directory in " + base.string());
  }
  return pattern;
}

/// Removes this user's parlab-mpi-PID-* directories under each of `bases` whose PID is gone:
/// what a parlab killed by SIGKILL left (a socket, Open MPI's session files, shared-memory
/// segments of 4 MiB a rank).
void sweep_stale_job_dirs(std::initializer_list<std::filesystem::path> bases) {
  std::error_code ec;
  for (const auto& base : bases) {
    for (std::filesystem::directory_iterator it(base, ec), end; !ec && it != end;
         it.increment(ec)) {
      const std::string name = it->path().filename().string();
      if (name.rfind(kDirPrefix, 0) != 0) continue;
      const char* digits = name.c_str() + kDirPrefix.size();
      char* stop = nullptr;
      const long pid = std::strtol(digits, &stop, 10);
      if (stop == digits || *stop != '-' || pid <= 0) continue;  // not named for a process
      struct stat st {};
      if (::lstat(it->path().c_str(), &st) != 0 || !S_ISDIR(st.st_mode) ||
          st.st_uid != ::geteuid()) {
        continue;
      }
      if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM) continue;  // still there
      std::error_code ignored;
      std::filesystem::remove_all(it->path(), ignored);
    }
  }
}

/// A job's private directories, removed with it: `dir` for the socket to rank 0 and Open MPI's
/// session files (in TMPDIR, or /tmp when TMPDIR is too long for a socket's 108-byte address),
/// `shm` for the ranks' shared-memory segments when every rank is on this host. Made after
/// sweeping what killed parlabs left.
struct job_dirs {
  std::string dir, shm;

  explicit job_dirs(bool local) {
    const std::filesystem::path temp = std::filesystem::temp_directory_path();
    sweep_stale_job_dirs({temp, "/tmp", "/dev/shm"});
    dir = private_dir(temp.string().size() + 40 >= sizeof(sockaddr_un::sun_path) ? "/tmp" : temp);
    if (local && ::access("/dev/shm", W_OK) == 0) shm = private_dir("/dev/shm");
  }
  ~job_dirs() {
    for (const std::string* d : {&dir, &shm}) {
      std::error_code ignored;
      if (!d->empty()) std::filesystem::remove_all(*d, ignored);
    }
  }
  job_dirs(const job_dirs&) = delete;
  job_dirs& operator=(const job_dirs&) = delete;

  /// Open MPI's settings that put its files here (the session directory holds sockets too:
  /// inside `dir` when their paths still fit).
  void add_to(std::vector<std::string>& env) const;
};

/// Whether `host` names this host (as mpirun takes it: no ssh).
bool is_this_host(const std::string& host) {
  if (host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0) return true;
  const std::string self = host_name();
  return host == self || host == self.substr(0, self.find('.'));
}

void job_dirs::add_to(std::vector<std::string>& env) const {
  if (dir.size() + host_name().size() + 48 < sizeof(sockaddr_un::sun_path)) {
    env.push_back("OMPI_MCA_orte_tmpdir_base=" + dir);
  }
  if (!shm.empty()) env.push_back("OMPI_MCA_btl_vader_backing_directory=" + shm);
}

/// The host names of `hosts` ("a:2,b") or of a hostfile's lines (first word; '#' starts a
/// comment).
std::vector<std::string> placement_hosts(const std::string& hosts, const std::string& hostfile) {
  std::vector<std::string> out;
  if (!hosts.empty()) {
    for (const std::string_view entry : host_entries(hosts)) {
      out.emplace_back(entry.substr(0, entry.find(':')));
    }
  } else if (!hostfile.empty()) {
    std::ifstream in(hostfile);
    for (std::string line; std::getline(in, line);) {
      std::istringstream words(line.substr(0, line.find('#')));
      if (std::string word; words >> word) out.push_back(word);
    }
  }
  return out;
}

/// Reads what mpirun printed so far (its output and errors share one pipe) without blocking.
/// True when the pipe reached its end: mpirun exited.
bool drain(int fd, std::string& into) {
  char buffer[4096];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 0) <= 0 || (p.revents & (POLLIN | POLLHUP)) == 0) return false;
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0) return false;
    if (n == 0) return true;
    into.append(buffer, static_cast<std::size_t>(n));
    if (into.size() > 65536) into.erase(0, into.size() - 65536);  // keep the tail
  }
}

/// The last line of what mpirun printed that says something (its banners are lines of dashes),
/// for one-line errors.
std::string last_line(const std::string& text) {
  std::size_t end = text.size();
  while (end > 0) {
    const std::size_t start = text.rfind('\n', end - 1);
    const std::size_t from = start == std::string::npos ? 0 : start + 1;
    const std::string line = text.substr(from, end - from);
    if (std::any_of(line.begin(), line.end(),
                    [](char ch) { return std::isalnum(static_cast<unsigned char>(ch)) != 0; })) {
      const auto first = line.find_first_not_of(" \t");
      return line.substr(first);
    }
    if (start == std::string::npos) break;
    end = start;
  }
  return "it printed nothing";
}

/// Inside a Slurm allocation of more than one node (sbatch -N 2, salloc): mpirun takes the
/// allocation's nodes and slots from Slurm's environment, so the job spans hosts without a
/// hostfile.
bool in_multi_node_allocation() {
  for (const char* name : {"SLURM_JOB_NUM_NODES", "SLURM_NNODES"}) {
    const char* value = std::getenv(name);
    if (value != nullptr && std::atoi(value) > 1) return true;
  }
  return false;
}

/// The launch agent a hostfile names in a comment, "# parlab-launch-agent: PATH" (what
/// scripts/cluster.sh writes: Open MPI's plm_rsh_agent, used where ssh would be), or empty.
std::string hostfile_launch_agent(const std::string& hostfile) {
  std::ifstream in(hostfile);
  constexpr std::string_view kTag = "# parlab-launch-agent:";
  std::string line;
  while (std::getline(in, line)) {
    if (!line.starts_with(kTag)) continue;
    std::string agent = line.substr(kTag.size());
    const auto first = agent.find_first_not_of(" \t");
    const auto last = agent.find_last_not_of(" \t\r");
    return first == std::string::npos ? std::string() : agent.substr(first, last - first + 1);
  }
  return {};
}

/// mpirun starting `ranks` of parlab's rank program with `rank_args`: on this host (shared memory
/// between ranks) unless `hosts`, `hostfile` or a Slurm allocation of several nodes say where
/// (then TCP between hosts too), more ranks than slots allowed, no pinning, ranks that yield
/// while they wait; a hostfile's launch agent (hostfile_launch_agent) passed on. PARLAB_MPIRUN
/// names another mpirun.
std::vector<std::string> mpirun_command(int ranks, const std::vector<std::string>& rank_args,
                                        const std::string& hosts = {},
                                        const std::string& hostfile = {}) {
  // Between hosts the ranks need the network (TCP) besides shared memory.
  const bool across = !hosts.empty() || !hostfile.empty() || in_multi_node_allocation();
  std::vector<std::string> argv = {"/usr/bin/mpirun",
                                   "--oversubscribe",
                                   "--bind-to",
                                   "none",
                                   "-np",
                                   std::to_string(ranks),
                                   "--mca",
                                   "btl",
                                   across ? "self,vader,tcp" : "self,vader",
                                   "--mca",
                                   "mpi_yield_when_idle",
                                   "1"};
  if (!hosts.empty()) argv.insert(argv.end(), {"--host", hosts});
  if (!hostfile.empty()) {
    argv.insert(argv.end(), {"--hostfile", hostfile});
    // The agent the hostfile names, unless the environment chose one.
    const std::string agent = hostfile_launch_agent(hostfile);
    const char* chosen = std::getenv("OMPI_MCA_plm_rsh_agent");
    if (!agent.empty() && (chosen == nullptr || *chosen == '\0')) {
      argv.insert(argv.end(), {"--mca", "plm_rsh_agent", agent});
    }
  }
  argv.insert(argv.end(), {rank_program(), "mpi-rank"});
  if (const char* mpirun = std::getenv("PARLAB_MPIRUN"); mpirun != nullptr && *mpirun != '\0') {
    argv[0] = mpirun;
  }
  argv.insert(argv.end(), rank_args.begin(), rank_args.end());
  return argv;
}

/// What mpirun gets on top of parlab's environment.
std::vector<std::string> job_environment() {
  std::vector<std::string> env;
  if (::geteuid() == 0) {  // Open MPI refuses root unless told twice; only this child is told
    env = {"OMPI_ALLOW_RUN_AS_ROOT=1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1"};
  }
#if defined(__SANITIZE_ADDRESS__)
  // Open MPI keeps memory until exit; the ranks' leak check would fail every job.
  env.emplace_back("ASAN_OPTIONS=detect_leaks=0");
#endif
  return env;
}

/// The job's hosts with their clock models, and where each rank ran: rank 0's host is the
/// reference; another host's offset and drift come from its start and end bursts.
mpi_cluster place_and_align(const job_trailer& t, mpi_schedule schedule,
                            std::unordered_map<std::string, offset_estimate>& first_start) {
  mpi_cluster c;
  std::size_t ranks = 0;
  for (const auto& h : t.hosts) ranks += h.ranks.size();
  c.ranks.resize(ranks);
  for (std::size_t i = 0; i < t.hosts.size(); ++i) {
    const auto& th = t.hosts[i];
    mpi_host h;
    h.name = th.name;
    h.cores = th.cores;
    h.ranks = th.ranks;
    h.reference = i == 0;
    if (!h.reference && !th.start.empty()) {
      // The drift is measured from the job's first burst: the longer the baseline, the finer.
      const offset_estimate this_start = estimate_offset(th.start);
      const offset_estimate start = first_start.try_emplace(th.name, this_start).first->second;
      clock_model m = align_clocks(start);
      h.round_trip_ns = this_start.round_trip_ns;
      if (!th.end.empty()) {
        const offset_estimate end = estimate_offset(th.end);
        if (end.at_remote_ns > start.at_remote_ns) m = align_clocks(start, end);
        h.round_trip_ns = std::min(h.round_trip_ns, end.round_trip_ns);
      }
      h.offset_ns = m.offset_ns;
      h.drift = m.drift;
      h.at_remote_ns = m.at_remote_ns;
      h.uncertainty_ns = m.uncertainty_ns;
    }
    for (const int r : th.ranks) {
      if (r < 0 || static_cast<std::size_t>(r) >= ranks) continue;
      mpi_rank& place = c.ranks[static_cast<std::size_t>(r)];
      place.rank = r;
      place.host = i;
      if (schedule == mpi_schedule::fixed) {
        place.worker = static_cast<std::size_t>(r);
      } else if (r > 0) {
        place.worker = static_cast<std::size_t>(r - 1);
      }
    }
    c.hosts.push_back(std::move(h));
  }
  return c;
}

class mpi_executor final : public executor {
 public:
  mpi_executor() = default;
  mpi_executor(const mpi_executor&) = delete;
  mpi_executor& operator=(const mpi_executor&) = delete;
  ~mpi_executor() override { stop_job(); }
  [[nodiscard]] std::string_view name() const noexcept override { return "mpi"; }

 protected:
  void execute(std::span<const task> tasks, const run_options& options,
               run_result& result) override {
    for (const auto& t : tasks) {
      if (t.steps() == nullptr) {
        throw std::invalid_argument(fmt::format(
            "mpi: task {} is a callable, and code does not travel to MPI ranks (they rebuild "
            "tasks from their steps); run callables under threads, thread-pool, processes, "
            "process-pool, gil-threads, async, openmp or tbb",
            t.id));
      }
    }
    if (!result.after.empty()) {
      if (options.mpi.schedule != mpi_schedule::dynamic) {
        throw std::invalid_argument(
            "mpi: a task graph runs under the dynamic schedule only (rank 0 hands each task out "
            "once its predecessors ended; under the static one ranks would have to wait for "
            "each other's tasks): drop --mpi-schedule static");
      }
    }
    if (tasks.empty()) return;
    ensure_job(options);
    writer w;
    put_tasks(w, tasks);
    const auto bytes = static_cast<std::uint64_t>(w.bytes().size());
    std::vector<char> reply;
    const bool sent =
        detail::write_all(conn_, reinterpret_cast<const char*>(&bytes), sizeof bytes) &&
        detail::write_all(conn_, w.bytes().data(), w.bytes().size());
    if (!sent || !receive(reply, options.mpi.timeout)) {
      job_died(result, options.mpi.timeout);
      return;
    }
    reader r(reply);
    std::vector<rank_block> blocks;
    for (int rank = 0; rank < ranks_; ++rank) blocks.push_back(get_block(r));
    const job_trailer trailer = get_trailer(r);
    mpi_cluster cluster = place_and_align(trailer, options.mpi.schedule, first_start_);
    for (int rank = 0; rank < ranks_; ++rank) {
      rank_block& b = blocks[static_cast<std::size_t>(rank)];
      mpi_rank& place = cluster.ranks.at(static_cast<std::size_t>(rank));
      const mpi_host& host = cluster.hosts.at(place.host);
      const clock_model clock{host.offset_ns, host.drift, host.at_remote_ns, host.uncertainty_ns};
      const auto to_reference = [&](std::int64_t t) {
        return host.reference ? t : clock.to_reference(t);
      };
      place.usage = b.usage;
      if (b.edge_bytes.any() && edges() != nullptr) edges()->count_elsewhere(b.edge_bytes);
      result.outside.user_seconds += b.usage.user_seconds;
      result.outside.system_seconds += b.usage.system_seconds;
      result.outside.voluntary_switches += b.usage.voluntary_switches;
      result.outside.involuntary_switches += b.usage.involuntary_switches;
      result.outside.minor_faults += b.usage.minor_faults;
      if (b.dropped != 0 && !b.tasks.empty()) {  // its lane overflowed: the timeline is partial
        if (event_lane* l = lane(std::min(b.tasks.front().record.worker, options.workers - 1))) {
          l->count_dropped(b.dropped);
        }
      }
      for (auto& t : b.tasks) {
        t.record.start_ns = to_reference(t.record.start_ns);
        t.record.end_ns = to_reference(t.record.end_ns);
        if (event_lane* l = t.record.worker < options.workers ? lane(t.record.worker) : nullptr) {
          for (event ev : t.events) {
            ev.start_ns = to_reference(ev.start_ns);
            ev.end_ns = to_reference(ev.end_ns);
            if (!host.reference) ev.cpu = -1;  // another host's CPU numbers are not this one's
            l->add(ev);
          }
        }
        if (t.index < result.records.size()) result.records[t.index] = std::move(t.record);
      }
      for (auto& e : b.ends) e.t_ns = to_reference(e.t_ns);
    }
    // A graph's tasks that never ran because a task they wait for failed: rank 0 skipped them;
    // their records say which one (tasks come in an order where predecessors are first).
    if (!result.after.empty()) {
      detail::failure_causes causes(tasks.size());
      for (const task& t : tasks) {
        // Ran (its record is the rank's: the cause is remembered when it failed), or skipped
        // (its record is filled naming the failed task).
        causes.run_unless_blocked(t, result.records[t.id], [] {});
      }
    }
    // Pair the ends of every message: sender, receiver, kind and sequence number.
    std::vector<endpoint> ends = trailer.ends;  // rank 0's: on the reference clock already
    for (const auto& b : blocks) ends.insert(ends.end(), b.ends.begin(), b.ends.end());
    std::sort(ends.begin(), ends.end(), [](const endpoint& a, const endpoint& b) {
      return std::tuple(a.kind, a.from, a.to, a.seq, a.receive) <
             std::tuple(b.kind, b.from, b.to, b.seq, b.receive);
    });
    std::vector<message_times> times;
    for (std::size_t i = 0; i + 1 < ends.size(); ++i) {
      const endpoint& a = ends[i];
      const endpoint& b = ends[i + 1];
      if (a.receive != 0 || b.receive == 0 || a.kind != b.kind || a.from != b.from ||
          a.to != b.to || a.seq != b.seq) {
        continue;
      }
      times.push_back({a.t_ns, b.t_ns});
      if (options.record) {
        cluster.messages.push_back({std::string(kind_name(a.kind)), a.from, a.to, a.t_ns, b.t_ns,
                                    a.task != no_id ? a.task : b.task});
      }
      ++i;
    }
    cluster.message_count = times.size();
    cluster.impossible_messages = count_impossible_messages(times);
    std::sort(cluster.messages.begin(), cluster.messages.end(),
              [](const mpi_message& a, const mpi_message& b) {
                return a.send_started_ns < b.send_started_ns;
              });
    result.cluster = std::move(cluster);
  }

 private:
  /// Reads one reply (a size, then that many bytes), watching mpirun's output and the interrupt
  /// pipe meanwhile. False when the job ended first, or when `limit` passed (timed_out_ set).
  bool receive(std::vector<char>& reply, std::chrono::seconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    std::uint64_t bytes = 0;
    if (!read_watching(reinterpret_cast<char*>(&bytes), sizeof bytes, deadline)) return false;
    reply.resize(static_cast<std::size_t>(bytes));
    return read_watching(reply.data(), reply.size(), deadline);
  }

  bool read_watching(char* into, std::size_t size, std::chrono::steady_clock::time_point deadline) {
    timed_out_ = false;
    std::size_t got = 0;
    while (got < size) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        timed_out_ = true;
        return false;
      }
      std::vector<pollfd> fds = {{conn_, POLLIN, 0}, {job_.reports_fd(), POLLIN, 0}};
      (void)detail::poll_or_interrupt(fds,
                                      static_cast<int>(std::min<std::int64_t>(left.count(), 1000)));
      if ((fds[1].revents & (POLLIN | POLLHUP)) != 0) (void)drain(job_.reports_fd(), output_);
      if ((fds[0].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      const ssize_t n = ::read(conn_, into + got, size - got);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      got += static_cast<std::size_t>(n);
    }
    return true;
  }

  /// The job ended (or timed out, then it is ended here): every task not reported is lost with
  /// it, and the message says which rank on which host died and how, as mpirun told.
  void job_died(run_result& result, std::chrono::seconds limit) {
    const bool timed_out = timed_out_;
    ::close(conn_);
    conn_ = -1;
    // mpirun is ending the job and will say why: let it (a signal now would cut it short).
    if (!timed_out) (void)await_exit(std::chrono::seconds(10));
    const child_exit how = job_.stop(std::chrono::milliseconds(3000));
    (void)drain(job_.reports_fd(), output_);
    std::string why;
    if (timed_out) {
      why = fmt::format(
          "the MPI job did not answer within {} s (--mpi-timeout): a rank hung or the batch "
          "takes longer; the job was ended",
          limit.count());
    } else {
      result.death = who_died(how);
      why = fmt::format("the MPI job ended: {}", result.death->what);
    }
    for (auto& rec : result.records) {
      if (rec.ok || rec.failure != failure_kind::never_ran) continue;
      rec.failure = failure_kind::lost_with_run;
      rec.message = why;
    }
    stop_job();
  }

  /// "rank 1 on vm was killed by SIGSEGV", "rank 2 on vm exited with status 3", from what mpirun
  /// printed; else mpirun's own end and last line (vanished: how the rank died is unknown).
  [[nodiscard]] run_death who_died(const child_exit& how) const {
    const auto host_of = [&](int rank) {
      return rank >= 0 && static_cast<std::size_t>(rank) < rank_hosts_.size()
                 ? rank_hosts_[static_cast<std::size_t>(rank)]
                 : std::string("its host");
    };
    int rank = -1;
    int code = 0;
    char node[256] = {};
    char name[128] = {};
    for (std::size_t at = 0; (at = output_.find("process rank ", at)) != std::string::npos; ++at) {
      unsigned long long pid = 0;
      if (std::sscanf(output_.c_str() + at,
                      "process rank %d with PID %llu on node %255s exited on signal %d (%127[^)])",
                      &rank, &pid, node, &code, name) == 5) {
        return {failure_kind::killed_by_signal, code,
                fmt::format("rank {} on {} was killed by {} ({})", rank, node, signal_name(code),
                            name)};
      }
    }
    if (const auto at = output_.find("Process name: [["); at != std::string::npos) {
      const auto close = output_.find("],", at);
      const auto code_at = output_.find("Exit code:", at);
      if (close != std::string::npos && code_at != std::string::npos &&
          std::sscanf(output_.c_str() + close + 2, "%d", &rank) == 1 &&
          std::sscanf(output_.c_str() + code_at, "Exit code: %d", &code) == 1) {
        return {failure_kind::exited, code,
                fmt::format("rank {} on {} exited with status {}", rank, host_of(rank), code)};
      }
    }
    return {failure_kind::vanished, 0,
            fmt::format("mpirun {}: {}", how.describe(), last_line(output_))};
  }

  void ensure_job(const run_options& options) {
    const std::size_t workers = options.workers;
    const mpi_schedule schedule = options.mpi.schedule;
    if (job_.started() && conn_ >= 0 && workers == workers_ && schedule == schedule_ &&
        options.mpi.hosts == hosts_ && options.mpi.hostfile == hostfile_) {
      return;
    }
    stop_job();
    check_mpi_placement(options.mpi.hosts, options.mpi.hostfile);
    workers_ = workers;
    schedule_ = schedule;
    hosts_ = options.mpi.hosts;
    hostfile_ = options.mpi.hostfile;
    ranks_ = static_cast<int>(schedule == mpi_schedule::dynamic ? workers + 1 : workers);
    // What mpirun starts (ssh, daemons, ranks) stays below parlab and is ended with the job.
    detail::adopt_orphans();
    // The socket, Open MPI's session files and the ranks' shared-memory segments in private
    // directories named for this process, so a later run removes them if it was killed.
    dirs_.emplace(hosts_.empty() && hostfile_.empty());
    const std::string path = dirs_->dir + "/rank0";
    const int listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::snprintf(address.sun_path, sizeof address.sun_path, "%s", path.c_str());
    if (listener < 0 ||
        ::bind(listener, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listener, 1) != 0) {
      const int err = errno;
      if (listener >= 0) ::close(listener);
      throw std::system_error(err, std::generic_category(), "mpi: the socket for rank 0");
    }
    const std::vector<std::string> argv =
        mpirun_command(ranks_, {"--connect", path, "--schedule", std::string(to_string(schedule))},
                       hosts_, hostfile_);
    std::vector<std::string> env = job_environment();
    dirs_->add_to(env);
    output_.clear();
    const auto start_timeout = options.mpi.start_timeout;
    try {
      job_ = child_process::exec("mpirun", {.reports = true, .commands = false, .errors = true},
                                 argv, env);
      const auto deadline = std::chrono::steady_clock::now() + start_timeout;
      while (conn_ < 0) {
        std::vector<pollfd> fds = {{listener, POLLIN, 0}, {job_.reports_fd(), POLLIN, 0}};
        (void)detail::poll_or_interrupt(fds, 100);
        if ((fds[1].revents & (POLLIN | POLLHUP)) != 0) {
          if (drain(job_.reports_fd(), output_)) {
            const child_exit how = job_.wait();
            throw std::runtime_error(fmt::format("mpi: mpirun {} before its ranks started: {}",
                                                 how.describe(), last_line(output_)));
          }
        }
        if ((fds[0].revents & POLLIN) != 0)
          conn_ = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
        if (conn_ < 0 && std::chrono::steady_clock::now() > deadline) {
          throw std::runtime_error(not_started(start_timeout));
        }
      }
      // Rank 0 says first where every rank runs.
      std::vector<char> hello;
      const auto left = std::chrono::duration_cast<std::chrono::seconds>(
          deadline - std::chrono::steady_clock::now());
      if (!receive(hello, std::max(left, std::chrono::seconds(1)))) {
        if (timed_out_) throw std::runtime_error(not_started(start_timeout));
        throw std::runtime_error(
            fmt::format("mpi: the job ended before its ranks reported ({})", last_line(output_)));
      }
      reader r(hello);
      rank_hosts_.assign(static_cast<std::size_t>(ranks_), std::string());
      for (const auto& h : get_trailer(r).hosts) {
        for (const int rank : h.ranks) {
          if (rank >= 0 && rank < ranks_) rank_hosts_[static_cast<std::size_t>(rank)] = h.name;
        }
      }
    } catch (...) {
      ::close(listener);
      stop_job();
      throw;
    }
    ::close(listener);
  }

  /// Waits up to `limit` for mpirun to exit by itself (its output closes then), keeping what it
  /// prints. True when it did.
  bool await_exit(std::chrono::milliseconds limit) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (job_.started() && job_.reports_fd() >= 0 && std::chrono::steady_clock::now() < until) {
      pollfd p{job_.reports_fd(), POLLIN, 0};
      if (::poll(&p, 1, 50) > 0 && drain(job_.reports_fd(), output_)) return true;
    }
    return false;
  }

  void stop_job() noexcept {
    if (conn_ >= 0) {
      ::close(conn_);  // rank 0 reads the end: every rank finalizes, mpirun ends
      conn_ = -1;
      // Give the job a moment to end by itself (a signal would make Open MPI abort the ranks,
      // which takes seconds). Interrupted, the ranks are mid-batch: no waiting, mpirun is told
      // to end them at once.
      if (!interrupt_requested()) {
        try {
          (void)await_exit(std::chrono::seconds(5));
        } catch (...) {  // keeping mpirun's words ran out of memory: stop it all the same
        }
      }
    }
    const pid_t mpirun = job_.pid();
    if (job_.started()) (void)job_.stop(std::chrono::milliseconds(5000));
    // What mpirun left running (an ssh to another host, a rank): parlab adopted it; end it.
    if (mpirun > 0) {
      try {
        (void)detail::end_tree(mpirun, std::chrono::milliseconds(500));
      } catch (...) {  // out of memory listing them: PR_SET_PDEATHSIG is all that is left
      }
    }
    first_start_.clear();
    dirs_.reset();
  }

  /// Why the job did not start within `limit`, naming the hosts whose launch (ssh) still waits.
  [[nodiscard]] std::string not_started(std::chrono::seconds limit) const {
    std::vector<std::string> others;
    for (auto& h : placement_hosts(hosts_, hostfile_)) {
      if (!is_this_host(h)) others.push_back(std::move(h));
    }
    std::vector<std::string> waiting;  // hosts named by a process of the job still running
    std::vector<std::string> launchers;
    for (const auto& p : detail::process_tree(job_.pid())) {
      const std::string cmdline =
          detail::read_proc("/proc/" + std::to_string(p.pid) + "/cmdline", 1 << 16).value_or("");
      for (const auto& h : others) {
        const std::string word = std::string(1, '\0') + h + '\0';
        if (('\0' + cmdline).find(word) == std::string::npos) continue;
        if (std::find(waiting.begin(), waiting.end(), h) == waiting.end()) {
          waiting.push_back(h);
          launchers.push_back(p.describe());
        }
      }
    }
    const std::string head =
        fmt::format("mpi: the job did not start within {} s (--mpi-start-timeout)", limit.count());
    if (!waiting.empty()) {
      return fmt::format(
          "{}: no answer from host{} '{}' (launch still waiting: {}); is it reachable by ssh "
          "without a password, with parlab and Open MPI installed?",
          head, waiting.size() == 1 ? "" : "s", fmt::join(waiting, "', '"),
          fmt::join(launchers, ", "));
    }
    if (!others.empty()) {
      return fmt::format("{}: no rank connected; the other host{} '{}' may be unreachable ({})",
                         head, others.size() == 1 ? "" : "s", fmt::join(others, "', '"),
                         last_line(output_));
    }
    return fmt::format("{}: rank 0 did not connect ({})", head, last_line(output_));
  }

  child_process job_;
  int conn_ = -1;
  int ranks_ = 0;
  std::size_t workers_ = 0;
  mpi_schedule schedule_ = mpi_schedule::dynamic;
  std::string hosts_;
  std::string hostfile_;
  std::vector<std::string> rank_hosts_;  // by rank, from rank 0's first message
  bool timed_out_ = false;               // the last read_watching ran out of time
  /// Per host, the job's first clock burst: every batch's drift is measured from it.
  std::unordered_map<std::string, offset_estimate> first_start_;
  std::optional<job_dirs> dirs_;  // while a job runs
  std::string output_;            // what mpirun printed (the tail)
};

}  // namespace

namespace detail {
std::unique_ptr<executor> make_mpi() { return std::make_unique<mpi_executor>(); }
}  // namespace detail

namespace {

/// Runs a 2-rank job of `mode` (--pingpong, --visibility) to its end; returns what it printed.
/// Throws std::runtime_error naming `what` and mpirun's last line when it failed or printed no
/// line starting with `expect`.
std::string run_two_ranks(const std::string& mode, const char* what, const char* expect,
                          const std::string& hosts = {}, const std::string& hostfile = {}) {
  std::vector<std::string> argv = mpirun_command(2, {mode}, hosts, hostfile);
  if (!hosts.empty() || !hostfile.empty()) {
    // One rank a host: rank 0 on the first, rank 1 on the second.
    argv.insert(argv.begin() + 1, {"--map-by", "node"});
  }
  const job_dirs dirs(true);
  std::vector<std::string> env = job_environment();
  dirs.add_to(env);
  child_process job = child_process::exec(
      "mpirun", {.reports = true, .commands = false, .errors = true}, argv, env);
  std::string output;
  for (;;) {
    std::vector<pollfd> fds = {{job.reports_fd(), POLLIN, 0}};
    (void)detail::poll_or_interrupt(fds, -1);
    char buffer[4096];
    const ssize_t n = ::read(job.reports_fd(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    output.append(buffer, static_cast<std::size_t>(n));
  }
  const child_exit how = job.wait();
  if (!how.exited() || how.exit_status() != 0 || output.find(expect) == std::string::npos) {
    throw std::runtime_error(fmt::format("mpi: the {} job failed (mpirun {}: {})", what,
                                         how.describe(), last_line(output)));
  }
  return output;
}

}  // namespace

memory_visibility measure_mpi_visibility() {
  const std::string output = run_two_ranks("--visibility", "visibility", "visibility ");
  memory_visibility v;
  (void)std::sscanf(output.c_str() + output.find("visibility "), "visibility %d %d",
                    &v.before_message, &v.after_message);
  return v;
}

namespace {

std::vector<message_cost> read_pingpong(const std::string& output) {
  std::vector<message_cost> out;
  std::size_t at = 0;
  while ((at = output.find("pingpong ", at)) != std::string::npos) {
    unsigned long long bytes = 0;
    double ns = 0;
    unsigned long long timed = 0;
    if (std::sscanf(output.c_str() + at, "pingpong %llu %lf %llu", &bytes, &ns, &timed) == 3) {
      out.push_back({static_cast<std::size_t>(bytes), ns * 1e-9, static_cast<std::size_t>(timed)});
    }
    at += 9;
  }
  return out;
}

}  // namespace

std::vector<message_cost> measure_mpi_messages() {
  return read_pingpong(run_two_ranks("--pingpong", "ping-pong", "pingpong "));
}

message_route measure_mpi_messages_between(const std::string& hosts, const std::string& hostfile) {
  check_mpi_placement(hosts, hostfile);
  if (hosts.empty() && hostfile.empty()) {
    throw std::invalid_argument("mpi: messages between hosts need --hosts or --hostfile");
  }
  const std::string output =
      run_two_ranks("--pingpong", "ping-pong between hosts", "pingpong ", hosts, hostfile);
  message_route route;
  constexpr std::string_view kHosts = "pingpong-hosts ";  // mpi_rank.cpp's ping_pong prints it
  if (const auto at = output.find(kHosts); at != std::string::npos) {
    const auto from = at + kHosts.size();
    const auto line = output.substr(from, output.find('\n', from) - from);
    const auto space = line.find(' ');
    route.from_host = line.substr(0, space);
    if (space != std::string::npos) route.to_host = line.substr(space + 1);
  }
  if (route.from_host.empty() || route.from_host == route.to_host) {
    throw std::invalid_argument(fmt::format(
        "mpi: both ranks of the ping-pong ran on {}: give at least two hosts (--hosts A,B or a "
        "hostfile naming two)",
        route.from_host.empty() ? std::string("one host") : route.from_host));
  }
  route.costs = read_pingpong(output);
  return route;
}

#endif

}  // namespace parlab
