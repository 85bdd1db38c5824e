// mem: memory-bound tasks. Each streams eight passes of a STREAM-style triad over three arrays of
// `size` MiB in all - more than the caches hold - so the memory bus, not the cores, sets the pace:
// adding workers helps only until the bus is full. The triad is the touch step's handler, which
// this workload installs in the interpreter's table.

#include "core/splitmix.hpp"
#include "workloads/generators.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <new>

namespace parlab::detail {
namespace {

/// Anonymous memory for the triad, asking for transparent huge pages: on a VM a page fault per
/// 4 KiB costs more than streaming the page, and the lesson is the memory bus, not the faults.
class stream_arrays {
 public:
  explicit stream_arrays(std::size_t bytes) : bytes_(std::max<std::size_t>(bytes, 1)) {
    base_ = ::mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base_ == MAP_FAILED) throw std::bad_alloc();
    (void)::madvise(base_, bytes_, MADV_HUGEPAGE);  // a hint; fine if refused
  }
  ~stream_arrays() { ::munmap(base_, bytes_); }
  stream_arrays(const stream_arrays&) = delete;
  stream_arrays& operator=(const stream_arrays&) = delete;
  [[nodiscard]] double* doubles() const noexcept { return static_cast<double*>(base_); }

 private:
  std::size_t bytes_;
  void* base_;
};

/// The touch step: eight passes of a[i] = b[i] + 3 * c[i] over three arrays of doubles of
/// `s.amount` bytes in all (initialised from the seed), in chunks of 64 KiB with ctx.chunk_done()
/// after each. Returns a checksum of a.
std::uint64_t stream_triad(task_context& ctx, const step& s, std::uint64_t seed) {
  const auto n = static_cast<std::size_t>(s.amount / (3 * sizeof(double)));
  const stream_arrays arrays(3 * n * sizeof(double));
  double* a = arrays.doubles();
  double* b = a + n;
  double* c = b + n;
  const auto offset = static_cast<double>(splitmix64(seed) % 1024);  // the seed picks the values
  for (std::size_t i = 0; i < n; ++i) {
    a[i] = 0.0;
    b[i] = static_cast<double>(i % 4096) + offset;
    c[i] = static_cast<double>(i % 1000);
  }
  constexpr std::size_t kChunk = 64 * 1024 / (3 * sizeof(double));  // elements per 64 KiB
  constexpr int kPasses = 8;
  for (int pass = 0; pass < kPasses; ++pass) {
    for (std::size_t start = 0; start < n; start += kChunk) {
      const std::size_t end = std::min(n, start + kChunk);
      for (std::size_t i = start; i < end; ++i) a[i] = b[i] + 3.0 * c[i];
      ctx.chunk_done();
    }
  }
  std::uint64_t sum = 0;
  for (std::size_t i = 0; i < n; i += 512) sum = splitmix64(sum ^ static_cast<std::uint64_t>(a[i]));
  return sum ^ n;
}

}  // namespace

void install_touch_step() { register_step_handler(step_kind::touch, stream_triad, false); }

std::vector<task> make_mem_tasks(std::size_t tasks, std::uint64_t size, std::uint64_t seed) {
  return make_batch("mem", tasks, seed, {{step_kind::touch, size << 20U}});
}

}  // namespace parlab::detail
