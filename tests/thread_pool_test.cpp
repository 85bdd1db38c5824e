#include <parlab/thread_pool.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <set>
#include <stdexcept>
#include <thread>

// Every allocation in this test program is counted: posting a job must not allocate.
namespace {
std::atomic<long> g_allocations{0};
}  // namespace

// GCC (at -O1, the sanitizer presets) takes the std::free below for a free of what a new
// expression made; it is this replacement's own malloc.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t /*n*/) noexcept { std::free(p); }
#pragma GCC diagnostic pop

namespace parlab {
namespace {

TEST(ThreadPool, PostingAJobOfTwoWordsAllocatesNothingOnceTheQueueHasGrown) {
  thread_pool pool(1);
  std::atomic<int> done{0};
  // What the executor posts: two words (its batch and a task index).
  const auto post_batch = [&] {
    for (std::size_t i = 0; i < 1000; ++i) {
      pool.post([counter = &done, i](std::size_t) {
        counter->fetch_add(static_cast<int>(i & 1U) + 1, std::memory_order_relaxed);
      });
    }
    pool.wait_idle();
  };
  // The queue grows to the whole batch here: the one worker is held until every job is posted
  // (left free, it could keep the queue shorter than in the measured batch, which would then
  // grow it: one allocation, seen once in a TSan run).
  std::atomic<bool> go{false};
  pool.post([&go](std::size_t) {
    while (!go.load()) std::this_thread::yield();
  });
  for (std::size_t i = 0; i < 1000; ++i) pool.post([](std::size_t) {});
  go.store(true);
  pool.wait_idle();
  const long before = g_allocations.load();
  post_batch();
  EXPECT_EQ(g_allocations.load() - before, 0) << "allocations while posting 1,000 jobs";
  EXPECT_EQ(done.load(), 1500);
}

TEST(ThreadPool, RunsEveryPostedJobOnce) {
  std::atomic<int> sum{0};
  {
    thread_pool pool(4);
    for (int i = 1; i <= 1000; ++i) pool.post([&sum, i](std::size_t) { sum.fetch_add(i); });
    pool.wait_idle();
    EXPECT_EQ(sum.load(), 500500);
  }
}

TEST(ThreadPool, WorkerIndicesAreInRange) {
  thread_pool pool(3);
  std::mutex m;
  std::set<std::size_t> seen;
  for (int i = 0; i < 200; ++i) {
    pool.post([&](std::size_t w) {
      std::lock_guard lock(m);
      seen.insert(w);
    });
  }
  pool.wait_idle();
  for (auto w : seen) EXPECT_LT(w, 3U);
  EXPECT_EQ(pool.size(), 3U);
}

TEST(ThreadPool, SubmitReturnsResultsAndExceptions) {
  thread_pool pool(2);
  auto ok = pool.submit([] { return 42; });
  auto bad = pool.submit([]() -> int { throw std::runtime_error("nope"); });
  EXPECT_EQ(ok.get(), 42);
  EXPECT_THROW(bad.get(), std::runtime_error);
}

TEST(ThreadPool, DestructorFinishesQueuedJobs) {
  std::atomic<int> done{0};
  {
    thread_pool pool(1);
    for (int i = 0; i < 50; ++i) {
      pool.post([&done](std::size_t) {
        std::this_thread::sleep_for(std::chrono::microseconds(100));
        done.fetch_add(1);
      });
    }
  }
  EXPECT_EQ(done.load(), 50);
}

TEST(ThreadPool, ZeroWorkersIsRejected) { EXPECT_THROW(thread_pool(0), std::invalid_argument); }

TEST(ThreadPool, WaitIdleReturnsOnlyWhenEveryJobEnded) {
  thread_pool pool(2);
  pool.wait_idle();  // an empty pool: returns at once (a hang here is the CTest timeout)
  std::atomic<int> done{0};
  for (int round = 1; round <= 3; ++round) {
    for (int i = 0; i < 20; ++i) {
      pool.post([&done](std::size_t) {
        std::this_thread::sleep_for(std::chrono::microseconds(200));
        done.fetch_add(1);
      });
    }
    pool.wait_idle();
    EXPECT_EQ(done.load(), 20 * round) << "wait_idle returned with jobs still running";
  }
}

}  // namespace
}  // namespace parlab
