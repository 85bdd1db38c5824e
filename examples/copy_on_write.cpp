// copy_on_write: a forked child shares its parent's memory until it writes to it.
//
// Claim: fork does not copy memory. Child processes that only read a large array their parent
// filled before forking share its pages: each child's RSS counts the whole array, but PSS, which
// splits every shared page between the processes sharing it, counts it about once for all of
// them, and USS (each child's own pages) stays small; reading takes no page faults. Children
// that write the same array make the kernel copy each page on the first write - one minor page
// fault per page - after which every child owns a private copy: USS grows to the array's size.
// Threads never copy: they write the one array of their process, with no fault.
//
//   parent [array] --fork--> child A  reads  -> pages still shared (RSS A, PSS A/3, USS ~0)
//                  \\-------> child B  writes -> a fault per page, a copy of its own (USS A)
//
// Measured from each child's /proc/self/smaps_rollup at its task's end and its thread's minor
// page faults (getrusage RUSAGE_THREAD), through parlab's processes model.
//
// Run: copy_on_write [--quick]

#include "example.hpp"

#include <parlab/parlab.hpp>

#include <fmt/format.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace parlab::examples {
namespace {

/// The parent's array: one mapping of 4 KiB pages (huge pages would be copied and counted in
/// 2 MiB units), filled before any child is forked.
class parent_array {
 public:
  explicit parent_array(std::size_t bytes) : bytes_(bytes) {
    void* p = ::mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::runtime_error("copy_on_write: cannot map the array");
    (void)::madvise(p, bytes_, MADV_NOHUGEPAGE);
    data_ = static_cast<unsigned char*>(p);
    for (std::size_t i = 0; i < bytes_; i += page())
      data_[i] = static_cast<unsigned char>(i >> 12U);
  }
  ~parent_array() { ::munmap(data_, bytes_); }
  parent_array(const parent_array&) = delete;
  parent_array& operator=(const parent_array&) = delete;

  static std::size_t page() { return static_cast<std::size_t>(::sysconf(_SC_PAGESIZE)); }
  [[nodiscard]] std::size_t pages() const { return bytes_ / page(); }
  [[nodiscard]] std::size_t bytes() const { return bytes_; }

  /// Touches one byte of every page: reading, or writing (which makes a private copy in a child).
  /// Atomic (relaxed): threads touch the same bytes at once, and must not race.
  std::uint64_t touch(task_context& ctx, bool write) const {
    std::uint64_t sum = 0;
    for (std::size_t i = 0; i < bytes_; i += page()) {
      std::atomic_ref<unsigned char> byte(data_[i]);
      if (write) byte.fetch_add(1, std::memory_order_relaxed);
      sum += byte.load(std::memory_order_relaxed);
      if ((i / page()) % 1024 == 0) ctx.chunk_done();
    }
    return sum;
  }

 private:
  std::size_t bytes_;
  unsigned char* data_ = nullptr;
};

struct touched {
  std::int64_t faults_per_task = 0;  // the mean over the tasks
  children_memory memory;            // processes only
};

touched measure(const parent_array& array, const char* model, bool write, std::size_t workers) {
  std::vector<task> tasks;
  for (std::size_t i = 0; i < workers; ++i) {
    tasks.push_back(
        make_task(i, fmt::format("{}#{}", write ? "write" : "read", i),
                  [&array, write](task_context& ctx) { return array.touch(ctx, write); }));
  }
  experiment_spec spec;
  spec.workload.name = write ? "write the parent's array" : "read the parent's array";
  spec.executors = {model};
  spec.workers = workers;
  spec.repeat = 1;
  spec.baseline = false;
  spec.keep_records = true;
  const auto runs = measure_tasks(tasks, spec);
  const measured_run& r = runs.front();
  if (r.any_failed()) throw std::runtime_error(fmt::format("a task failed under {}", model));
  touched out;
  // The run's faults (parlab and the children it reaped, one getrusage per run): the model's own
  // (a child's first touches of its stack) are a few dozen pages, the array's are thousands.
  out.faults_per_task =
      std::max<std::int64_t>(r.minor_faults, 0) / static_cast<std::int64_t>(tasks.size());
  if (r.children) out.memory = *r.children;
  return out;
}

std::string mib(std::int64_t bytes) {
  return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
}

}  // namespace

int copy_on_write(int argc, char** argv) {
  const options opts = parse_options(argc, argv, pictures::none);
  state_claim("copy_on_write",
              "forked children share the parent's pages until they write them: then each write "
              "faults and copies a page");
  const parent_array array(opts.quick ? std::size_t{32} << 20U : std::size_t{128} << 20U);
  constexpr std::size_t kChildren = 2;
  const double a = static_cast<double>(array.bytes());
  const auto pages = static_cast<double>(array.pages());

  const touched readers = measure(array, "processes", false, kChildren);
  const touched writers = measure(array, "processes", true, kChildren);
  const touched threads = measure(array, "threads", true, kChildren);
  if (readers.memory.processes == 0 || writers.memory.processes == 0) {
    return conclude(false, "the kernel gave no smaps_rollup: nothing to measure");
  }
  evidence(fmt::format("the parent's array: {} ({} pages of {} KiB)",
                       mib(static_cast<std::int64_t>(array.bytes())), array.pages(),
                       parent_array::page() / 1024));
  const auto line = [&](const char* who, const touched& t) {
    evidence(
        fmt::format("{}: {} page faults each ({:.0f}% of the pages); children's RSS {}, "
                    "PSS {}, USS {} (summed over {})",
                    who, t.faults_per_task, 100.0 * static_cast<double>(t.faults_per_task) / pages,
                    mib(t.memory.rss_bytes), mib(t.memory.pss_bytes), mib(t.memory.uss_bytes),
                    t.memory.processes));
  };
  line("2 children reading it", readers);
  line("2 children writing it", writers);
  evidence(fmt::format(
      "2 threads writing it: {} page faults each ({:.0f}% of the pages): one "
      "array, no copy",
      threads.faults_per_task, 100.0 * static_cast<double>(threads.faults_per_task) / pages));

  // Readers: RSS counts the array in each child, PSS about once in all, no child owns it, and
  // no page was faulted in. Writers: a fault per page, a private copy each. Threads: no fault.
  const auto per = [](std::int64_t bytes) { return static_cast<double>(bytes); };
  const bool shared = per(readers.memory.rss_bytes) >= 0.9 * kChildren * a &&
                      per(readers.memory.pss_bytes) <= 0.75 * kChildren * a &&
                      per(readers.memory.uss_bytes) <= 0.1 * kChildren * a &&
                      static_cast<double>(readers.faults_per_task) <= 0.05 * pages;
  const bool copied = static_cast<double>(writers.faults_per_task) >= 0.9 * pages &&
                      per(writers.memory.uss_bytes) >= 0.9 * kChildren * a;
  const bool no_copy = static_cast<double>(threads.faults_per_task) <= 0.05 * pages;
  return conclude(shared && copied && no_copy,
                  !shared   ? "the reading children did not share the parent's pages"
                  : !copied ? "the writing children did not fault and copy every page"
                            : "threads writing the array took page faults");
}

}  // namespace parlab::examples
