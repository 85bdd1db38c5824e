// Timing claims of the classic experiment, as generous ratios measured in the same run.

#include <parlab/experiment.hpp>
#include <parlab/machine.hpp>
#include <parlab/mpi.hpp>
#include <parlab/scaling.hpp>
#include <parlab/sweep.hpp>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include <string>
#include <vector>

#include "timing.hpp"

namespace parlab {
namespace {

const measured_run& row(const std::vector<measured_run>& runs, const std::string& executor) {
  for (const auto& r : runs) {
    if (r.executor == executor) return r;
  }
  throw std::runtime_error("no row for " + executor);
}

TEST(ClassicExperiment, IoBoundWorkGainsFromThreadsEvenUnderAnInterpreterLock) {
  experiment_spec spec;
  spec.workload.name = "io";
  spec.workload.tasks = 32;
  spec.workload.size = 50;  // long waits: a thread start costs milliseconds under TSan
  spec.executors = {"threads", "gil-threads"};
  spec.workers = 16;
  spec.repeat = 3;
  // Timing test: ideal is 16x; ask for 4x.
  PARLAB_TIMING_TEST([&]() -> std::string {
    const auto runs = run_experiment(spec);
    EXPECT_EQ(row(runs, "threads").concurrency.result, verdict::concurrent);
    const double threads = *row(runs, "threads").speedup;
    const double gil = *row(runs, "gil-threads").speedup;
    if (threads >= 4.0 && gil >= 4.0) return {};
    return fmt::format("threads {:.2f}x, gil-threads {:.2f}x", threads, gil);
  });
}

TEST(ClassicExperiment, CpuBoundWorkGainsFromThreadsAndProcessesButNotUnderTheLock) {
  if (usable_cores() < 2) GTEST_SKIP() << "needs at least 2 cores";
  experiment_spec spec;
  spec.workload.name = "cpu";
  spec.workload.tasks = 4;
  spec.workload.size = 8000;
  spec.executors = {"threads", "processes", "gil-threads"};
  spec.workers = 2;
  spec.repeat = 3;
  // A parallel speedup needs two free cores. On a shared machine (a build beside the tests)
  // another process may hold one for a whole measurement, so the claim gets three attempts: a
  // model that cannot run two tasks at once fails all three, a busy machine rarely does. When
  // every attempt measured others holding the cores, the test cannot judge and says so.
  std::string why;
  bool every_attempt_busy = true;
  for (int attempt = 1; attempt <= 3; ++attempt) {
    const auto runs = run_experiment(spec);
    double others = 0.0;
    for (const auto& r : runs) others = std::max(others, r.others_cores.value_or(0.0));
    every_attempt_busy = every_attempt_busy && static_cast<double>(usable_cores()) - others < 1.75;
    const double gil = row(runs, "gil-threads").wall_median;
    const double threads_gain = gil / row(runs, "threads").wall_median;
    const double processes_gain = gil / row(runs, "processes").wall_median;
    const double processes_parallelism = row(runs, "processes").concurrency.avg_parallelism;
    // The lock never lets two compute at once, whatever the machine does: within the run, CPU
    // time never exceeds one core's worth. The speedup compares runs made at different moments,
    // so it is checked only when nobody else held the cores.
    EXPECT_LT(row(runs, "gil-threads").concurrency.avg_parallelism, 1.1);
    EXPECT_EQ(row(runs, "gil-threads").concurrency.result, verdict::concurrent);
    if (others < 0.3) {
      EXPECT_LT(*row(runs, "gil-threads").speedup, 1.25);
    }
    // Ideal is 2x on two idle cores; ask for 1.25x. A fork costs ~1 ms here but ~16 ms under
    // ThreadSanitizer, so for processes the wall ratio says more about the sanitizer than the
    // model: check instead that the children computed at the same instant.
    if (threads_gain > 1.25 && processes_parallelism > parallel_threshold &&
        row(runs, "processes").concurrency.result == verdict::parallel && processes_gain > 1.0) {
      return;
    }
    why += "attempt " + std::to_string(attempt) + ": threads " + std::to_string(threads_gain) +
           "x the gil-threads' speed, processes " + std::to_string(processes_gain) +
           "x with parallelism " + std::to_string(processes_parallelism) + "; others held " +
           std::to_string(others) + " cores\n";
  }
  if (every_attempt_busy) GTEST_SKIP() << "others held the cores in every attempt:\n" << why;
  ADD_FAILURE() << "no attempt showed the parallel gain:\n" << why;
}

TEST(Sweep, OnTwoCoresComputingThreadsWantTwoWorkersAndThreadsUnderTheLockOne) {
  if (usable_cores() != 2) GTEST_SKIP() << "the claim is about a 2-core machine";
  sweep_spec spec;
  spec.workload.name = "cpu";
  spec.workload.tasks = 4;
  spec.workload.size = 4000;
  spec.executors = {"threads", "gil-threads"};
  spec.workers = {1, 2, 4};
  spec.repeat = 3;
  // As above: three attempts, and a skip when others held the cores in every one.
  std::string why;
  bool every_attempt_busy = true;
  for (int attempt = 1; attempt <= 3; ++attempt) {
    const sweep_result r = run_sweep(spec);
    double others = 0.0;
    for (const auto& m : r.models) {
      for (const auto& p : m.points) others = std::max(others, p.run.others_cores.value_or(0.0));
    }
    every_attempt_busy = every_attempt_busy && 2.0 - others < 1.75;
    const sweep_model& threads = r.models.at(0);
    const sweep_model& gil = r.models.at(1);
    // The lock never gains 5% from a second worker (a busy moment during W = 1 could fake it,
    // hence the attempts too).
    if (gil.recommended == 1U && threads.recommended == 2U &&
        threads.points.at(1).karp_flatt.value_or(1.0) < 0.3) {
      return;
    }
    why += "attempt " + std::to_string(attempt) + ": threads: " + threads.reason +
           "; others held " + std::to_string(others) + " cores\n";
  }
  if (every_attempt_busy) GTEST_SKIP() << "others held the cores in every attempt:\n" << why;
  ADD_FAILURE() << "no attempt recommended W = 2 for threads and W = 1 under the lock:\n" << why;
}

TEST(Sweep, KarpFlattRecoversTheKnownSerialFraction) {
  // Timing test (up to three attempts; skipped when others held the cores in every one). The
  // amdahl workload runs the share F of each task alone. Under threads, thread-pool and
  // processes, the Karp-Flatt fraction at W = 2 must read between F and F plus the model's own
  // serial share, within kTolerance; the model's own share is what it reads at F = 0 in the same
  // attempt (a process model forks each task from one parent: ~0.06-0.18 here, the thread models
  // ~0.01-0.03). It is not simply added: the parent forks the next task while a child holds the
  // serial section, so part of its own share hides behind F (processes read 0.12-0.17 at F = 0.1
  // over an own share of 0.12-0.18 on a quiet VM, 2026-12-05). At F = 0 every model must scale
  // like cpu: nothing on the step path may add a serial section.
  //
  // The goal is 0.03, which scripts/bench.sh holds (7 runs a point on a quiet machine). Here,
  // on a shared CI VM, the readings of 5 runs a point keep 0.08; docs/performance.md has them.
  if (usable_cores() != 2) GTEST_SKIP() << "the bounds are for a 2-core machine";
  constexpr double kTolerance = 0.08;
  const std::vector<std::string> models = {"threads", "thread-pool", "processes"};
  const std::vector<double> fractions = {0.0, 0.1, 0.3};
  // The amdahl workload at serial fraction f, W = 1 and 2, `repeat` runs a point.
  const auto amdahl_sweep = [](double f, const std::vector<std::string>& executors,
                               std::size_t repeat) {
    sweep_spec spec;
    spec.workload.name = "amdahl";
    spec.workload.tasks = 8;
    spec.workload.size = 4000;
    spec.workload.serial_fraction = f;
    spec.executors = executors;
    spec.workers = {1, 2};
    spec.repeat = repeat;
    spec.baseline = false;
    return run_sweep(spec);
  };
  if (timing::kSanitized) {
    // The bound is the release preset's (a sanitizer changes the timing it is about: a fork
    // under one copies its shadow memory's page tables, TSan routes every atomic of the serial
    // section's hand-over through the race detector). Here the same sweeps run once each, every
    // task must end well: ~8 s under ASan instead of 20-32 s of attempts alone on the machine.
    for (const double f : fractions) {
      for (const sweep_model& m : amdahl_sweep(f, models, 1).models) {
        for (const auto& p : m.points) EXPECT_FALSE(p.run.any_failed()) << m.executor << " F " << f;
      }
    }
    return;
  }
  constexpr std::size_t kRepeat = 5;
  // F = 0 speedup at W = 2 each model must reach: 0.925 x the cores for threads, 0.9 for a
  // process model (its parent forks and reaps each task alone).
  const auto least_speedup = [](const std::string& m) { return m == "processes" ? 1.8 : 1.85; };
  std::vector<std::string> pending = models;
  std::string why;
  bool every_attempt_busy = true;
  for (int attempt = 1; attempt <= 3 && !pending.empty(); ++attempt) {
    // kf[model][i]: the reading at fractions[i].
    std::vector<std::vector<double>> kf(pending.size());
    std::vector<double> speedup0(pending.size(), 0.0);
    double others = 0.0;
    for (const double f : fractions) {
      const sweep_result r = amdahl_sweep(f, pending, kRepeat);
      for (std::size_t i = 0; i < pending.size(); ++i) {
        const sweep_model& m = r.models.at(i);
        for (const auto& p : m.points) others = std::max(others, p.run.others_cores.value_or(0.0));
        // From the least wall of each point's runs, as scripts/bench.sh reads it: the W = 2 runs
        // are bimodal on these VMs (a run whose two workers the kernel left on one vCPU for a
        // while reads 5-14% slower), and the sweep's medians moved by 0.1 from run to run
        // (F = 0 read -0.12 with a "speedup" of 2.28x in one attempt, 0.1 read 0.31 in another).
        const double least1 = m.points.at(0).run.wall_min;
        const double least2 = m.points.at(1).run.wall_min;
        const double speedup = least2 > 0.0 ? least1 / least2 : 0.0;
        kf[i].push_back(karp_flatt(speedup, 2.0).value_or(-1.0));
        if (f == 0.0) speedup0[i] = speedup;
      }
    }
    every_attempt_busy = every_attempt_busy && 2.0 - others < 1.75;
    std::vector<std::string> still;
    for (std::size_t i = 0; i < pending.size(); ++i) {
      const double own = std::max(0.0, kf[i][0]);
      bool held = speedup0[i] >= least_speedup(pending[i]);
      std::string line =
          fmt::format("attempt {}: {}: F = 0 speedup {:.2f}x", attempt, pending[i], speedup0[i]);
      for (std::size_t j = 0; j < fractions.size(); ++j) {
        held = held && kf[i][j] >= fractions[j] - kTolerance &&
               kf[i][j] <= fractions[j] + own + kTolerance;
        line += fmt::format(", F = {} read {:.3f}", fractions[j], kf[i][j]);
      }
      if (!held) {
        still.push_back(pending[i]);
        why += line + fmt::format("; others held {:.2f} cores\n", others);
      }
    }
    pending = still;
  }
  if (pending.empty()) return;
  if (every_attempt_busy) GTEST_SKIP() << "others held the cores in every attempt:\n" << why;
  ADD_FAILURE() << "not read between F and F plus the model's own share at F = 0, within "
                << kTolerance << ":\n"
                << why;
}

TEST(Sweep, TheAmdahlFitReadsTheSerialFractionsInOrder) {
  if (usable_cores() < 2) GTEST_SKIP() << "needs at least 2 cores";
  // The fit over W = 1, 2 tells 0.1, 0.3 and 0.5 apart (the median of five runs each).
  std::vector<double> read;
  for (const double s : {0.1, 0.3, 0.5}) {
    sweep_spec spec;
    spec.workload.name = "amdahl";
    spec.workload.tasks = 2;
    spec.workload.size = 8000;
    spec.workload.serial_fraction = s;
    spec.executors = {"thread-pool"};
    spec.workers = {1, 2};
    spec.repeat = 5;
    spec.baseline = false;
    const sweep_result r = run_sweep(spec);
    const sweep_model& m = r.models.at(0);
    ASSERT_TRUE(m.amdahl.has_value()) << m.amdahl_refused;
    read.push_back(m.amdahl->sigma);
  }
  EXPECT_LT(read.at(0), read.at(1)) << "s = 0.1 and 0.3 were not told apart";
  EXPECT_LT(read.at(1), read.at(2)) << "s = 0.3 and 0.5 were not told apart";
}

TEST(Mpi, TwoRanksComputeInParallel) {
  if (!mpi_built()) GTEST_SKIP() << "this build has no Open MPI";
  if (usable_cores() < 2) GTEST_SKIP() << "needs at least 2 cores";
  // Both schedules: the manager of the dynamic one polls with short sleeps, so two worker ranks
  // still have the two cores. Ideal is 2x; ask for 1.6x, three attempts, as above.
  for (const mpi_schedule schedule : {mpi_schedule::dynamic, mpi_schedule::fixed}) {
    experiment_spec spec;
    spec.workload.name = "cpu";
    spec.workload.tasks = 4;
    spec.workload.size = 8000;
    spec.executors = {"mpi"};
    spec.workers = 2;
    spec.repeat = 3;
    spec.mpi.schedule = schedule;
    std::string why;
    bool every_attempt_busy = true;
    bool gained = false;
    for (int attempt = 1; attempt <= 3 && !gained; ++attempt) {
      const auto runs = run_experiment(spec);
      double others = 0.0;
      for (const auto& r : runs) others = std::max(others, r.others_cores.value_or(0.0));
      every_attempt_busy = every_attempt_busy && 2.0 - others < 1.75;
      const auto& mpi = row(runs, "mpi");
      gained = mpi.speedup.value_or(0.0) >= 1.6 && mpi.concurrency.result == verdict::parallel;
      why += "attempt " + std::to_string(attempt) + ": " +
             std::to_string(mpi.speedup.value_or(0.0)) + "x, " +
             std::string(to_string(mpi.concurrency.result)) + "; others held " +
             std::to_string(others) + " cores\n";
    }
    if (gained) continue;
    if (every_attempt_busy) GTEST_SKIP() << "others held the cores in every attempt:\n" << why;
    ADD_FAILURE() << to_string(schedule) << ": two ranks did not gain 1.6x:\n" << why;
  }
}

}  // namespace
}  // namespace parlab
