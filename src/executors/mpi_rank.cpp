// The mpi model's rank program (`parlab mpi-rank`): every rank of the job runs it. Rank 0 talks
// to parlab through its local socket (or runs the workload itself when started by hand), the
// ranks agree on the layout of hosts and clocks, run each batch under the schedule (dynamic: rank
// 0 hands out tasks; static: rank r takes r, r + W, ...), and rank 0 gathers every record,
// timeline event and message end and sends them back (executors/mpi_wire.hpp).

#include <parlab/mpi.hpp>
#include <parlab/task_graph.hpp>

#include "core/child_process.hpp"
#include "executors/dependencies.hpp"
#include "executors/edge_data.hpp"
#include "executors/mpi_wire.hpp"
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
#include <optional>
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

#if PARLAB_HAVE_MPI

namespace {

using namespace mpi_wire;  // NOLINT(google-build-using-namespace): this file writes the format

// --- the ranks -------------------------------------------------------------------------------

/// ping-pongs per burst: the shortest round trip of these gives the offset
constexpr int kBurst = 15;
constexpr int kPing = 3;
constexpr int kPong = 4;

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

constexpr int kAsk = 1;
constexpr int kAnswer = 2;
constexpr int kOutput = 5;  ///< a finished task's output: its worker to rank 0
constexpr int kInput = 6;  ///< a predecessor's output: rank 0 to the worker that runs its successor

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
/// its lane dropped, the graph's data it handled (rank 0), then its records.
void put_usage(writer& w, const kernel_figures& before, std::uint64_t dropped,
               const edge_traffic& data) {
  const kernel_figures now = own_usage();
  w.put(now.user_seconds - before.user_seconds);
  w.put(now.system_seconds - before.system_seconds);
  w.put(now.voluntary_switches - before.voluntary_switches);
  w.put(now.involuntary_switches - before.involuntary_switches);
  w.put(now.minor_faults - before.minor_faults);
  w.put(dropped);
  w.put(data);
}

/// Runs the batch on this rank; returns what it ran, serialized. A graph handing data along its
/// edges: rank 0 keeps every output (a worker sends its task's output with its next request) and
/// sends a task's inputs after the task's number, as the process pool's parent does.
std::vector<char> run_batch(const rank_context& c, const std::vector<task>& tasks,
                            std::vector<endpoint>& ends) {
  writer out;
  const kernel_figures before = own_usage();
  const int me = c.worker();
  detail::edge_data data(tasks);
  std::uint32_t asks = 0;  // this worker's requests so far, and the answers to them
  std::vector<std::uint32_t> answered(static_cast<std::size_t>(c.size), 0);  // the manager's
  if (me < 0) {
    // The manager: answer requests until every worker was told to stop. Polls with short
    // sleeps instead of a blocking receive, which would spin on a core. A request says which
    // task the worker just finished (-1: none yet) and whether it succeeded: a graph's task is
    // handed out once its predecessors ended, and a worker asking while none is ready waits for
    // its answer until one is (or every task was handed out).
    detail::dispatch_order order(tasks, has_dependencies(tasks));
    std::vector<task_record> skipped(tasks.size());  // blocked tasks: the parent says why
    std::vector<int> parked;                         // workers waiting for a ready task
    std::vector<std::uint32_t> data_sent(static_cast<std::size_t>(c.size), 0);
    std::vector<std::uint32_t> data_received(static_cast<std::size_t>(c.size), 0);
    int stopped = 0;
    const auto answer_to = [&](int from) {
      const std::optional<std::size_t> next = order.next(skipped);
      if (!next && !order.exhausted()) {
        parked.push_back(from);
        return;
      }
      const std::int64_t answer = next ? static_cast<std::int64_t>(*next) : -1;
      if (answer < 0) ++stopped;
      std::uint32_t& seq = answered[static_cast<std::size_t>(from)];
      const std::uint32_t id = answer < 0 ? no_id : static_cast<std::uint32_t>(tasks[*next].id);
      ends.push_back({c.clock.now(), 0, from, seq++, id, message_kind::task, 0});
      MPI_Send(&answer, 1, MPI_INT64_T, from, kAnswer, MPI_COMM_WORLD);
      if (!next || !data.active()) return;
      for (const std::size_t p : tasks[*next].after) {  // its inputs, in the order of `after`
        const std::string_view bytes = data.output(p);
        ends.push_back({c.clock.now(), 0, from, data_sent[static_cast<std::size_t>(from)]++, id,
                        message_kind::data, 0});
        MPI_Send(bytes.data(), static_cast<int>(bytes.size()), MPI_CHAR, from, kInput,
                 MPI_COMM_WORLD);
        data.count_copied(bytes.size());
      }
    };
    while (stopped < c.workers()) {
      int flag = 0;
      MPI_Status status;
      MPI_Iprobe(MPI_ANY_SOURCE, kAsk, MPI_COMM_WORLD, &flag, &status);
      if (flag == 0) {
        timespec pause{0, 20'000};
        ::nanosleep(&pause, nullptr);
        continue;
      }
      // The task it finished, 1 when that one succeeded, and the bytes of its output to follow.
      std::int64_t ask[3] = {-1, 0, 0};
      const int from = status.MPI_SOURCE;
      MPI_Recv(ask, 3, MPI_INT64_T, from, kAsk, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      ends.push_back({c.clock.now(), from, 0, answered[static_cast<std::size_t>(from)], no_id,
                      message_kind::ask, 1});
      if (ask[0] >= 0 && static_cast<std::size_t>(ask[0]) < tasks.size()) {
        const task& finished = tasks[static_cast<std::size_t>(ask[0])];
        if (data.active()) {
          std::string output(static_cast<std::size_t>(std::max<std::int64_t>(ask[2], 0)), '\0');
          if (!output.empty()) {
            MPI_Recv(output.data(), static_cast<int>(output.size()), MPI_CHAR, from, kOutput,
                     MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            ends.push_back({c.clock.now(), from, 0, data_received[static_cast<std::size_t>(from)]++,
                            static_cast<std::uint32_t>(finished.id), message_kind::data, 1});
          }
          data.child_finished(finished, std::move(output));  // kept before successors go out
        }
        order.finished(static_cast<std::size_t>(ask[0]), ask[1] != 0);
        // What it released goes first to the workers that have been waiting longest.
        std::vector<int> waiting;
        waiting.swap(parked);
        for (const int w : waiting) answer_to(w);
      }
      answer_to(from);
    }
    put_usage(out, before, 0, data.traffic());
    out.put(std::uint64_t{0});
    return out.bytes();
  }
  if (data.active()) data.enter_child();  // rank 0 counts the readers
  event_lane lane(static_cast<std::size_t>(me), default_lane_capacity);
  detail::no_hooks hooks;
  std::vector<std::pair<std::size_t, task_record> > done;
  const auto run_one = [&](std::size_t i) {
    task_record rec;
    rec.task_id = tasks[i].id;
    detail::run_task(tasks[i], static_cast<std::size_t>(me), hooks, rec, &lane,
                     data.active() ? &data : nullptr);
    done.emplace_back(i, std::move(rec));
  };
  if (c.schedule == mpi_schedule::dynamic) {
    // The task this worker finished last (-1: none), 1 when it succeeded, its output's bytes.
    std::int64_t ask[3] = {-1, 0, 0};
    std::uint32_t data_sent = 0;
    std::uint32_t data_received = 0;
    for (;;) {
      std::int64_t answer = -1;
      ends.push_back({c.clock.now(), c.rank, 0, asks, no_id, message_kind::ask, 0});
      MPI_Send(ask, 3, MPI_INT64_T, 0, kAsk, MPI_COMM_WORLD);
      if (ask[0] >= 0 && data.active()) {
        const task& last = tasks[static_cast<std::size_t>(ask[0])];
        if (ask[2] > 0) {
          const std::string_view output = data.own_output(last);
          ends.push_back({c.clock.now(), c.rank, 0, data_sent++,
                          static_cast<std::uint32_t>(last.id), message_kind::data, 0});
          MPI_Send(output.data(), static_cast<int>(output.size()), MPI_CHAR, 0, kOutput,
                   MPI_COMM_WORLD);
        }
        data.forget(last);  // the worker keeps nothing between tasks
      }
      MPI_Recv(&answer, 1, MPI_INT64_T, 0, kAnswer, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      const std::uint32_t id =
          answer < 0 ? no_id
                     : static_cast<std::uint32_t>(tasks[static_cast<std::size_t>(answer)].id);
      ends.push_back({c.clock.now(), 0, c.rank, asks++, id, message_kind::task, 1});
      if (answer < 0) break;
      const task& next = tasks[static_cast<std::size_t>(answer)];
      if (data.active()) {
        for (const std::size_t p : next.after) {  // its inputs, in the order of `after`
          MPI_Status status;
          MPI_Probe(0, kInput, MPI_COMM_WORLD, &status);
          int n = 0;
          MPI_Get_count(&status, MPI_CHAR, &n);
          std::string bytes(static_cast<std::size_t>(n), '\0');
          MPI_Recv(bytes.data(), n, MPI_CHAR, 0, kInput, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
          ends.push_back({c.clock.now(), 0, c.rank, data_received++, id, message_kind::data, 1});
          data.put(p, std::move(bytes));
        }
      }
      run_one(static_cast<std::size_t>(answer));
      ask[0] = answer;
      ask[1] = done.back().second.ok ? 1 : 0;
      ask[2] = static_cast<std::int64_t>(data.own_output(next).size());
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
  put_usage(out, before, lane.dropped(), {});
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
  std::string name = host_name();
  if (name.empty()) name = "unknown";
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
  // Where the two ranks run: one host (shared memory) or two (the network).
  if (c.rank == 1) {
    std::string name = host_name();
    if (name.empty()) name = "unknown";
    MPI_Send(name.data(), static_cast<int>(name.size()), MPI_CHAR, 0, 6, MPI_COMM_WORLD);
  } else if (c.rank == 0) {
    MPI_Status status;
    MPI_Probe(1, 6, MPI_COMM_WORLD, &status);
    int count = 0;
    MPI_Get_count(&status, MPI_CHAR, &count);
    std::string other(static_cast<std::size_t>(count), '\0');
    MPI_Recv(other.data(), count, MPI_CHAR, 1, 6, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    const std::string mine = host_name();
    std::printf("pingpong-hosts %s %s\n", mine.empty() ? "unknown" : mine.c_str(), other.c_str());
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

#endif

}  // namespace parlab
