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

#include <parlab/mpi.hpp>

#include "core/child_process.hpp"
#include "executors/factories.hpp"
#include "executors/run_task.hpp"

#include <parlab/clock.hpp>
#include <parlab/clock_alignment.hpp>
#include <parlab/interrupt.hpp>
#include <parlab/kernel_figures.hpp>
#include <parlab/machine.hpp>

#include <fmt/format.h>

#include <poll.h>
#include <sys/socket.h>
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
#include <mutex>
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
  std::string_view rest(hosts);
  for (;;) {
    const auto comma = rest.find(',');
    const std::string_view entry = rest.substr(0, comma);
    const auto colon = entry.find(':');
    const std::string_view name = entry.substr(0, colon);
    bool ok = !name.empty() && std::all_of(name.begin(), name.end(), [](char ch) {
      return std::isalnum(static_cast<unsigned char>(ch)) != 0 || ch == '.' || ch == '-' ||
             ch == '_';
    });
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
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
}

#if !PARLAB_HAVE_MPI

bool mpi_built() noexcept { return false; }

std::vector<message_cost> measure_mpi_messages() {
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

namespace {

// --- bytes on the wire (host order: every rank runs on this host's architecture) -------------

class writer {
 public:
  template <class T>
  void put(const T& v) {
    const auto* p = reinterpret_cast<const char*>(&v);
    bytes_.insert(bytes_.end(), p, p + sizeof(T));
  }
  void put_string(const std::string& s) {
    put(static_cast<std::uint32_t>(s.size()));
    bytes_.insert(bytes_.end(), s.begin(), s.end());
  }
  [[nodiscard]] std::vector<char>& bytes() { return bytes_; }

 private:
  std::vector<char> bytes_;
};

class reader {
 public:
  explicit reader(const std::vector<char>& bytes) : bytes_(bytes) {}
  template <class T>
  T get() {
    if (at_ + sizeof(T) > bytes_.size()) throw std::runtime_error("mpi: a message ends early");
    T v;
    std::memcpy(&v, bytes_.data() + at_, sizeof(T));
    at_ += sizeof(T);
    return v;
  }
  std::string get_string() {
    const auto n = get<std::uint32_t>();
    if (at_ + n > bytes_.size()) throw std::runtime_error("mpi: a message ends early");
    std::string s(bytes_.data() + at_, n);
    at_ += n;
    return s;
  }

 private:
  const std::vector<char>& bytes_;
  std::size_t at_ = 0;
};

constexpr std::uint64_t kQuit = ~std::uint64_t{0};

// --- messages, clocks and hosts ----------------------------------------------------------------

/// What a message carried.
enum class message_kind : std::uint8_t { batch, ask, task, results };

std::string_view kind_name(message_kind k) {
  switch (k) {
    case message_kind::batch:
      return "batch";
    case message_kind::ask:
      return "ask";
    case message_kind::task:
      return "task";
    case message_kind::results:
      return "results";
  }
  return "?";
}

/// One end of a message as a rank saw it, on its own clock: a send began or a receive ended.
/// Sender, receiver, kind and the sequence number of that kind between the two pair the ends.
struct endpoint {
  std::int64_t t_ns = 0;
  std::int32_t from = 0;
  std::int32_t to = 0;
  std::uint32_t seq = 0;
  std::uint32_t task = no_id;
  message_kind kind = message_kind::batch;
  std::uint8_t receive = 0;  ///< 0: the send began at t_ns; 1: the receive ended at t_ns
};

void put_endpoints(writer& w, const std::vector<endpoint>& ends) {
  w.put(static_cast<std::uint64_t>(ends.size()));
  for (const auto& e : ends) w.put(e);
}

std::vector<endpoint> get_endpoints(reader& r) {
  const auto n = r.get<std::uint64_t>();
  std::vector<endpoint> out;
  for (std::uint64_t i = 0; i < n; ++i) out.push_back(r.get<endpoint>());
  return out;
}

/// A test hook: PARLAB_MPI_CLOCK_SKEW="RANK:OFFSET_NS:DRIFT_PPM" makes that rank (not 0) report
/// every time as if its clock were OFFSET_NS ahead and drifted DRIFT_PPM microseconds per second,
/// and name its host "<host>~skewed": a host of its own, aligned as a remote one is. The merge
/// must take the skew out again, within the uncertainty it reports.
struct rank_clock {
  bool skewed = false;
  std::int64_t offset_ns = 0;
  double drift = 0.0;
  std::int64_t base_ns = 0;
  [[nodiscard]] std::int64_t operator()(std::int64_t t) const noexcept {
    if (!skewed) return t;
    return t + offset_ns + static_cast<std::int64_t>(drift * static_cast<double>(t - base_ns));
  }
  [[nodiscard]] std::int64_t now() const noexcept { return (*this)(monotonic_ns()); }
};

rank_clock clock_of(int rank) {
  rank_clock c;
  const char* env = std::getenv("PARLAB_MPI_CLOCK_SKEW");
  if (env == nullptr || *env == '\0') return c;
  int skewed_rank = -1;
  long long offset = 0;
  double ppm = 0.0;
  if (std::sscanf(env, "%d:%lld:%lf", &skewed_rank, &offset, &ppm) != 3 || skewed_rank < 1) {
    throw std::invalid_argument(fmt::format(
        "PARLAB_MPI_CLOCK_SKEW='{}' is not RANK:OFFSET_NS:DRIFT_PPM with RANK >= 1", env));
  }
  if (skewed_rank != rank) return c;
  c.skewed = true;
  c.offset_ns = offset;
  c.drift = ppm * 1e-6;
  c.base_ns = monotonic_ns();
  return c;
}

/// Where the ranks run: every rank's host (in order of first appearance, rank 0's first) and
/// usable cores. A host's leader (its lowest rank) exchanges the clock bursts with rank 0.
struct job_layout {
  std::vector<std::string> hosts;
  std::vector<std::uint32_t> cores;         ///< per host
  std::vector<std::vector<int> > ranks_of;  ///< per host, ascending
  [[nodiscard]] int leader(std::size_t host) const { return ranks_of[host].front(); }
};

/// ping-pongs per burst: the shortest round trip of these gives the offset
constexpr int kBurst = 15;
constexpr int kPing = 3;
constexpr int kPong = 4;

void put_tasks(writer& w, std::span<const task> tasks) {
  w.put(static_cast<std::uint64_t>(tasks.size()));
  for (const auto& t : tasks) {
    const auto* steps = t.steps();
    w.put(static_cast<std::uint64_t>(t.id));
    w.put(t.seed);
    w.put_string(t.label);
    w.put(static_cast<std::uint32_t>(steps->size()));
    for (const auto& s : *steps) w.put(s);
  }
}

std::vector<task> get_tasks(reader& r, std::uint64_t count) {
  std::vector<task> out;
  out.reserve(static_cast<std::size_t>(count));
  for (std::uint64_t i = 0; i < count; ++i) {
    const auto id = r.get<std::uint64_t>();
    const auto seed = r.get<std::uint64_t>();
    std::string label = r.get_string();
    const auto n = r.get<std::uint32_t>();
    std::vector<step> steps;
    steps.reserve(n);
    for (std::uint32_t k = 0; k < n; ++k) steps.push_back(r.get<step>());
    out.push_back(
        make_step_task(static_cast<std::size_t>(id), std::move(label), seed, std::move(steps)));
  }
  return out;
}

// One task's outcome as ranks send it: the record, then its events, times on the rank's clock
// (`clock`: the identity but under the test hook, see rank_clock).
template <class Clock>
void put_record(writer& w, std::size_t index, const task_record& rec, std::span<const event> events,
                const Clock& clock) {
  w.put(static_cast<std::uint64_t>(index));
  w.put(static_cast<std::uint64_t>(rec.task_id));
  w.put(static_cast<std::uint64_t>(rec.worker));
  w.put(rec.pid);
  w.put(rec.tid);
  w.put(clock(rec.start_ns));
  w.put(clock(rec.end_ns));
  w.put(rec.cpu_ns);
  w.put(static_cast<std::uint8_t>(rec.ok));
  w.put(static_cast<std::uint32_t>(rec.failure));
  w.put(static_cast<std::int32_t>(rec.failure_code));
  w.put(rec.result);
  w.put_string(rec.message);
  w.put(static_cast<std::uint32_t>(events.size()));
  for (event e : events) {
    e.start_ns = clock(e.start_ns);
    e.end_ns = clock(e.end_ns);
    w.put(e);
  }
}

/// One task's outcome as put_record wrote it.
struct ran_task {
  std::size_t index = 0;  ///< in the batch
  task_record record;
  std::vector<event> events;
};

/// One rank's block of a reply, as run_batch wrote it (put_usage, put_record per task, then the
/// ends of the messages it saw).
struct rank_block {
  kernel_figures usage;
  std::uint64_t dropped = 0;  ///< events its lane could not keep
  std::vector<ran_task> tasks;
  std::vector<endpoint> ends;
};

rank_block get_block(reader& r) {
  rank_block b;
  b.usage.user_seconds = r.get<double>();
  b.usage.system_seconds = r.get<double>();
  b.usage.voluntary_switches = r.get<std::int64_t>();
  b.usage.involuntary_switches = r.get<std::int64_t>();
  b.usage.minor_faults = r.get<std::int64_t>();
  b.dropped = r.get<std::uint64_t>();
  const auto n = r.get<std::uint64_t>();
  for (std::uint64_t k = 0; k < n; ++k) {
    ran_task t;
    t.index = static_cast<std::size_t>(r.get<std::uint64_t>());
    task_record& rec = t.record;
    rec.task_id = static_cast<std::size_t>(r.get<std::uint64_t>());
    rec.worker = static_cast<std::size_t>(r.get<std::uint64_t>());
    rec.pid = r.get<std::int64_t>();
    rec.tid = r.get<std::int64_t>();
    rec.start_ns = r.get<std::int64_t>();
    rec.end_ns = r.get<std::int64_t>();
    rec.cpu_ns = r.get<std::int64_t>();
    rec.ok = r.get<std::uint8_t>() != 0;
    rec.failure = static_cast<failure_kind>(r.get<std::uint32_t>());
    rec.failure_code = r.get<std::int32_t>();
    rec.result = r.get<std::uint64_t>();
    rec.message = r.get_string();
    const auto events = r.get<std::uint32_t>();
    for (std::uint32_t e = 0; e < events; ++e) t.events.push_back(r.get<event>());
    b.tasks.push_back(std::move(t));
  }
  b.ends = get_endpoints(r);
  return b;
}

// --- the ranks -------------------------------------------------------------------------------

constexpr int kAsk = 1;
constexpr int kAnswer = 2;

struct rank_context {
  int rank = 0;
  int size = 1;
  mpi_schedule schedule = mpi_schedule::dynamic;
  rank_clock clock;
  job_layout layout;
  [[nodiscard]] int workers() const { return schedule == mpi_schedule::dynamic ? size - 1 : size; }
  /// This rank's worker slot, or -1 for the manager.
  [[nodiscard]] int worker() const { return schedule == mpi_schedule::dynamic ? rank - 1 : rank; }
};

/// This rank's CPU time, context switches and minor page faults so far.
kernel_figures own_usage() { return rusage_snapshot::now().self; }

/// Each rank's block: how much CPU it used for the batch (and switches, minor faults), the events
/// its lane dropped, then its records.
void put_usage(writer& w, const kernel_figures& before, std::uint64_t dropped) {
  const kernel_figures now = own_usage();
  w.put(now.user_seconds - before.user_seconds);
  w.put(now.system_seconds - before.system_seconds);
  w.put(now.voluntary_switches - before.voluntary_switches);
  w.put(now.involuntary_switches - before.involuntary_switches);
  w.put(now.minor_faults - before.minor_faults);
  w.put(dropped);
}

/// Runs the batch on this rank; returns what it ran, serialized.
std::vector<char> run_batch(const rank_context& c, const std::vector<task>& tasks,
                            std::vector<endpoint>& ends) {
  writer out;
  const kernel_figures before = own_usage();
  const int me = c.worker();
  std::uint32_t asks = 0;  // this worker's requests so far, and the answers to them
  std::vector<std::uint32_t> answered(static_cast<std::size_t>(c.size), 0);  // the manager's
  if (me < 0) {
    // The manager: answer requests until every worker was told to stop. Polls with short
    // sleeps instead of a blocking receive, which would spin on a core.
    std::int64_t next = 0;
    int stopped = 0;
    while (stopped < c.workers()) {
      int flag = 0;
      MPI_Status status;
      MPI_Iprobe(MPI_ANY_SOURCE, kAsk, MPI_COMM_WORLD, &flag, &status);
      if (flag == 0) {
        timespec pause{0, 20'000};
        ::nanosleep(&pause, nullptr);
        continue;
      }
      int unused = 0;
      const int from = status.MPI_SOURCE;
      MPI_Recv(&unused, 1, MPI_INT, from, kAsk, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      std::uint32_t& seq = answered[static_cast<std::size_t>(from)];
      ends.push_back({c.clock.now(), from, 0, seq, no_id, message_kind::ask, 1});
      std::int64_t answer = next < static_cast<std::int64_t>(tasks.size()) ? next++ : -1;
      if (answer < 0) ++stopped;
      const std::uint32_t id =
          answer < 0 ? no_id
                     : static_cast<std::uint32_t>(tasks[static_cast<std::size_t>(answer)].id);
      ends.push_back({c.clock.now(), 0, from, seq++, id, message_kind::task, 0});
      MPI_Send(&answer, 1, MPI_INT64_T, from, kAnswer, MPI_COMM_WORLD);
    }
    put_usage(out, before, 0);
    out.put(std::uint64_t{0});
    return out.bytes();
  }
  event_lane lane(static_cast<std::size_t>(me), default_lane_capacity);
  detail::no_hooks hooks;
  std::vector<std::pair<std::size_t, task_record> > done;
  const auto run_one = [&](std::size_t i) {
    task_record rec;
    rec.task_id = tasks[i].id;
    detail::run_task(tasks[i], static_cast<std::size_t>(me), hooks, rec, &lane);
    done.emplace_back(i, std::move(rec));
  };
  if (c.schedule == mpi_schedule::dynamic) {
    for (;;) {
      int ask = 0;
      std::int64_t answer = -1;
      ends.push_back({c.clock.now(), c.rank, 0, asks, no_id, message_kind::ask, 0});
      MPI_Send(&ask, 1, MPI_INT, 0, kAsk, MPI_COMM_WORLD);
      MPI_Recv(&answer, 1, MPI_INT64_T, 0, kAnswer, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      const std::uint32_t id =
          answer < 0 ? no_id
                     : static_cast<std::uint32_t>(tasks[static_cast<std::size_t>(answer)].id);
      ends.push_back({c.clock.now(), 0, c.rank, asks++, id, message_kind::task, 1});
      if (answer < 0) break;
      run_one(static_cast<std::size_t>(answer));
    }
  } else {
    for (std::size_t i = static_cast<std::size_t>(me); i < tasks.size();
         i += static_cast<std::size_t>(c.workers())) {
      run_one(i);
    }
  }
  // Each record with the events of its task.
  std::unordered_map<std::uint32_t, std::vector<event> > by_task;
  for (const auto& e : lane.events()) by_task[e.task].push_back(e);
  put_usage(out, before, lane.dropped());
  out.put(static_cast<std::uint64_t>(done.size()));
  for (const auto& [index, rec] : done) {
    put_record(out, index, rec, by_task[static_cast<std::uint32_t>(rec.task_id)], c.clock);
  }
  return out.bytes();
}

/// Every rank learns where every rank runs (its host name and usable cores).
job_layout discover_layout(const rank_context& c) {
  constexpr std::size_t kName = 256;
  std::vector<char> mine(kName, '\0');
  std::string name(kName, '\0');
  if (::gethostname(name.data(), kName - 1) != 0) name = "unknown";
  name.resize(std::strlen(name.c_str()));
  if (c.clock.skewed) name += "~skewed";
  std::memcpy(mine.data(), name.data(), std::min(name.size(), kName - 1));
  std::vector<char> names(kName * static_cast<std::size_t>(c.size));
  MPI_Allgather(mine.data(), static_cast<int>(kName), MPI_CHAR, names.data(),
                static_cast<int>(kName), MPI_CHAR, MPI_COMM_WORLD);
  auto cores = static_cast<std::uint32_t>(usable_cores());
  std::vector<std::uint32_t> all_cores(static_cast<std::size_t>(c.size));
  MPI_Allgather(&cores, 1, MPI_UINT32_T, all_cores.data(), 1, MPI_UINT32_T, MPI_COMM_WORLD);
  job_layout l;
  for (int r = 0; r < c.size; ++r) {
    const std::string host(names.data() + kName * static_cast<std::size_t>(r));
    auto at = std::find(l.hosts.begin(), l.hosts.end(), host);
    if (at == l.hosts.end()) {
      l.hosts.push_back(host);
      l.cores.push_back(all_cores[static_cast<std::size_t>(r)]);
      l.ranks_of.emplace_back();
      at = l.hosts.end() - 1;
    }
    const auto h = static_cast<std::size_t>(at - l.hosts.begin());
    l.ranks_of[h].push_back(r);
  }
  return l;
}

/// Rank 0 and every other host's leader ping-pong kBurst times; rank 0 returns the exchanges per
/// host (none for its own), the others nothing. Nothing happens on a single host.
std::vector<std::vector<ping_exchange> > clock_burst(const rank_context& c) {
  std::vector<std::vector<ping_exchange> > out(c.layout.hosts.size());
  for (std::size_t h = 1; h < c.layout.hosts.size(); ++h) {
    const int leader = c.layout.leader(h);
    for (int i = 0; i < kBurst; ++i) {
      std::int64_t times[2] = {0, 0};
      if (c.rank == 0) {
        ping_exchange x;
        x.sent_ns = c.clock.now();
        MPI_Send(&i, 1, MPI_INT, leader, kPing, MPI_COMM_WORLD);
        MPI_Recv(times, 2, MPI_INT64_T, leader, kPong, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        x.received_ns = c.clock.now();
        x.remote_received_ns = times[0];
        x.remote_replied_ns = times[1];
        out[h].push_back(x);
      } else if (c.rank == leader) {
        int ping = 0;
        MPI_Recv(&ping, 1, MPI_INT, 0, kPing, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        times[0] = c.clock.now();
        times[1] = c.clock.now();
        MPI_Send(times, 2, MPI_INT64_T, 0, kPong, MPI_COMM_WORLD);
      }
    }
  }
  return out;
}

/// What rank 0 adds after the blocks: the hosts, the clock bursts, and its own receive ends of
/// the results.
void put_trailer(writer& w, const job_layout& l,
                 const std::vector<std::vector<ping_exchange> >& start,
                 const std::vector<std::vector<ping_exchange> >& end,
                 const std::vector<endpoint>& ends) {
  w.put(static_cast<std::uint32_t>(l.hosts.size()));
  for (std::size_t h = 0; h < l.hosts.size(); ++h) {
    w.put_string(l.hosts[h]);
    w.put(l.cores[h]);
    w.put(static_cast<std::uint32_t>(l.ranks_of[h].size()));
    for (const int r : l.ranks_of[h]) w.put(static_cast<std::int32_t>(r));
    for (const auto* burst : {&start, &end}) {
      const auto& xs = h < burst->size() ? (*burst)[h] : std::vector<ping_exchange>{};
      w.put(static_cast<std::uint32_t>(xs.size()));
      for (const auto& x : xs) w.put(x);
    }
  }
  put_endpoints(w, ends);
}

/// The trailer as the parent reads it.
struct job_trailer {
  struct host {
    std::string name;
    std::uint32_t cores = 0;
    std::vector<int> ranks;
    std::vector<ping_exchange> start, end;
  };
  std::vector<host> hosts;
  std::vector<endpoint> ends;
};

job_trailer get_trailer(reader& r) {
  job_trailer t;
  const auto n = r.get<std::uint32_t>();
  for (std::uint32_t h = 0; h < n; ++h) {
    job_trailer::host host;
    host.name = r.get_string();
    host.cores = r.get<std::uint32_t>();
    const auto ranks = r.get<std::uint32_t>();
    for (std::uint32_t k = 0; k < ranks; ++k) host.ranks.push_back(r.get<std::int32_t>());
    for (auto* burst : {&host.start, &host.end}) {
      const auto xs = r.get<std::uint32_t>();
      for (std::uint32_t k = 0; k < xs; ++k) burst->push_back(r.get<ping_exchange>());
    }
    t.hosts.push_back(std::move(host));
  }
  t.ends = get_endpoints(r);
  return t;
}

/// Rank 0 gathers every rank's bytes; returns them concatenated (other ranks: empty).
std::vector<char> gather(const rank_context& c, std::vector<char> mine) {
  int size = static_cast<int>(mine.size());
  std::vector<int> sizes(static_cast<std::size_t>(c.size));
  MPI_Gather(&size, 1, MPI_INT, sizes.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
  std::vector<int> offsets(static_cast<std::size_t>(c.size));
  int total = 0;
  for (std::size_t r = 0; r < sizes.size(); ++r) {
    offsets[r] = total;
    total += sizes[r];
  }
  std::vector<char> all(c.rank == 0 ? static_cast<std::size_t>(total) : 0);
  MPI_Gatherv(mine.data(), size, MPI_CHAR, all.data(), sizes.data(), offsets.data(), MPI_CHAR, 0,
              MPI_COMM_WORLD);
  return all;
}

/// Ranks 0 and 1 bounce messages of 8 B to 4 MiB (powers of 8, then 4 MiB): 10 untimed exchanges,
/// then timed ones (fewer for big messages); rank 0 prints each size's median round trip.
void ping_pong(const rank_context& c) {
  if (c.size < 2) {
    if (c.rank == 0) std::fprintf(stderr, "parlab: mpi-rank --pingpong needs 2 ranks\n");
    return;
  }
  std::vector<char> buffer(std::size_t{4} << 20U);
  std::vector<std::size_t> sizes;
  for (std::size_t bytes = 8; bytes < buffer.size(); bytes *= 8) sizes.push_back(bytes);
  sizes.push_back(buffer.size());  // 8 B, 64 B, ..., 2 MiB, then 4 MiB
  for (const std::size_t bytes : sizes) {
    const int n = static_cast<int>(bytes);
    const int timed = bytes >= (std::size_t{1} << 20U) ? 20 : 200;
    std::vector<double> trips;
    for (int i = 0; i < 10 + timed; ++i) {
      if (c.rank == 0) {
        const std::int64_t t0 = monotonic_ns();
        MPI_Send(buffer.data(), n, MPI_CHAR, 1, 7, MPI_COMM_WORLD);
        MPI_Recv(buffer.data(), n, MPI_CHAR, 1, 7, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        if (i >= 10) trips.push_back(static_cast<double>(monotonic_ns() - t0));
      } else if (c.rank == 1) {
        MPI_Recv(buffer.data(), n, MPI_CHAR, 0, 7, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        MPI_Send(buffer.data(), n, MPI_CHAR, 0, 7, MPI_COMM_WORLD);
      }
    }
    if (c.rank == 0) {
      std::sort(trips.begin(), trips.end());
      const double mid = trips.size() % 2 == 1
                             ? trips[trips.size() / 2]
                             : (trips[trips.size() / 2 - 1] + trips[trips.size() / 2]) / 2;
      std::printf("pingpong %zu %.0f %zu\n", bytes, mid, trips.size());
    }
  }
  std::fflush(stdout);
}

/// Ranks 0 and 1 each have their own `value`: rank 0 writes 42 into its copy; after a barrier
/// rank 1 reads its copy (still 0: nothing is shared); then rank 0 sends the value and rank 1
/// reads again (42). Rank 1 prints both.
void show_visibility(const rank_context& c) {
  if (c.size < 2) {
    if (c.rank == 0) std::fprintf(stderr, "parlab: mpi-rank --visibility needs 2 ranks\n");
    return;
  }
  int value = 0;
  if (c.rank == 0) value = 42;
  MPI_Barrier(MPI_COMM_WORLD);  // rank 0's write is done
  const int before = value;
  if (c.rank == 0) {
    MPI_Send(&value, 1, MPI_INT, 1, 9, MPI_COMM_WORLD);
  } else if (c.rank == 1) {
    MPI_Recv(&value, 1, MPI_INT, 0, 9, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    std::printf("visibility %d %d\n", before, value);
    std::fflush(stdout);
  }
}

int connect_to(const std::string& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::snprintf(address.sun_path, sizeof address.sun_path, "%s", path.c_str());
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

int mpi_rank_main(const mpi_rank_options& options) {
  int provided = 0;
  MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SINGLE, &provided);
  rank_context c;
  MPI_Comm_rank(MPI_COMM_WORLD, &c.rank);
  MPI_Comm_size(MPI_COMM_WORLD, &c.size);
  c.schedule = options.schedule;
  try {
    c.clock = clock_of(c.rank);
  } catch (const std::invalid_argument& e) {
    if (c.rank == 0) std::fprintf(stderr, "parlab: mpi-rank: %s\n", e.what());
    MPI_Finalize();
    return 2;
  }
  c.layout = discover_layout(c);
  (void)workloads();  // the workloads' step handlers (touch, download, serial, parallel)
  int code = 0;
  if (c.workers() < 1) {
    if (c.rank == 0) {
      std::fprintf(stderr,
                   "parlab: mpi-rank: the dynamic schedule needs 2 ranks or more (one manages)\n");
    }
    MPI_Finalize();
    return 2;
  }
  if (options.pingpong) {
    ping_pong(c);
    MPI_Finalize();
    return 0;
  }
  if (options.visibility) {
    show_visibility(c);
    MPI_Finalize();
    return 0;
  }
  int parent = -1;
  if (c.rank == 0 && options.connect) {
    parent = connect_to(*options.connect);
    if (parent < 0) {
      std::fprintf(stderr,
                   "parlab: mpi-rank: cannot connect to '%s': %s (rank 0 runs on the first host, "
                   "which must be the one parlab runs on)\n",
                   options.connect->c_str(), std::strerror(errno));
      MPI_Abort(MPI_COMM_WORLD, 3);
    }
  }
  if (parent >= 0) {
    // First where every rank runs, so parlab can name a rank's host even if the job dies in its
    // first batch: the trailer's layout, without bursts or messages.
    writer hello;
    put_trailer(hello, c.layout, {}, {}, {});
    const auto bytes = static_cast<std::uint64_t>(hello.bytes().size());
    if (!detail::write_all(parent, reinterpret_cast<const char*>(&bytes), sizeof bytes) ||
        !detail::write_all(parent, hello.bytes().data(), hello.bytes().size())) {
      std::fprintf(stderr, "parlab: mpi-rank: the parent stopped listening\n");
      MPI_Abort(MPI_COMM_WORLD, 3);
    }
  }
  try {
    for (bool once = true;; once = false) {
      // Rank 0 gets the batch (from the parent, or builds the workload once) and broadcasts it.
      std::vector<char> batch;
      if (c.rank == 0) {
        if (parent >= 0) {
          std::uint64_t bytes = 0;
          if (!detail::read_exactly(parent, &bytes, sizeof bytes)) bytes = 0;
          batch.resize(static_cast<std::size_t>(bytes));
          if (bytes != 0 && !detail::read_exactly(parent, batch.data(), batch.size())) {
            batch.clear();
          }
          if (batch.empty()) {  // the parent is gone or said quit
            writer quit;
            quit.put(kQuit);
            batch = quit.bytes();
          }
        } else {
          writer w;
          if (once) {
            put_tasks(w, make_workload(options.workload));
          } else {
            w.put(kQuit);
          }
          batch = w.bytes();
        }
      }
      const std::int64_t batch_sent = c.clock.now();
      auto size = static_cast<std::uint64_t>(batch.size());
      MPI_Bcast(&size, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD);
      batch.resize(static_cast<std::size_t>(size));
      MPI_Bcast(batch.data(), static_cast<int>(size), MPI_CHAR, 0, MPI_COMM_WORLD);
      reader r(batch);
      const auto count = r.get<std::uint64_t>();
      if (count == kQuit) break;
      std::vector<endpoint> ends;
      if (c.rank == 0) {
        for (int to = 1; to < c.size; ++to) {
          ends.push_back({batch_sent, 0, to, 0, no_id, message_kind::batch, 0});
        }
      } else {
        ends.push_back({c.clock.now(), 0, c.rank, 0, no_id, message_kind::batch, 1});
      }
      const std::vector<task> tasks = get_tasks(r, count);
      const std::int64_t started = monotonic_ns();
      const auto start_burst = clock_burst(c);
      std::vector<char> mine = run_batch(c, tasks, ends);
      const auto end_burst = clock_burst(c);
      // The results leave next (gather): the send begins now.
      if (c.rank != 0)
        ends.push_back({c.clock.now(), c.rank, 0, 0, no_id, message_kind::results, 0});
      writer tail;
      put_endpoints(tail, ends);
      mine.insert(mine.end(), tail.bytes().begin(), tail.bytes().end());
      std::vector<char> all = gather(c, std::move(mine));
      if (c.rank != 0) continue;
      if (parent >= 0) {
        std::vector<endpoint> received;
        const std::int64_t gathered = c.clock.now();
        for (int from = 1; from < c.size; ++from) {
          received.push_back({gathered, from, 0, 0, no_id, message_kind::results, 1});
        }
        writer trailer;
        put_trailer(trailer, c.layout, start_burst, end_burst, received);
        all.insert(all.end(), trailer.bytes().begin(), trailer.bytes().end());
        const auto bytes = static_cast<std::uint64_t>(all.size());
        if (!detail::write_all(parent, reinterpret_cast<const char*>(&bytes), sizeof bytes) ||
            !detail::write_all(parent, all.data(), all.size())) {
          throw std::runtime_error("the parent stopped listening");
        }
        continue;
      }
      // Started by hand: say what ran where.
      std::vector<std::size_t> per_worker(static_cast<std::size_t>(c.workers()));
      std::size_t failed = 0;
      reader blocks(all);
      for (int rank = 0; rank < c.size; ++rank) {
        for (const auto& t : get_block(blocks).tasks) {
          if (t.record.worker < per_worker.size()) ++per_worker[t.record.worker];
          if (!t.record.ok) {
            ++failed;
            std::fprintf(stderr, "parlab: mpi-rank: task %zu failed: %s\n", t.record.task_id,
                         t.record.message.c_str());
          }
        }
      }
      std::string spread;
      for (std::size_t w = 0; w < per_worker.size(); ++w) {
        spread += fmt::format("{}{}", w == 0 ? "" : ", ", per_worker[w]);
      }
      std::printf("mpi (%s): %llu %s tasks on %d worker ranks in %.1f ms; tasks per worker: %s%s\n",
                  std::string(to_string(c.schedule)).c_str(),
                  static_cast<unsigned long long>(count), options.workload.name.c_str(),
                  c.workers(), static_cast<double>(monotonic_ns() - started) / 1e6, spread.c_str(),
                  failed == 0 ? "" : fmt::format("; {} failed", failed).c_str());
      std::fflush(stdout);
      if (failed != 0) code = 1;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "parlab: mpi-rank %d: %s\n", c.rank, e.what());
    MPI_Abort(MPI_COMM_WORLD, 3);
  }
  if (parent >= 0) ::close(parent);
  MPI_Finalize();
  return code;
}

// --- the executor (the parent's side) -------------------------------------------------------

namespace {

constexpr std::chrono::seconds kStartTimeout{60};

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

/// mpirun starting `ranks` of parlab's rank program with `rank_args`: on this host (shared memory
/// between ranks) unless `hosts` or `hostfile` say where (then TCP between hosts too), more ranks
/// than slots allowed, no pinning, ranks that yield while they wait. PARLAB_MPIRUN names another
/// mpirun.
std::vector<std::string> mpirun_command(int ranks, const std::vector<std::string>& rank_args,
                                        const std::string& hosts = {},
                                        const std::string& hostfile = {}) {
  const bool across = !hosts.empty() || !hostfile.empty();
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
  if (!hostfile.empty()) argv.insert(argv.end(), {"--hostfile", hostfile});
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
    if (tasks.empty()) return;
    ensure_job(options);
    writer w;
    put_tasks(w, tasks);
    const auto bytes = static_cast<std::uint64_t>(w.bytes().size());
    std::vector<char> reply;
    const bool sent =
        detail::write_all(conn_, reinterpret_cast<const char*>(&bytes), sizeof bytes) &&
        detail::write_all(conn_, w.bytes().data(), w.bytes().size());
    if (!sent || !receive(reply, options.mpi_timeout)) {
      job_died(result, options.mpi_timeout);
      return;
    }
    reader r(reply);
    std::vector<rank_block> blocks;
    for (int rank = 0; rank < ranks_; ++rank) blocks.push_back(get_block(r));
    const job_trailer trailer = get_trailer(r);
    mpi_cluster cluster = place_and_align(trailer, options.schedule, first_start_);
    for (int rank = 0; rank < ranks_; ++rank) {
      rank_block& b = blocks[static_cast<std::size_t>(rank)];
      mpi_rank& place = cluster.ranks.at(static_cast<std::size_t>(rank));
      const mpi_host& host = cluster.hosts.at(place.host);
      const clock_model clock{host.offset_ns, host.drift, host.at_remote_ns, host.uncertainty_ns};
      const auto to_reference = [&](std::int64_t t) {
        return host.reference ? t : clock.to_reference(t);
      };
      place.usage = b.usage;
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
    const mpi_schedule schedule = options.schedule;
    if (job_.started() && conn_ >= 0 && workers == workers_ && schedule == schedule_ &&
        options.mpi_hosts == hosts_ && options.mpi_hostfile == hostfile_) {
      return;
    }
    stop_job();
    check_mpi_placement(options.mpi_hosts, options.mpi_hostfile);
    workers_ = workers;
    schedule_ = schedule;
    hosts_ = options.mpi_hosts;
    hostfile_ = options.mpi_hostfile;
    ranks_ = static_cast<int>(schedule == mpi_schedule::dynamic ? workers + 1 : workers);
    // In TMPDIR, unless its path is too long for a socket's address (108 bytes): then /tmp.
    std::string pattern = (std::filesystem::temp_directory_path() / "parlab-mpi-XXXXXX").string();
    if (pattern.size() + 8 >= sizeof(sockaddr_un::sun_path)) pattern = "/tmp/parlab-mpi-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
      throw std::system_error(errno, std::generic_category(), "mpi: a directory for the socket");
    }
    dir_ = pattern;
    const std::string path = dir_ + "/rank0";
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
    const std::vector<std::string> env = job_environment();
    output_.clear();
    try {
      job_ = child_process::exec("mpirun", {.reports = true, .commands = false, .errors = true},
                                 argv, env);
      const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
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
          throw std::runtime_error(fmt::format("mpi: rank 0 did not connect within {} s ({})",
                                               kStartTimeout.count(), last_line(output_)));
        }
      }
      // Rank 0 says first where every rank runs.
      std::vector<char> hello;
      if (!receive(hello, kStartTimeout)) {
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
    if (job_.started()) (void)job_.stop(std::chrono::milliseconds(5000));
    first_start_.clear();
    if (!dir_.empty()) {
      std::error_code ignored;
      std::filesystem::remove_all(dir_, ignored);
      dir_.clear();
    }
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
  std::string dir_;
  std::string output_;  // what mpirun printed (the tail)
};

}  // namespace

namespace detail {
std::unique_ptr<executor> make_mpi() { return std::make_unique<mpi_executor>(); }
}  // namespace detail

namespace {

/// Runs a 2-rank job of `mode` (--pingpong, --visibility) to its end; returns what it printed.
/// Throws std::runtime_error naming `what` and mpirun's last line when it failed or printed no
/// line starting with `expect`.
std::string run_two_ranks(const std::string& mode, const char* what, const char* expect) {
  const std::vector<std::string> argv = mpirun_command(2, {mode});
  child_process job = child_process::exec(
      "mpirun", {.reports = true, .commands = false, .errors = true}, argv, job_environment());
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

std::vector<message_cost> measure_mpi_messages() {
  const std::string output = run_two_ranks("--pingpong", "ping-pong", "pingpong ");
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

#endif

}  // namespace parlab
