// The recorder (lanes, capacity, concurrent writers, gap detection) and the pure analysis of
// hand-made timelines (peaks, parallelism, verdicts, queue latency, GIL wait share).

#include <parlab/clock.hpp>
#include <parlab/task.hpp>
#include <parlab/timeline.hpp>
#include <parlab/timeline_analysis.hpp>

#include <parlab/machine.hpp>

#include <gtest/gtest.h>

#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <thread>
#include <vector>

#include "event_times.hpp"

namespace parlab {
namespace {

event ev(event_kind kind, std::uint32_t task, std::uint32_t worker, std::int64_t start,
         std::int64_t end, std::int16_t cpu = -1) {
  return {start, end, task, worker, cpu, kind};
}

TEST(EventKind, NamesRoundTrip) {
  for (auto k : {event_kind::queued, event_kind::task, event_kind::slice, event_kind::preempted,
                 event_kind::wait, event_kind::gil_wait, event_kind::gil_hold, event_kind::ready,
                 event_kind::lock_wait, event_kind::lock_hold}) {
    EXPECT_EQ(event_kind_from_string(to_string(k)), k);
  }
  EXPECT_FALSE(event_kind_from_string("nap").has_value());
}

TEST(EventLane, KeepsTheFirstEventsAndCountsTheRestAsDropped) {
  event_lane lane(3, 4);
  for (int i = 0; i < 10; ++i) lane.add(ev(event_kind::wait, 1, 3, i, i + 1));
  ASSERT_EQ(lane.events().size(), 4U);
  EXPECT_EQ(lane.events().front().start_ns, 0);
  EXPECT_EQ(lane.events().back().start_ns, 3);
  EXPECT_EQ(lane.dropped(), 6U);
  lane.count_dropped(5);
  EXPECT_EQ(lane.dropped(), 11U);
}

TEST(EventLane, RecordsATaskAsSlicesAroundItsWaits) {
  event_lane lane(2, 64);
  lane.begin_task(7, 1000);
  lane.pause(2000);
  lane.add(ev(event_kind::wait, lane.current_task(), lane.worker(), 2000, 5000));
  lane.resume(5000);
  lane.end_task(1000, 6000);
  EXPECT_EQ(lane.current_task(), no_id);
  std::vector<event> slices, tasks;
  for (const auto& e : lane.events()) {
    EXPECT_EQ(e.worker, 2U);
    EXPECT_EQ(e.task, 7U);
    if (e.kind == event_kind::slice) slices.push_back(e);
    if (e.kind == event_kind::task) tasks.push_back(e);
  }
  ASSERT_EQ(slices.size(), 2U);
  EXPECT_EQ(slices[0].start_ns, 1000);
  EXPECT_EQ(slices[0].end_ns, 2000);
  EXPECT_EQ(slices[1].start_ns, 5000);
  EXPECT_EQ(slices[1].end_ns, 6000);
  ASSERT_EQ(tasks.size(), 1U);
  EXPECT_EQ(tasks[0].start_ns, 1000);
  EXPECT_EQ(tasks[0].end_ns, 6000);
}

TEST(TaskContext, RecordsSleepsAndBlockingCallsAsWaitsOfTheirKind) {
  struct no_hooks final : execution_hooks {
  } hooks;
  event_lane lane(1, 64);
  lane.begin_task(4, monotonic_ns());
  task_context ctx(hooks, 1, 1, &lane);
  ctx.wait(std::chrono::milliseconds(2));
  EXPECT_EQ(ctx.blocking([] { return 42; }), 42);
  lane.end_task(0, monotonic_ns());
  std::vector<event> waits;
  for (const auto& e : lane.events()) {
    if (e.kind == event_kind::wait) waits.push_back(e);
  }
  ASSERT_EQ(waits.size(), 2U);
  EXPECT_EQ(waits[0].wait, wait_kind::sleep);
  EXPECT_GE(waits[0].end_ns - waits[0].start_ns, 2 * ms);
  EXPECT_EQ(waits[1].wait, wait_kind::blocking);
  EXPECT_EQ(waits[1].task, 4U);
  EXPECT_EQ(waits[1].worker, 1U);
  for (auto k : {wait_kind::none, wait_kind::sleep, wait_kind::blocking}) {
    EXPECT_EQ(wait_kind_from_string(to_string(k)), k);
  }
}

TEST(Recorder, ConcurrentWritersEachKeepTheirOwnLane) {
  constexpr std::size_t kWorkers = 8, kCapacity = 5000, kPerWorker = 10000;
  recorder rec(kWorkers, kCapacity);
  {
    std::vector<std::jthread> writers;
    for (std::size_t w = 0; w < kWorkers; ++w) {
      writers.emplace_back([&rec, w] {
        event_lane& lane = rec.lane(w);
        for (std::size_t i = 0; i < kPerWorker; ++i) {
          const auto t = static_cast<std::int64_t>(i * kWorkers + w);
          lane.add(ev(event_kind::slice, static_cast<std::uint32_t>(i),
                      static_cast<std::uint32_t>(w), t, t + 1));
        }
      });
    }
  }
  const event extra = ev(event_kind::queued, 0, no_id, -5, -5);
  const timeline all = rec.collect(std::span<const event>(&extra, 1));
  EXPECT_EQ(all.events.size(), kWorkers * kCapacity + 1);
  EXPECT_EQ(all.dropped, kWorkers * (kPerWorker - kCapacity));
  EXPECT_TRUE(
      std::is_sorted(all.events.begin(), all.events.end(),
                     [](const event& a, const event& b) { return a.start_ns < b.start_ns; }));
  EXPECT_EQ(all.events.front().kind, event_kind::queued);
  for (std::size_t w = 0; w < kWorkers; ++w) {
    const auto n = std::count_if(all.events.begin(), all.events.end(),
                                 [w](const event& e) { return e.worker == w; });
    EXPECT_EQ(static_cast<std::size_t>(n), kCapacity) << "worker " << w;
  }
  EXPECT_THROW((void)rec.lane(kWorkers), std::out_of_range);
}

// Two CPU-bound threads confined to one CPU must be time-sliced by the kernel; each lane has to
// see the gaps. (Pinning makes this independent of what else runs on the machine.)
TEST(EventLane, SeesTheKernelTakingTheCoreAway) {
  const int first = affinity().front();
  recorder rec(2);
  {
    std::vector<std::jthread> threads;
    for (std::size_t w = 0; w < 2; ++w) {
      threads.emplace_back([&rec, w, first] {
        pin_to_cpus({first});  // this thread only: the mask is per thread
        struct no_hooks final : execution_hooks {
        } hooks;
        event_lane& lane = rec.lane(w);
        lane.begin_task(static_cast<std::uint32_t>(w), monotonic_ns());
        const std::int64_t start = monotonic_ns();
        task_context ctx(hooks, w, w, &lane);
        while (monotonic_ns() - start < 300 * ms) (void)ctx.compute(50);
        lane.end_task(start, monotonic_ns());
      });
    }
  }
  const timeline all = rec.collect();
  for (std::uint32_t w = 0; w < 2; ++w) {
    std::int64_t gaps = 0, running = 0;
    for (const auto& e : all.events) {
      if (e.worker != w) continue;
      if (e.kind == event_kind::preempted) ++gaps;
      if (e.kind == event_kind::slice) {
        running += e.end_ns - e.start_ns;
        EXPECT_EQ(e.cpu, first);
      }
    }
    EXPECT_GE(gaps, 3) << "worker " << w << " was never seen preempted";
    EXPECT_GT(running, 50 * ms);
  }
  const auto s = summarize(all.events, 2, 1);
  EXPECT_EQ(s.peak_running, 1U) << "one CPU runs one task at a time";
  EXPECT_EQ(s.peak_in_flight, 2U);
  EXPECT_LT(s.avg_parallelism, 1.2);
  EXPECT_EQ(s.result, verdict::concurrent);
  EXPECT_GT(s.preemptions, 5U);
}

// ---- analysis of hand-made timelines ----------------------------------------------------------

TEST(TimelineAnalysis, OneTaskAfterAnotherIsSerial) {
  const std::vector<event> t = {ev(event_kind::queued, 0, no_id, 0, 0),
                                ev(event_kind::queued, 1, no_id, 0, 0),
                                ev(event_kind::task, 0, 0, 0, 10 * ms),
                                ev(event_kind::slice, 0, 0, 0, 10 * ms, 0),
                                ev(event_kind::task, 1, 0, 10 * ms, 20 * ms),
                                ev(event_kind::slice, 1, 0, 10 * ms, 20 * ms, 0)};
  const auto s = summarize(t, 1, 2);
  EXPECT_EQ(s.result, verdict::serial);
  EXPECT_EQ(s.peak_in_flight, 1U);
  EXPECT_EQ(s.peak_running, 1U);
  EXPECT_NEAR(s.avg_parallelism, 1.0, 1e-9);
  EXPECT_NEAR(s.span_seconds, 0.020, 1e-12);
  EXPECT_NEAR(s.queue_latency_seconds.median, 0.005, 1e-12);  // 0 and 10 ms
  EXPECT_NEAR(s.queue_latency_seconds.max, 0.010, 1e-12);
  EXPECT_FALSE(s.gil_wait_fraction.has_value());
}

TEST(TimelineAnalysis, InterleavedSlicesOnOneCpuAreConcurrent) {
  std::vector<event> t = {ev(event_kind::task, 0, 0, 0, 40 * ms),
                          ev(event_kind::task, 1, 1, 0, 40 * ms)};
  for (int k = 0; k < 4; ++k) {  // 5 ms each, taking turns; the other one is preempted
    const std::uint32_t who = static_cast<std::uint32_t>(k % 2);
    for (std::uint32_t task : {0U, 1U}) {
      const std::int64_t a = (2 * k + (task == who ? 0 : 1)) * 5 * ms;
      t.push_back(ev(event_kind::slice, task, task, a, a + 5 * ms, 0));
      t.push_back(ev(event_kind::preempted, task, task, a + 5 * ms, a + 10 * ms));
    }
  }
  // Edges known to a chunk: a 3 us overlap on the same CPU must not count as two running.
  t.push_back(ev(event_kind::slice, 0, 0, 40 * ms - 3000, 40 * ms, 0));
  const auto s = summarize(t, 2, 2);
  EXPECT_EQ(s.peak_in_flight, 2U);
  EXPECT_EQ(s.peak_running, 1U);
  EXPECT_LT(s.avg_parallelism, 1.2);
  EXPECT_EQ(s.result, verdict::concurrent);
  EXPECT_EQ(s.preemptions, 8U);
  EXPECT_NEAR(s.preempted_seconds, 0.040, 1e-9);
}

TEST(TimelineAnalysis, AnOverlapAcrossHostsCountsOnlyBeyondTheClockUncertainty) {
  // Task 0 on this host (lane 0, the reference clock), task 1 on another (lane 1) whose times
  // are good to +-2 ms. Overlapping by 1.5 ms, they may not have overlapped at all: never two in
  // flight or running at once; by 30 ms they are simultaneous whatever the clocks did.
  const std::vector<std::int64_t> uncertain = {0, 2 * ms};
  for (const auto& [overlap, together] :
       std::vector<std::pair<std::int64_t, std::size_t>>{{3 * ms / 2, 1U}, {30 * ms, 2U}}) {
    const std::int64_t b = 40 * ms - overlap;
    const std::vector<event> t = {
        ev(event_kind::task, 0, 0, 0, 40 * ms), ev(event_kind::slice, 0, 0, 0, 40 * ms),
        ev(event_kind::task, 1, 1, b, b + 40 * ms), ev(event_kind::slice, 1, 1, b, b + 40 * ms)};
    const auto s = summarize(t, 2, 4, uncertain);
    EXPECT_EQ(s.peak_in_flight, together) << overlap;
    EXPECT_EQ(s.peak_running, together) << overlap;
    // Durations are what they are: 80 ms of running, whatever the alignment.
    EXPECT_NEAR(s.running_seconds, 0.080, 1e-9);
    const auto same_clock = summarize(t, 2, 4);
    EXPECT_EQ(same_clock.peak_in_flight, 2U) << "on one clock any overlap counts";
  }
}

TEST(TimelineAnalysis, CoresBusyIsTheWallTimeByHowManyCpusRanTasks) {
  // CPU 0 runs [0, 10 ms), CPU 1 [5, 15 ms), both slices of CPU 0 overlapping count once;
  // the run's wall is [0, 20 ms): one CPU for 10 ms, two for 5, none for 5.
  const std::vector<event> t = {ev(event_kind::slice, 0, 0, 0, 10 * ms, 0),
                                ev(event_kind::slice, 2, 0, 2 * ms, 4 * ms, 0),
                                ev(event_kind::slice, 1, 1, 5 * ms, 15 * ms, 1),
                                ev(event_kind::wait, 1, 1, 15 * ms, 18 * ms)};
  const auto shares = cores_busy_shares(t, 0, 20 * ms);
  ASSERT_EQ(shares.size(), 3U);
  EXPECT_NEAR(shares[0], 0.25, 1e-12);
  EXPECT_NEAR(shares[1], 0.50, 1e-12);
  EXPECT_NEAR(shares[2], 0.25, 1e-12);
  const busy_bands two = bands_of(shares, 2);  // one of two cores is half: poor
  EXPECT_NEAR(two.idle, 0.25, 1e-12);
  EXPECT_NEAR(two.poor, 0.50, 1e-12);
  EXPECT_NEAR(two.ok, 0.0, 1e-12);
  EXPECT_NEAR(two.ideal, 0.25, 1e-12);
  const busy_bands three = bands_of(shares, 3);  // two of three: ok
  EXPECT_NEAR(three.ok, 0.25, 1e-12);
  EXPECT_NEAR(three.ideal, 0.0, 1e-12);
  EXPECT_TRUE(cores_busy_shares(t, 5, 5).empty());
  // A window the events do not reach is all idle.
  const auto later = cores_busy_shares(t, 30 * ms, 40 * ms);
  ASSERT_EQ(later.size(), 1U);
  EXPECT_NEAR(later[0], 1.0, 1e-12);
}

TEST(TimelineAnalysis, EachWorkersTimeIsSplitByReasonAndSumsToTheWallSpan) {
  // Worker 0: task 0 runs 0-4 ms, is preempted 4-5, sleeps 5-8, is ready 8-9, runs 9-10; then
  // no task 10-12 (idle), task 1 waits for a lock 12-14 and for the GIL 14-15 (both recorded:
  // the lock comes first), blocks in I/O 15-17, leaves 17-18 unrecorded (other), idle to 20.
  // Worker 1 has no event at all; worker 2 only a GIL wait outside any task (0-5 ms).
  event sleep = ev(event_kind::wait, 0, 0, 5 * ms, 8 * ms);
  sleep.wait = wait_kind::sleep;
  event io = ev(event_kind::wait, 1, 0, 15 * ms, 17 * ms);
  io.wait = wait_kind::blocking;
  event lock = ev(event_kind::lock_wait, 1, 0, 12 * ms, 14 * ms);
  lock.object = 3;
  const std::vector<event> t = {ev(event_kind::queued, 0, no_id, 0, 0),
                                ev(event_kind::queued, 1, no_id, 0, 0),
                                ev(event_kind::task, 0, 0, 0, 10 * ms),
                                ev(event_kind::slice, 0, 0, 0, 4 * ms, 0),
                                ev(event_kind::preempted, 0, 0, 4 * ms, 5 * ms),
                                sleep,
                                ev(event_kind::ready, 0, 0, 8 * ms, 9 * ms),
                                ev(event_kind::slice, 0, 0, 9 * ms, 10 * ms, 1),
                                ev(event_kind::task, 1, 0, 12 * ms, 18 * ms),
                                lock,
                                ev(event_kind::gil_wait, 1, 0, 13 * ms, 15 * ms),
                                io,
                                ev(event_kind::gil_wait, no_id, 2, 0, 5 * ms)};
  const auto split = worker_time_split(t, 2, 0, 20 * ms);
  ASSERT_EQ(split.size(), 3U) << "worker 2 appears in the events";
  const time_split& w0 = split[0];
  EXPECT_EQ(w0[time_reason::running], 5 * ms);
  EXPECT_EQ(w0[time_reason::preempted], 1 * ms);
  EXPECT_EQ(w0[time_reason::sleep], 3 * ms);
  EXPECT_EQ(w0[time_reason::ready], 1 * ms);
  EXPECT_EQ(w0[time_reason::lock], 2 * ms);
  EXPECT_EQ(w0[time_reason::gil], 1 * ms) << "the instant the lock also claims is the lock's";
  EXPECT_EQ(w0[time_reason::io], 2 * ms);
  EXPECT_EQ(w0[time_reason::other], 1 * ms);
  EXPECT_EQ(w0[time_reason::idle], 4 * ms);
  for (const auto& w : split) EXPECT_EQ(w.total(), 20 * ms);
  EXPECT_EQ(split[1][time_reason::idle], 20 * ms);
  EXPECT_EQ(split[2][time_reason::gil], 5 * ms) << "a worker waiting for the GIL is not idle";
  // A window cuts events at its edges.
  const auto late = worker_time_split(t, 1, 9 * ms, 13 * ms);
  EXPECT_EQ(late[0][time_reason::running], 1 * ms);
  EXPECT_EQ(late[0][time_reason::idle], 2 * ms);
  EXPECT_EQ(late[0][time_reason::lock], 1 * ms);
  EXPECT_EQ(late[0].total(), 4 * ms);

  // Per task: from queued to finished, the time before it started is idle (queued).
  const auto tasks = task_time_split(t);
  ASSERT_EQ(tasks.size(), 2U);
  EXPECT_EQ(tasks[0].first, 0U);
  EXPECT_EQ(tasks[0].second.total(), 10 * ms);
  EXPECT_EQ(tasks[0].second[time_reason::idle], 0);
  EXPECT_EQ(tasks[1].first, 1U);
  EXPECT_EQ(tasks[1].second[time_reason::idle], 12 * ms);
  EXPECT_EQ(tasks[1].second[time_reason::other], 1 * ms);
  EXPECT_EQ(tasks[1].second.total(), 18 * ms);
  for (std::size_t i = 0; i < time_reason_count; ++i) {
    EXPECT_FALSE(to_string(static_cast<time_reason>(i)).empty());
  }
}

TEST(TimelineAnalysis, LockStatisticsCountAcquisitionsWaitsAndHoldsPerLock) {
  // Lock 2: worker 0 holds it 0-4 ms and 6-7 ms; worker 1 asks at 1 ms, is woken at 4 and gets
  // a CPU at 5 (ready 4-5), holds it 5-6; worker 0 asks again at 5, gets it at 6. Lock 1: one
  // free take. A lock wait's ready time counts in its wait.
  const auto lk = [](event_kind kind, std::uint32_t worker, std::int64_t a, std::int64_t b,
                     std::uint32_t lock) {
    event e = ev(kind, worker, worker, a, b);
    e.object = lock;
    return e;
  };
  const std::vector<event> t = {lk(event_kind::lock_hold, 0, 0, 4 * ms, 2),
                                lk(event_kind::lock_wait, 1, 1 * ms, 4 * ms, 2),
                                ev(event_kind::ready, 1, 1, 4 * ms, 5 * ms),
                                lk(event_kind::lock_hold, 1, 5 * ms, 6 * ms, 2),
                                lk(event_kind::lock_wait, 0, 5 * ms, 6 * ms, 2),
                                lk(event_kind::lock_hold, 0, 6 * ms, 7 * ms, 2),
                                lk(event_kind::lock_hold, 1, 8 * ms, 9 * ms, 1)};
  const auto locks = lock_statistics(t);
  ASSERT_EQ(locks.size(), 2U);
  EXPECT_EQ(locks[0].lock, 2U) << "the most waited-for first";
  EXPECT_EQ(locks[0].acquisitions, 3U);
  EXPECT_EQ(locks[0].contended, 2U);
  EXPECT_EQ(locks[0].wait_total_ns, 5 * ms);
  EXPECT_EQ(locks[0].wait_max_ns, 4 * ms);
  EXPECT_EQ(locks[0].wait_median_ns, 1 * ms);
  EXPECT_EQ(locks[0].hold_total_ns, 6 * ms);
  EXPECT_EQ(locks[0].hold_median_ns, 1 * ms);
  EXPECT_EQ(locks[0].hold_max_ns, 4 * ms);
  EXPECT_EQ(locks[1].lock, 1U);
  EXPECT_EQ(locks[1].contended, 0U);
  EXPECT_EQ(locks[1].wait_total_ns, 0);
  EXPECT_TRUE(lock_statistics(std::vector<event>{}).empty());
}

TEST(ThreadRunDelay, GrowsWhileTheThreadWaitsForACpuAnotherHoldsAndIsAChildsOwnAfterFork) {
  if (thread_run_delay_ns() < 0) GTEST_SKIP() << "the kernel keeps no schedstat here";
  // This thread and another spin on one CPU for 75 ms of CPU each: each waits on the run queue
  // while the other runs, so its run delay grows by a large share of that (at least 20 ms).
  const int cpu = affinity().front();
  const auto spin_on = [cpu]() -> std::int64_t {
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(static_cast<std::size_t>(cpu), &one);
    if (::sched_setaffinity(0, sizeof one, &one) != 0) return -1;
    const std::int64_t before = thread_run_delay_ns();
    const std::int64_t until = thread_cpu_ns() + 75 * ms;
    while (thread_cpu_ns() < until) {
    }
    return thread_run_delay_ns() - before;
  };
  const scoped_cpu_pin restore(affinity());
  std::int64_t other = -1;
  std::int64_t mine = -1;
  {
    std::jthread helper([&] { other = spin_on(); });
    mine = spin_on();
  }
  EXPECT_GE(std::max(mine, other), 20 * ms) << mine << " " << other;
  EXPECT_GE(std::min(mine, other), 0);
  // A forked child reads its own thread's figures (a new task starts at 0), not this thread's
  // through the descriptor it inherited.
  const std::int64_t parent = thread_run_delay_ns();
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const std::int64_t own = thread_run_delay_ns();
    (void)!::write(fds[1], &own, sizeof own);
    ::_exit(0);
  }
  std::int64_t own = -2;
  EXPECT_EQ(::read(fds[0], &own, sizeof own), static_cast<ssize_t>(sizeof own));
  ::waitpid(child, nullptr, 0);
  ::close(fds[0]);
  ::close(fds[1]);
  EXPECT_GE(own, 0);
  if (parent >= 20 * ms) {
    EXPECT_LT(own, parent / 2) << "the child read its parent's thread";
  }
}

TEST(EventLane, AWaitKeepsItsSpanWhenTheReadyPartIsSplitOff) {
  event_lane lane(0, 16);
  const auto mark = event_lane::mark_wait(monotonic_ns());
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  const std::int64_t end = monotonic_ns();
  event e{};
  e.task = 7;
  e.kind = event_kind::wait;
  e.wait = wait_kind::sleep;
  lane.add_wait(e, mark, end);
  ASSERT_FALSE(lane.events().empty());
  ASSERT_LE(lane.events().size(), 2U);
  EXPECT_EQ(lane.events().front().start_ns, mark.wall_ns);
  EXPECT_EQ(lane.events().back().end_ns, end);
  if (lane.events().size() == 2) {
    EXPECT_EQ(lane.events()[0].kind, event_kind::wait);
    EXPECT_EQ(lane.events()[0].end_ns, lane.events()[1].start_ns);
    EXPECT_EQ(lane.events()[1].kind, event_kind::ready);
    EXPECT_EQ(lane.events()[1].task, 7U);
  }
}

TEST(TimelineAnalysis, SimultaneousSlicesOnTwoCpusAreParallel) {
  const std::vector<event> t = {
      ev(event_kind::task, 0, 0, 0, 10 * ms), ev(event_kind::slice, 0, 0, 0, 10 * ms, 0),
      ev(event_kind::task, 1, 1, 0, 10 * ms), ev(event_kind::slice, 1, 1, 0, 10 * ms, 1)};
  const auto s = summarize(t, 2, 2);
  EXPECT_EQ(s.peak_running, 2U);
  EXPECT_NEAR(s.avg_parallelism, 2.0, 1e-9);
  EXPECT_EQ(s.result, verdict::parallel);
  const auto running = tasks_running(t);
  ASSERT_EQ(running.size(), 2U);
  EXPECT_EQ(running[0].count, 2U);
  EXPECT_EQ(running[1].t_ns, 10 * ms);
  EXPECT_EQ(running[1].count, 0U);
}

TEST(TimelineAnalysis, MoreTasksThanCoresOnAllCoresIsBoth) {
  std::vector<event> t;
  for (std::uint32_t task = 0; task < 4; ++task) {
    t.push_back(ev(event_kind::task, task, task, 0, 20 * ms));
    // Tasks 0,1 run first on CPUs 0,1, then 2,3 take over.
    const std::int64_t a = task < 2 ? 0 : 10 * ms;
    t.push_back(
        ev(event_kind::slice, task, task, a, a + 10 * ms, static_cast<std::int16_t>(task % 2)));
  }
  const auto s = summarize(t, 4, 2);
  EXPECT_EQ(s.peak_in_flight, 4U);
  EXPECT_EQ(s.peak_running, 2U);
  EXPECT_NEAR(s.avg_parallelism, 2.0, 1e-9);
  EXPECT_EQ(s.result, verdict::concurrent_parallel);
}

TEST(TimelineAnalysis, OverlappingWaitsWithLittleCpuAreConcurrent) {
  std::vector<event> t;
  for (std::uint32_t task = 0; task < 8; ++task) {
    t.push_back(ev(event_kind::task, task, task, 0, 21 * ms));
    t.push_back(ev(event_kind::wait, task, task, 0, 20 * ms));
    t.push_back(ev(event_kind::slice, task, task, 20 * ms, 21 * ms, 0));
  }
  const auto s = summarize(t, 8, 2);
  EXPECT_EQ(s.peak_in_flight, 8U);
  EXPECT_EQ(s.result, verdict::concurrent);
  EXPECT_NEAR(s.waiting_seconds, 8 * 0.020, 1e-9);
}

TEST(TimelineAnalysis, GilWaitShareIsWaitingOverWorkersTimesSpan) {
  const std::vector<event> t = {ev(event_kind::task, 0, 0, 0, 10 * ms),
                                ev(event_kind::task, 1, 1, 0, 10 * ms),
                                ev(event_kind::gil_hold, no_id, 0, 0, 5 * ms),
                                ev(event_kind::gil_wait, 1, 1, 0, 5 * ms),
                                ev(event_kind::gil_hold, no_id, 1, 5 * ms, 10 * ms),
                                ev(event_kind::gil_wait, 0, 0, 5 * ms, 10 * ms)};
  const auto s = summarize(t, 2, 2);
  ASSERT_TRUE(s.gil_wait_fraction.has_value());
  EXPECT_NEAR(*s.gil_wait_fraction, 0.5, 1e-9);
}

TEST(TimelineAnalysis, PeakIgnoresBriefSpikesWhenAskedTo) {
  const std::vector<step_point> steps = {{0, 1}, {100, 3}, {110, 1}, {1000, 0}};
  EXPECT_EQ(peak(steps), 3U);
  EXPECT_EQ(peak(steps, 50), 1U);
  EXPECT_EQ(peak(std::vector<step_point>{}), 0U);
}

TEST(TimelineAnalysis, NoEventsMeansNothingHappened) {
  const auto s = summarize({}, 2, 2);
  EXPECT_EQ(s.peak_in_flight, 0U);
  EXPECT_EQ(s.result, verdict::serial);
  EXPECT_TRUE(tasks_in_flight({}).empty());
}

}  // namespace
}  // namespace parlab
