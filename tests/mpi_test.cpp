// The mpi model (Open MPI ranks on this host), held to the rules every model keeps — each task
// once, the sequential results, well-formed records and timelines — with a workload's step
// tasks (its ranks rebuild tasks from their steps; callables are refused), for both schedules;
// the job kept between runs and ended with the executor, leaving no process behind.

#include <parlab/executor.hpp>
#include <parlab/mpi.hpp>
#include <parlab/workload.hpp>

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

namespace parlab {
namespace {

std::vector<task> tasks_of(const std::string& workload, std::size_t n, std::uint64_t size) {
  workload_spec spec;
  spec.name = workload;
  spec.tasks = n;
  spec.size = size;
  return make_workload(spec);
}

/// True once process `pid` is gone (a zombie being reaped by its parent may linger a moment).
bool gone(std::int64_t pid) {
  for (int i = 0; i < 200; ++i) {
    if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

/// Entries in `dir` (the socket's directory goes in TMPDIR).
std::size_t entries(const std::filesystem::path& dir) {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++n;
  return n;
}

class Mpi : public ::testing::TestWithParam<std::tuple<mpi_schedule, std::size_t>> {
 protected:
  void SetUp() override {
    if (!mpi_built()) GTEST_SKIP() << "this build has no Open MPI";
  }
  [[nodiscard]] run_options options() const {
    run_options o;
    o.schedule = std::get<0>(GetParam());
    o.workers = std::get<1>(GetParam());
    return o;
  }
};

TEST_P(Mpi, EveryTaskRunsOnceWithTheSequentialResultOnARank) {
  for (const auto& [workload, size] :
       std::vector<std::pair<std::string, std::uint64_t>>{{"cpu", 40}, {"io", 2}, {"mixed", 4}}) {
    const auto tasks = tasks_of(workload, 9, size);
    const auto expected = make_executor("sequential")->run(tasks, {});
    const auto model = make_executor("mpi");
    const run_result r = model->run(tasks, options());
    EXPECT_EQ(r.executor, "mpi");
    ASSERT_EQ(r.records.size(), tasks.size());
    std::set<std::int64_t> pids;
    for (std::size_t i = 0; i < tasks.size(); ++i) {
      const auto& rec = r.records[i];
      ASSERT_TRUE(rec.ok) << workload << " task " << i << ": " << rec.message;
      EXPECT_EQ(rec.task_id, i);
      EXPECT_EQ(rec.result, expected.records[i].result) << workload << " task " << i;
      EXPECT_LT(rec.worker, options().workers);
      EXPECT_NE(rec.pid, ::getpid()) << "a rank, not this process, ran it";
      EXPECT_GE(rec.start_ns, r.start_ns);
      EXPECT_LE(rec.end_ns, r.end_ns) << "ranks share this host's monotonic clock";
      EXPECT_LE(rec.start_ns, rec.end_ns);
      pids.insert(rec.pid);
    }
    EXPECT_LE(pids.size(), options().workers);
    // The timeline: a task span per task, on its worker's lane.
    std::size_t spans = 0;
    for (const auto& e : r.recorded.events) {
      if (e.kind != event_kind::task) continue;
      ++spans;
      EXPECT_EQ(e.worker, r.records.at(e.task).worker);
    }
    EXPECT_EQ(spans, tasks.size()) << workload;
    EXPECT_GT(r.kernel.cpu_seconds(), 0.0) << "the ranks' CPU time is counted";
  }
}

INSTANTIATE_TEST_SUITE_P(Schedules, Mpi,
                         ::testing::Combine(::testing::Values(mpi_schedule::dynamic,
                                                              mpi_schedule::fixed),
                                            ::testing::Values(1, 2, 3)),
                         [](const auto& param_info) {
                           return std::string(to_string(std::get<0>(param_info.param))) + "_W" +
                                  std::to_string(std::get<1>(param_info.param));
                         });

class MpiJob : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!mpi_built()) GTEST_SKIP() << "this build has no Open MPI";
  }
};

TEST_F(MpiJob, IsStartedOnceKeptBetweenRunsAndEndedWithTheExecutor) {
  // A TMPDIR of this test's own: the job's socket directory must be gone from it afterwards.
  std::string tmp = "/tmp/parlab-mpi-test-XXXXXX";
  ASSERT_NE(::mkdtemp(tmp.data()), nullptr);
  const char* old_tmpdir = std::getenv("TMPDIR");
  const std::string restore = old_tmpdir != nullptr ? old_tmpdir : "";
  ::setenv("TMPDIR", tmp.c_str(), 1);
  std::set<std::int64_t> first, second, third;
  {
    const auto tasks = tasks_of("cpu", 6, 20);
    const auto model = make_executor("mpi");
    run_options o;
    o.workers = 2;
    for (const auto& rec : model->run(tasks, o).records) first.insert(rec.pid);
    for (const auto& rec : model->run(tasks, o).records) second.insert(rec.pid);
    EXPECT_EQ(first, second) << "the same ranks ran both batches";
    o.schedule = mpi_schedule::fixed;  // another job shape: a new job
    for (const auto& rec : model->run(tasks, o).records) third.insert(rec.pid);
    for (const auto pid : first) EXPECT_TRUE(gone(pid)) << "rank " << pid << " of the first job";
  }
  for (const auto pid : third) EXPECT_TRUE(gone(pid)) << "rank " << pid << " outlived its job";
  int status = 0;
  EXPECT_TRUE(::waitpid(-1, &status, WNOHANG) <= 0) << "a child of this process is left";
  EXPECT_EQ(entries(tmp), 0U) << "the socket's directory is removed";
  std::filesystem::remove_all(tmp);
  if (restore.empty()) {
    ::unsetenv("TMPDIR");
  } else {
    ::setenv("TMPDIR", restore.c_str(), 1);
  }
}

TEST_F(MpiJob, CallablesAreRefusedNamingTheModelsThatRunThem) {
  std::vector<task> tasks;
  tasks.push_back(make_task(0, "mine", [](task_context&) -> std::uint64_t { return 1; }));
  try {
    (void)make_executor("mpi")->run(tasks, {});
    FAIL() << "a callable was accepted";
  } catch (const std::invalid_argument& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("callable"), std::string::npos) << what;
    EXPECT_NE(what.find("thread-pool"), std::string::npos) << what;
  }
  EXPECT_FALSE(find_executor("mpi").runs_callables);
  EXPECT_EQ(mpi_schedule_from_string("static"), mpi_schedule::fixed);
  EXPECT_THROW((void)mpi_schedule_from_string("guided"), std::invalid_argument);
}

TEST_F(MpiJob, AThrowingStepIsReportedAndTheOthersComplete) {
  // A download from a port nobody listens on fails inside its rank like any task that throws.
  auto tasks = tasks_of("cpu", 4, 10);
  std::vector<step> broken = {{step_kind::download, 1024, 1, 200}};
  tasks[2] = make_step_task(2, "broken", 7, broken);
  run_options o;
  o.workers = 2;
  const auto r = make_executor("mpi")->run(tasks, o);
  EXPECT_EQ(r.failed_tasks(), 1U);
  EXPECT_FALSE(r.records[2].ok);
  EXPECT_EQ(r.records[2].failure, failure_kind::threw);
  EXPECT_FALSE(r.records[2].message.empty());
  EXPECT_TRUE(r.records[0].ok && r.records[1].ok && r.records[3].ok);
}

namespace cli {

struct outcome {
  int code = 0;
  std::string out, err;
};

std::string slurp(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr) return {};
  std::string s;
  char buffer[4096];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, f)) > 0) s.append(buffer, n);
  std::fclose(f);
  return s;
}

outcome run(const std::string& command) {
  const std::string out = "/tmp/parlab-mpi-test-" + std::to_string(::getpid()) + ".out";
  const std::string err = "/tmp/parlab-mpi-test-" + std::to_string(::getpid()) + ".err";
  const int status = std::system((command + " >" + out + " 2>" + err).c_str());
  outcome o;
  o.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
  o.out = slurp(out);
  o.err = slurp(err);
  std::remove(out.c_str());
  std::remove(err.c_str());
  return o;
}

std::size_t lines(const std::string& s) {
  return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n'));
}

}  // namespace cli

TEST_F(MpiJob, RunShowsMpiInTheTableWithASpeedupAndAVerdict) {
  const std::string parlab = PARLAB_BINARY;
  const auto o = cli::run(parlab + " run -w cpu -t 4 -s 200 -r 1 -e threads,mpi -j 2 --json -");
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.err.find("mpi "), std::string::npos) << o.err;
  const auto static_run =
      cli::run(parlab + " run -w io -t 4 -s 2 -r 1 -e mpi -j 2 --mpi-schedule static");
  EXPECT_EQ(static_run.code, 0) << static_run.err;
  EXPECT_NE(static_run.out.find("mpi "), std::string::npos) << static_run.out;
  for (const auto& [args, mention] : std::vector<std::pair<std::string, std::string>>{
           {" run -e mpi --mpi-schedule guided", "--mpi-schedule"},
           {" run -e mpi --fault throw", "--fault"},
           {" mpi-rank --schedule guided", "--schedule"}}) {
    const auto bad = cli::run(parlab + args);
    EXPECT_EQ(bad.code, 2) << args << "\n" << bad.err;
    EXPECT_EQ(cli::lines(bad.err), 1U) << args << "\n" << bad.err;
    EXPECT_NE(bad.err.find(mention), std::string::npos) << args << "\n" << bad.err;
  }
}

TEST_F(MpiJob, RanksStartedByHandWithMpirunRunTheWorkload) {
  const std::string parlab = PARLAB_BINARY;
  const std::string mpirun =
      "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 ASAN_OPTIONS=detect_leaks=0 "
      "mpirun --oversubscribe --mca btl self,vader ";
  const auto dynamic = cli::run(mpirun + "-np 3 " + parlab + " mpi-rank -w cpu -t 6 -s 20");
  ASSERT_EQ(dynamic.code, 0) << dynamic.err;
  EXPECT_NE(dynamic.out.find("mpi (dynamic): 6 cpu tasks on 2 worker ranks"), std::string::npos)
      << dynamic.out;
  const auto fixed =
      cli::run(mpirun + "-np 2 " + parlab + " mpi-rank -w io -t 4 -s 1 --schedule static");
  ASSERT_EQ(fixed.code, 0) << fixed.err;
  EXPECT_NE(fixed.out.find("tasks per worker: 2, 2"), std::string::npos) << fixed.out;
}

namespace proc {

/// (pid, command name) of the children of `parent`, from /proc.
std::vector<std::pair<pid_t, std::string>> children_of(pid_t parent) {
  std::vector<std::pair<pid_t, std::string>> out;
  for (const auto& e : std::filesystem::directory_iterator("/proc")) {
    const std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const std::string stat = cli::slurp("/proc/" + name + "/stat");
    const auto open = stat.find('(');
    const auto close = stat.rfind(')');
    if (open == std::string::npos || close == std::string::npos || close + 4 >= stat.size()) {
      continue;
    }
    const pid_t ppid = static_cast<pid_t>(std::atoi(stat.c_str() + close + 4));
    if (ppid == parent) {
      out.emplace_back(static_cast<pid_t>(std::stoi(name)),
                       stat.substr(open + 1, close - open - 1));
    }
  }
  return out;
}

}  // namespace proc

TEST_F(MpiJob, AnInterruptedRunEndsTheJobAndLeavesNoRank) {
  const std::string parlab = PARLAB_BINARY;
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    std::freopen("/dev/null", "w", stdout);
    std::freopen("/dev/null", "w", stderr);
    ::execl(parlab.c_str(), "parlab", "run", "-w", "io", "-s", "5", "-t", "8", "-r", "50", "-e",
            "mpi", "-j", "2", "--no-baseline", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ASSERT_GT(pid, 0);
  // Wait for the job: mpirun, and its ranks (parlab mpi-rank) under it.
  std::vector<pid_t> ranks;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (ranks.size() < 3 && std::chrono::steady_clock::now() < deadline) {
    ranks.clear();
    for (const auto& [child, name] : proc::children_of(pid)) {
      if (name != "mpirun") continue;
      ranks.push_back(child);
      for (const auto& [rank, rank_name] : proc::children_of(child)) ranks.push_back(rank);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_GE(ranks.size(), 3U) << "mpirun and its ranks never appeared";
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // runs are under way
  ASSERT_EQ(::kill(pid, SIGINT), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 130);
  for (const pid_t p : ranks) EXPECT_TRUE(gone(p)) << "process " << p << " of the job is left";
}

TEST_F(MpiJob, ARankKilledFromOutsideEndsTheBatchAsLostAndTheNextRunStartsAFreshJob) {
  const auto tasks = tasks_of("io", 4, 1000);  // a second of waiting each: time to kill a rank
  const auto model = make_executor("mpi");
  run_options o;
  o.workers = 2;
  std::thread killer([] {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      for (const auto& [child, name] : proc::children_of(::getpid())) {
        if (name != "mpirun") continue;
        const auto ranks = proc::children_of(child);
        if (ranks.size() >= 3) {
          // Past the job's start (about 0.4 s here), inside the batch (2 s).
          std::this_thread::sleep_for(std::chrono::milliseconds(1000));
          ::kill(ranks.back().first, SIGKILL);
          return;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  });
  run_result r;
  try {
    r = model->run(tasks, o);
  } catch (const std::exception& e) {
    killer.join();
    FAIL() << "the run threw: " << e.what();
  }
  killer.join();
  EXPECT_EQ(r.failed_tasks(), tasks.size());
  for (const auto& rec : r.records) {
    EXPECT_EQ(rec.failure, failure_kind::lost_with_run) << rec.message;
    EXPECT_NE(rec.message.find("the MPI job ended"), std::string::npos) << rec.message;
    EXPECT_EQ(rec.message.find("---"), std::string::npos) << "a banner line: " << rec.message;
  }
  const auto again = model->run(tasks_of("cpu", 4, 10), o);
  EXPECT_EQ(again.failed_tasks(), 0U) << again.records[0].message;
}

TEST_F(MpiJob, MessagesAreTimedFromEightBytesToFourMebibytes) {
  const auto costs = measure_mpi_messages();
  ASSERT_EQ(costs.size(), 8U);
  EXPECT_EQ(costs.front().bytes, 8U);
  EXPECT_EQ(costs.back().bytes, std::size_t{4} << 20U);
  for (std::size_t i = 0; i < costs.size(); ++i) {
    EXPECT_GT(costs[i].round_trip_seconds, 0.0) << costs[i].bytes;
    EXPECT_GE(costs[i].exchanges, 20U);
    if (i > 0) {
      EXPECT_GT(costs[i].bytes, costs[i - 1].bytes);
    }
  }
  // Bigger messages move more bytes per second than 8-byte ones (latency dominates those): a
  // claim about the same run, robust to any machine's speed.
  EXPECT_GT(costs.back().bandwidth(), 10 * costs.front().bandwidth());
  const std::string parlab = PARLAB_BINARY;
  const auto o = cli::run(parlab + " overhead -e mpi -t 20 -r 1 --json -");
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.err.find("Messages between two MPI ranks"), std::string::npos) << o.err;
  EXPECT_NE(o.out.find("\"mpi_messages\""), std::string::npos) << o.out;
}

}  // namespace
}  // namespace parlab
