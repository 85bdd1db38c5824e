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
#include <parlab/interrupt.hpp>
#include <parlab/kernel_figures.hpp>

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

#if !PARLAB_HAVE_MPI

bool mpi_built() noexcept { return false; }

std::vector<message_cost> measure_mpi_messages() {
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

// One task's outcome as ranks send it: the record, then its events.
void put_record(writer& w, std::size_t index, const task_record& rec,
                std::span<const event> events) {
  w.put(static_cast<std::uint64_t>(index));
  w.put(static_cast<std::uint64_t>(rec.task_id));
  w.put(static_cast<std::uint64_t>(rec.worker));
  w.put(rec.pid);
  w.put(rec.tid);
  w.put(rec.start_ns);
  w.put(rec.end_ns);
  w.put(rec.cpu_ns);
  w.put(static_cast<std::uint8_t>(rec.ok));
  w.put(static_cast<std::uint32_t>(rec.failure));
  w.put(static_cast<std::int32_t>(rec.failure_code));
  w.put(rec.result);
  w.put_string(rec.message);
  w.put(static_cast<std::uint32_t>(events.size()));
  for (const auto& e : events) w.put(e);
}

/// One task's outcome as put_record wrote it.
struct ran_task {
  std::size_t index = 0;  ///< in the batch
  task_record record;
  std::vector<event> events;
};

/// One rank's block of a reply, as run_batch wrote it (put_usage, then put_record per task).
struct rank_block {
  kernel_figures usage;
  std::uint64_t dropped = 0;  ///< events its lane could not keep
  std::vector<ran_task> tasks;
};

rank_block get_block(reader& r) {
  rank_block b;
  b.usage.user_seconds = r.get<double>();
  b.usage.system_seconds = r.get<double>();
  b.usage.voluntary_switches = r.get<std::int64_t>();
  b.usage.involuntary_switches = r.get<std::int64_t>();
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
  return b;
}

// --- the ranks -------------------------------------------------------------------------------

constexpr int kAsk = 1;
constexpr int kAnswer = 2;

struct rank_context {
  int rank = 0;
  int size = 1;
  mpi_schedule schedule = mpi_schedule::dynamic;
  [[nodiscard]] int workers() const { return schedule == mpi_schedule::dynamic ? size - 1 : size; }
  /// This rank's worker slot, or -1 for the manager.
  [[nodiscard]] int worker() const { return schedule == mpi_schedule::dynamic ? rank - 1 : rank; }
};

/// This rank's CPU time and context switches so far.
kernel_figures own_usage() { return rusage_snapshot::now().self; }

/// Each rank's block: how much CPU it used for the batch, the events its lane dropped, then its
/// records.
void put_usage(writer& w, const kernel_figures& before, std::uint64_t dropped) {
  const kernel_figures now = own_usage();
  w.put(now.user_seconds - before.user_seconds);
  w.put(now.system_seconds - before.system_seconds);
  w.put(now.voluntary_switches - before.voluntary_switches);
  w.put(now.involuntary_switches - before.involuntary_switches);
  w.put(dropped);
}

/// Runs the batch on this rank; returns what it ran, serialized.
std::vector<char> run_batch(const rank_context& c, const std::vector<task>& tasks) {
  writer out;
  const kernel_figures before = own_usage();
  const int me = c.worker();
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
      MPI_Recv(&unused, 1, MPI_INT, status.MPI_SOURCE, kAsk, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      std::int64_t answer = next < static_cast<std::int64_t>(tasks.size()) ? next++ : -1;
      if (answer < 0) ++stopped;
      MPI_Send(&answer, 1, MPI_INT64_T, status.MPI_SOURCE, kAnswer, MPI_COMM_WORLD);
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
      MPI_Send(&ask, 1, MPI_INT, 0, kAsk, MPI_COMM_WORLD);
      MPI_Recv(&answer, 1, MPI_INT64_T, 0, kAnswer, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
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
    put_record(out, index, rec, by_task[static_cast<std::uint32_t>(rec.task_id)]);
  }
  return out.bytes();
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
  int parent = -1;
  if (c.rank == 0 && options.connect) {
    parent = connect_to(*options.connect);
    if (parent < 0) {
      std::fprintf(stderr, "parlab: mpi-rank: cannot connect to '%s': %s\n",
                   options.connect->c_str(), std::strerror(errno));
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
      auto size = static_cast<std::uint64_t>(batch.size());
      MPI_Bcast(&size, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD);
      batch.resize(static_cast<std::size_t>(size));
      MPI_Bcast(batch.data(), static_cast<int>(size), MPI_CHAR, 0, MPI_COMM_WORLD);
      reader r(batch);
      const auto count = r.get<std::uint64_t>();
      if (count == kQuit) break;
      const std::vector<task> tasks = get_tasks(r, count);
      const std::int64_t started = monotonic_ns();
      const std::vector<char> all = gather(c, run_batch(c, tasks));
      if (c.rank != 0) continue;
      if (parent >= 0) {
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
void drain(int fd, std::string& into) {
  char buffer[4096];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 0) <= 0 || (p.revents & (POLLIN | POLLHUP)) == 0) return;
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n <= 0) return;
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

/// mpirun starting `ranks` of parlab's rank program with `rank_args`: one host (shared memory
/// between ranks), more ranks than cores allowed, no pinning, ranks that yield while they wait.
/// PARLAB_MPIRUN names another mpirun.
std::vector<std::string> mpirun_command(int ranks, const std::vector<std::string>& rank_args) {
  std::vector<std::string> argv = {"/usr/bin/mpirun",
                                   "--oversubscribe",
                                   "--bind-to",
                                   "none",
                                   "-np",
                                   std::to_string(ranks),
                                   "--mca",
                                   "btl",
                                   "self,vader",
                                   "--mca",
                                   "mpi_yield_when_idle",
                                   "1",
                                   rank_program(),
                                   "mpi-rank"};
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
    ensure_job(options.workers, options.schedule);
    writer w;
    put_tasks(w, tasks);
    const auto bytes = static_cast<std::uint64_t>(w.bytes().size());
    std::vector<char> reply;
    const bool sent =
        detail::write_all(conn_, reinterpret_cast<const char*>(&bytes), sizeof bytes) &&
        detail::write_all(conn_, w.bytes().data(), w.bytes().size());
    if (!sent || !receive(reply)) {
      job_died(result);
      return;
    }
    reader r(reply);
    for (int rank = 0; rank < ranks_; ++rank) {
      rank_block b = get_block(r);
      result.outside.user_seconds += b.usage.user_seconds;
      result.outside.system_seconds += b.usage.system_seconds;
      result.outside.voluntary_switches += b.usage.voluntary_switches;
      result.outside.involuntary_switches += b.usage.involuntary_switches;
      if (b.dropped != 0 && !b.tasks.empty()) {  // its lane overflowed: the timeline is partial
        if (event_lane* l = lane(std::min(b.tasks.front().record.worker, options.workers - 1))) {
          l->count_dropped(b.dropped);
        }
      }
      for (auto& t : b.tasks) {
        if (event_lane* l = t.record.worker < options.workers ? lane(t.record.worker) : nullptr) {
          for (const auto& ev : t.events) l->add(ev);
        }
        if (t.index < result.records.size()) result.records[t.index] = std::move(t.record);
      }
    }
  }

 private:
  /// Reads one reply, watching mpirun's output and the interrupt pipe meanwhile. False when the
  /// job ended first.
  bool receive(std::vector<char>& reply) {
    std::uint64_t bytes = 0;
    if (!read_watching(reinterpret_cast<char*>(&bytes), sizeof bytes)) return false;
    reply.resize(static_cast<std::size_t>(bytes));
    return read_watching(reply.data(), reply.size());
  }

  bool read_watching(char* into, std::size_t size) {
    std::size_t got = 0;
    while (got < size) {
      std::vector<pollfd> fds = {{conn_, POLLIN, 0}, {job_.reports_fd(), POLLIN, 0}};
      (void)detail::poll_or_interrupt(fds, -1);
      if ((fds[1].revents & (POLLIN | POLLHUP)) != 0) drain(job_.reports_fd(), output_);
      if ((fds[0].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      const ssize_t n = ::read(conn_, into + got, size - got);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      got += static_cast<std::size_t>(n);
    }
    return true;
  }

  void job_died(run_result& result) {
    ::close(conn_);
    conn_ = -1;
    const child_exit how = job_.stop(std::chrono::milliseconds(2000));
    drain(job_.reports_fd(), output_);
    const std::string why =
        fmt::format("the MPI job ended (mpirun {}: {})", how.describe(), last_line(output_));
    for (auto& rec : result.records) {
      if (rec.ok || rec.failure != failure_kind::never_ran) continue;
      rec.failure = failure_kind::lost_with_run;
      rec.message = why;
    }
    stop_job();
  }

  void ensure_job(std::size_t workers, mpi_schedule schedule) {
    if (job_.started() && conn_ >= 0 && workers == workers_ && schedule == schedule_) return;
    stop_job();
    workers_ = workers;
    schedule_ = schedule;
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
        mpirun_command(ranks_, {"--connect", path, "--schedule", std::string(to_string(schedule))});
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
          const std::size_t before = output_.size();
          drain(job_.reports_fd(), output_);
          if (output_.size() == before && (fds[1].revents & POLLHUP) != 0) {
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
    } catch (...) {
      ::close(listener);
      stop_job();
      throw;
    }
    ::close(listener);
  }

  void stop_job() noexcept {
    if (conn_ >= 0) {
      ::close(conn_);  // rank 0 reads the end: every rank finalizes, mpirun ends
      conn_ = -1;
      // Give the job a moment to end by itself (a signal would make Open MPI abort the ranks,
      // which takes seconds): mpirun's output closes when it exits.
      // Interrupted, the ranks are mid-batch: no waiting, mpirun is told to end them at once.
      const auto until =
          std::chrono::steady_clock::now() +
          (interrupt_requested() ? std::chrono::seconds(0) : std::chrono::seconds(5));
      while (job_.started() && job_.reports_fd() >= 0 && std::chrono::steady_clock::now() < until) {
        pollfd p{job_.reports_fd(), POLLIN, 0};
        if (::poll(&p, 1, 50) > 0) {
          char buffer[4096];
          if (::read(job_.reports_fd(), buffer, sizeof buffer) <= 0) break;  // closed: it ended
        }
      }
    }
    if (job_.started()) (void)job_.stop(std::chrono::milliseconds(5000));
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
  std::string dir_;
  std::string output_;  // what mpirun printed (the tail)
};

}  // namespace

namespace detail {
std::unique_ptr<executor> make_mpi() { return std::make_unique<mpi_executor>(); }
}  // namespace detail

std::vector<message_cost> measure_mpi_messages() {
  const std::vector<std::string> argv = mpirun_command(2, {"--pingpong"});
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
  if (!how.exited() || how.exit_status() != 0 || out.empty()) {
    throw std::runtime_error(fmt::format("mpi: the ping-pong job failed (mpirun {}: {})",
                                         how.describe(), last_line(output)));
  }
  return out;
}

#endif

}  // namespace parlab
