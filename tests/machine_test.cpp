#include <parlab/machine.hpp>

#include <gtest/gtest.h>
#include <unistd.h>

#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace parlab {
namespace {

int online() { return static_cast<int>(::sysconf(_SC_NPROCESSORS_ONLN)); }

TEST(CpuList, ParsesSinglesListsAndRanges) {
  EXPECT_EQ(parse_cpu_list("0"), std::vector<int>{0});
  if (online() >= 2) {
    EXPECT_EQ(parse_cpu_list("1,0,1"), (std::vector<int>{0, 1}));
    EXPECT_EQ(parse_cpu_list("0-1"), (std::vector<int>{0, 1}));
  }
}

TEST(CpuList, RejectsBadTextAndMissingCpusNamingThem) {
  for (const char* bad : {"", "x", "0,", "-1", "1-0", "0-", "3.5"}) {
    EXPECT_THROW((void)parse_cpu_list(bad), std::invalid_argument) << bad;
  }
  try {
    (void)parse_cpu_list(std::to_string(online()));
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("does not exist"), std::string::npos) << e.what();
  }
}

TEST(Pinning, ConfinesTheThreadAndThreadsItStartsLater) {
  const std::vector<int> before = affinity();
  std::thread([&] {
    // Pin a scratch thread so the test process itself stays unpinned.
    pin_to_cpus({before.front()});
    EXPECT_EQ(affinity(), std::vector<int>{before.front()});
    EXPECT_EQ(usable_cores(), 1U);
    std::vector<int> inner;
    std::thread([&] { inner = affinity(); }).join();
    EXPECT_EQ(inner, std::vector<int>{before.front()});
  }).join();
  EXPECT_EQ(affinity(), before);
  EXPECT_THROW(pin_to_cpus({}), std::invalid_argument);
}

TEST(Pinning, AScopedPinRestoresTheMaskItFoundEvenOnAnException) {
  const std::vector<int> before = affinity();
  if (before.size() < 2) GTEST_SKIP() << "needs two usable CPUs to see a change";
  {
    const scoped_cpu_pin pin({before.back()});
    EXPECT_EQ(affinity(), std::vector<int>{before.back()});
  }
  EXPECT_EQ(affinity(), before);
  try {
    const scoped_cpu_pin pin({before.front()});
    EXPECT_EQ(affinity(), std::vector<int>{before.front()});
    throw std::runtime_error("leaving early");
  } catch (const std::runtime_error&) {
  }
  EXPECT_EQ(affinity(), before);
}

TEST(Machine, DescribesItself) {
  const auto m = describe_machine();
  EXPECT_GE(m.cores, 1U);
  EXPECT_EQ(m.affinity.size(), m.cores);
  EXPECT_FALSE(m.kernel.empty());
  EXPECT_FALSE(m.cpu_model.empty());
}

}  // namespace
}  // namespace parlab
