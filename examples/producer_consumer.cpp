// producer_consumer: a bounded queue between two threads, and back-pressure.
//
// Claim: when a fast producer feeds a slow consumer through a queue of fixed capacity, the queue
// never holds more than its capacity; once it is full the producer blocks until the consumer
// takes an item, so the producer is held to the consumer's pace (back-pressure) instead of
// piling up memory; and every item arrives exactly once, in order.
//
//   producer  |p p p p p p p p|....blocked....|p|...blocked...|p|...     (capacity 8)
//   consumer  |  c    c    c    c    c    c    c    c    c    c   ...     (2 ms per item)
//
// The lesson is the API: std::mutex and two std::condition_variables (not full, not empty).
//
// Run: producer_consumer [--quick]

#include "example.hpp"

#include <fmt/format.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
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

}  // namespace

int producer_consumer(int argc, char** argv) {
  const options opts = parse_options(argc, argv, pictures::none);
  state_claim("producer_consumer",
              "a bounded queue holds a fast producer to a slow consumer's pace (back-pressure), "
              "never exceeds its capacity, and loses nothing");
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

  const bool bounded = queue.peak() <= capacity;
  const bool complete = received == items && in_order;
  // Held back: it could not finish before the consumer had taken all but `capacity` items.
  const double floor_s =
      static_cast<double>(items - static_cast<int>(capacity)) * seconds(work_per_item).count();
  const bool back_pressure = producer_total.count() > 0.8 * floor_s &&
                             producer_blocked.count() > 0.5 * producer_total.count();
  return conclude(bounded && complete && back_pressure,
                  !bounded    ? "the queue grew past its capacity"
                  : !complete ? "items were lost, duplicated or reordered"
                              : "the producer was not held back");
}

}  // namespace parlab::examples
