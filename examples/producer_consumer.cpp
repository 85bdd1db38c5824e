// producer_consumer: a bounded queue between two threads, then between two processes, and
// back-pressure.
//
// Claim: when a fast producer feeds a slow consumer through a queue of fixed capacity, the queue
// never holds more than its capacity; once it is full the producer blocks until the consumer
// takes an item, so the producer is held to the consumer's pace (back-pressure) instead of
// piling up memory; and every item arrives exactly once, in order.
//
//   producer  |p p p p p p p p|....blocked....|p|...blocked...|p|...     (capacity 8)
//   consumer  |  c    c    c    c    c    c    c    c    c    c   ...     (2 ms per item)
//
// Between threads the queue is a std::deque under a std::mutex and two
// std::condition_variables (not full, not empty). Between processes - the classic
// multiprocessing producer and consumer - it is a pipe whose buffer holds 8 items (F_SETPIPE_SZ,
// one page): write() blocks while it is full, the kernel's own back-pressure.
//
// Run: producer_consumer [--quick]

#include "example.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <new>
#include <optional>
#include <stdexcept>
#include <thread>

namespace parlab::examples {
namespace {

using clock_type = std::chrono::steady_clock;
using seconds = std::chrono::duration<double>;

/// A FIFO of at most `capacity` items. push blocks while full; pop blocks while empty and
/// returns nullopt once the queue is closed and drained. Thread-safe.
class bounded_queue {
 public:
  explicit bounded_queue(std::size_t capacity) : capacity_(capacity) {}

  /// Blocks while the queue is full; returns the time spent blocked.
  seconds push(int item) {
    std::unique_lock<std::mutex> lock(mutex_);
    const auto t0 = clock_type::now();
    not_full_.wait(lock, [&] { return items_.size() < capacity_; });
    const seconds blocked = clock_type::now() - t0;
    items_.push_back(item);
    peak_ = std::max(peak_, items_.size());
    not_empty_.notify_one();
    return blocked;
  }

  std::optional<int> pop() {
    std::unique_lock<std::mutex> lock(mutex_);
    not_empty_.wait(lock, [&] { return !items_.empty() || closed_; });
    if (items_.empty()) return std::nullopt;
    const int item = items_.front();
    items_.pop_front();
    not_full_.notify_one();
    return item;
  }

  void close() {
    const std::lock_guard<std::mutex> lock(mutex_);
    closed_ = true;
    not_empty_.notify_all();
  }

  [[nodiscard]] std::size_t peak() const {
    const std::lock_guard<std::mutex> lock(mutex_);
    return peak_;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable not_full_, not_empty_;
  std::deque<int> items_;
  std::size_t capacity_;
  std::size_t peak_ = 0;
  bool closed_ = false;
};

/// What the producer process measured, in a shared page (it has its own memory otherwise).
struct producer_figures {
  double total_s = 0;
  double blocked_s = 0;
};

/// One item on the pipe: its number and a payload, 512 bytes (a pipe write this small is atomic).
struct pipe_item {
  int number = 0;
  std::array<char, 508> payload{};
};
static_assert(sizeof(pipe_item) == 512);

struct process_outcome {
  std::size_t capacity = 0;  // items the pipe holds
  std::size_t peak = 0;      // most items waiting in it, seen before each read
  int received = 0;
  bool in_order = true;
  producer_figures producer;
  double consumer_s = 0;
};

/// A producer process writes `items` items as fast as it can into a pipe of one page; this
/// process consumes them, `work` per item.
process_outcome between_processes(int items, std::chrono::milliseconds work) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  const long page = ::sysconf(_SC_PAGESIZE);
  const int size = ::fcntl(fds[1], F_SETPIPE_SZ, static_cast<int>(page));  // the smallest buffer
  if (size <= 0) throw std::runtime_error("F_SETPIPE_SZ failed");
  void* shared = ::mmap(nullptr, sizeof(producer_figures), PROT_READ | PROT_WRITE,
                        MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (shared == MAP_FAILED) throw std::runtime_error("mmap failed");
  auto* figures = new (shared) producer_figures{};
  const pid_t child = ::fork();
  if (child < 0) throw std::runtime_error("fork failed");
  if (child == 0) {  // the producer
    ::close(fds[0]);
    const auto t0 = clock_type::now();
    seconds blocked{0};
    for (int i = 0; i < items; ++i) {
      pipe_item item;
      item.number = i;
      const auto before = clock_type::now();
      if (::write(fds[1], &item, sizeof item) != static_cast<ssize_t>(sizeof item)) ::_exit(1);
      blocked += clock_type::now() - before;  // a write returns at once unless the pipe is full
    }
    figures->blocked_s = blocked.count();
    figures->total_s = seconds(clock_type::now() - t0).count();
    ::close(fds[1]);
    ::_exit(0);
  }
  ::close(fds[1]);
  process_outcome out;
  out.capacity = static_cast<std::size_t>(size) / sizeof(pipe_item);
  const auto t0 = clock_type::now();
  while (true) {
    int waiting = 0;
    if (::ioctl(fds[0], FIONREAD, &waiting) == 0) {
      out.peak = std::max(out.peak, static_cast<std::size_t>(waiting) / sizeof(pipe_item));
    }
    pipe_item item;
    std::size_t got = 0;
    while (got < sizeof item) {
      const ssize_t n = ::read(fds[0], reinterpret_cast<char*>(&item) + got, sizeof item - got);
      if (n <= 0) break;
      got += static_cast<std::size_t>(n);
    }
    if (got < sizeof item) break;  // end of input: the producer is done
    out.in_order = out.in_order && item.number == out.received;
    ++out.received;
    std::this_thread::sleep_for(work);  // the slow part: handling the item
  }
  out.consumer_s = seconds(clock_type::now() - t0).count();
  ::close(fds[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  out.producer = *figures;
  ::munmap(shared, sizeof(producer_figures));
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw std::runtime_error("the producer process did not finish");
  }
  return out;
}

}  // namespace

int producer_consumer(int argc, char** argv) {
  const options opts = parse_options(argc, argv, pictures::none);
  state_claim("producer_consumer",
              "a bounded queue - between threads, or a pipe between processes - holds a fast "
              "producer to a slow consumer's pace (back-pressure), never exceeds its capacity, "
              "and loses nothing");
  const int items = opts.quick ? 60 : 200;
  constexpr std::size_t capacity = 8;
  constexpr auto work_per_item = std::chrono::milliseconds(2);

  bounded_queue queue(capacity);
  seconds producer_blocked{0};
  seconds producer_total{0};
  std::thread producer([&] {
    const auto t0 = clock_type::now();
    for (int i = 0; i < items; ++i) producer_blocked += queue.push(i);  // producing is instant
    producer_total = clock_type::now() - t0;
    queue.close();
  });
  int received = 0;
  bool in_order = true;
  const auto t0 = clock_type::now();
  while (const auto item = queue.pop()) {
    in_order = in_order && *item == received;
    ++received;
    std::this_thread::sleep_for(work_per_item);  // the slow part: handling the item
  }
  const seconds consumer_total = clock_type::now() - t0;
  producer.join();

  evidence(fmt::format("{} items, queue capacity {}, consumer {} ms per item", items, capacity,
                       work_per_item.count()));
  evidence(fmt::format("most items in the queue at once: {}", queue.peak()));
  evidence(fmt::format(
      "producer took {:.0f} ms for {} instant items, {:.0f}% of it blocked on "
      "a full queue; the consumer took {:.0f} ms",
      producer_total.count() * 1e3, items,
      100.0 * producer_blocked.count() / producer_total.count(), consumer_total.count() * 1e3));
  evidence(fmt::format("received {} of {} items, in order: {}", received, items,
                       in_order ? "yes" : "no"));

  // The same between two processes: a pipe of one page is the bounded queue.
  const process_outcome p = between_processes(items, work_per_item);
  evidence(fmt::format(
      "between processes: a pipe of {} items; most waiting in it at once: {}; the producer "
      "process took {:.0f} ms, {:.0f}% of it blocked in write(); received {} of {}, in order: {}",
      p.capacity, p.peak, p.producer.total_s * 1e3,
      100.0 * p.producer.blocked_s / std::max(p.producer.total_s, 1e-9), p.received, items,
      p.in_order ? "yes" : "no"));

  // Held back: a producer could not finish before the consumer had taken all but `capacity`
  // items.
  const auto held_back = [&](double total, double blocked, std::size_t cap) {
    const double floor_s =
        static_cast<double>(items - static_cast<int>(cap)) * seconds(work_per_item).count();
    return total > 0.8 * floor_s && blocked > 0.5 * total;
  };
  const bool bounded = queue.peak() <= capacity && p.peak <= p.capacity;
  const bool complete = received == items && in_order && p.received == items && p.in_order;
  const bool back_pressure =
      held_back(producer_total.count(), producer_blocked.count(), capacity) &&
      held_back(p.producer.total_s, p.producer.blocked_s, p.capacity);
  return conclude(bounded && complete && back_pressure,
                  !bounded    ? "a queue grew past its capacity"
                  : !complete ? "items were lost, duplicated or reordered"
                              : "a producer was not held back");
}

}  // namespace parlab::examples
