#pragma once
// Internal: the mpi model's wire format, shared by the rank program (executors/mpi_rank.cpp) and
// the executor (executors/mpi.cpp): bytes in host order (every rank runs on this host's
// architecture), the tasks of a batch (their step programs), each rank's block of records and
// events, the ends of the messages it saw, and rank 0's trailer (hosts, clock bursts).

#include <parlab/clock_alignment.hpp>
#include <parlab/executor.hpp>
#include <parlab/kernel_figures.hpp>
#include <parlab/task.hpp>
#include <parlab/timeline.hpp>

#include <cstdint>
#include <cstring>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace parlab::mpi_wire {

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
enum class message_kind : std::uint8_t { batch, ask, task, results, data };

inline std::string_view kind_name(message_kind k) {
  switch (k) {
    case message_kind::batch:
      return "batch";
    case message_kind::ask:
      return "ask";
    case message_kind::task:
      return "task";
    case message_kind::results:
      return "results";
    case message_kind::data:
      return "data";
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

inline void put_endpoints(writer& w, const std::vector<endpoint>& ends) {
  w.put(static_cast<std::uint64_t>(ends.size()));
  for (const auto& e : ends) w.put(e);
}

inline std::vector<endpoint> get_endpoints(reader& r) {
  const auto n = r.get<std::uint64_t>();
  std::vector<endpoint> out;
  for (std::uint64_t i = 0; i < n; ++i) out.push_back(r.get<endpoint>());
  return out;
}

/// Where the ranks run: every rank's host (in order of first appearance, rank 0's first) and
/// usable cores. A host's leader (its lowest rank) exchanges the clock bursts with rank 0.
struct job_layout {
  std::vector<std::string> hosts;
  std::vector<std::uint32_t> cores;         ///< per host
  std::vector<std::vector<int> > ranks_of;  ///< per host, ascending
  [[nodiscard]] int leader(std::size_t host) const { return ranks_of[host].front(); }
};

inline void put_tasks(writer& w, std::span<const task> tasks) {
  w.put(static_cast<std::uint64_t>(tasks.size()));
  for (const auto& t : tasks) {
    const auto* steps = t.steps();
    w.put(static_cast<std::uint64_t>(t.id));
    w.put(t.seed);
    w.put_string(t.label);
    w.put(static_cast<std::uint32_t>(steps->size()));
    for (const auto& s : *steps) w.put(s);
    w.put(static_cast<std::uint32_t>(t.after.size()));  // a graph's edges: rank 0 orders by them
    for (const std::size_t p : t.after) w.put(static_cast<std::uint64_t>(p));
    w.put(static_cast<std::uint64_t>(t.output_bytes));  // what it hands its successors
  }
}

inline std::vector<task> get_tasks(reader& r, std::uint64_t count) {
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
    const auto preds = r.get<std::uint32_t>();
    for (std::uint32_t k = 0; k < preds; ++k) {
      const auto p = r.get<std::uint64_t>();
      if (p >= count) throw std::runtime_error("mpi: a task waits for a task outside its batch");
      out.back().after.push_back(static_cast<std::size_t>(p));
    }
    out.back().output_bytes = static_cast<std::size_t>(r.get<std::uint64_t>());
  }
  return out;
}

// One task's outcome as ranks send it: the record, then its events, times on the rank's clock
// (`clock`: the identity but under the test hook, see rank_clock).
template <class Clock>
inline void put_record(writer& w, std::size_t index, const task_record& rec,
                       std::span<const event> events, const Clock& clock) {
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
  edge_traffic edge_bytes;    ///< a graph's data: what rank 0 received and sent (others: 0)
  std::vector<ran_task> tasks;
  std::vector<endpoint> ends;
};

inline rank_block get_block(reader& r) {
  rank_block b;
  b.usage.user_seconds = r.get<double>();
  b.usage.system_seconds = r.get<double>();
  b.usage.voluntary_switches = r.get<std::int64_t>();
  b.usage.involuntary_switches = r.get<std::int64_t>();
  b.usage.minor_faults = r.get<std::int64_t>();
  b.dropped = r.get<std::uint64_t>();
  b.edge_bytes = r.get<edge_traffic>();
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

/// What rank 0 adds after the blocks: the hosts, the clock bursts, and its own receive ends of
/// the results.
inline void put_trailer(writer& w, const job_layout& l,
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

inline job_trailer get_trailer(reader& r) {
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

}  // namespace parlab::mpi_wire
