// Output files are written whole or not at all, and checking a path creates nothing.

#include "scratch_dir.hpp"

#include <parlab/output_file.hpp>

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <filesystem>
#include <stdexcept>
#include <string>

namespace parlab {
namespace {

namespace fs = std::filesystem;

class OutputFile : public scratch::scratch_test {
 protected:
  [[nodiscard]] std::size_t entries() const {
    return static_cast<std::size_t>(std::distance(fs::directory_iterator(dir_), {}));
  }
};

using scratch::slurp;

TEST_F(OutputFile, ReplacesTheFileWholeAndLeavesNoTemporary) {
  const auto path = (dir_ / "r.json").string();
  write_file_atomically(path, "first");
  write_file_atomically(path, std::string(1 << 20, 'x'));
  EXPECT_EQ(slurp(path).size(), std::size_t{1} << 20);
  EXPECT_EQ(entries(), 1U);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_NE(st.st_mode & 0044, 0U) << "readable like any new file, not mkstemp's 0600";
}

TEST_F(OutputFile, AFailedWriteKeepsThePreviousFileAndRemovesItsTemporary) {
  const auto path = (dir_ / "r.json").string();
  write_file_atomically(path, "previous");
  // A file size limit makes the write fail part-way (EFBIG), as a full disk would.
  const auto old_handler = ::signal(SIGXFSZ, SIG_IGN);
  rlimit old{};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old), 0);
  rlimit small = old;
  small.rlim_cur = 4096;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  try {
    write_file_atomically(path, std::string(1 << 20, 'x'));
    ADD_FAILURE() << "a write past the size limit succeeded";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot write '" + path + "'"), std::string::npos)
        << e.what();
  }
  ::setrlimit(RLIMIT_FSIZE, &old);
  ::signal(SIGXFSZ, old_handler);
  EXPECT_EQ(slurp(path), "previous");
  EXPECT_EQ(entries(), 1U) << "the temporary file was removed";
}

TEST_F(OutputFile, DevicesAreWrittenInPlace) {
  write_file_atomically("/dev/null", "gone");
  struct stat st {};
  ASSERT_EQ(::stat("/dev/null", &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode)) << "/dev/null is still a device";
  try {
    write_file_atomically("/dev/full", "no room");
    ADD_FAILURE() << "/dev/full took the bytes";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), "cannot write '/dev/full': No space left on device");
  }
}

TEST_F(OutputFile, CheckingAPathCreatesNothing) {
  check_writable((dir_ / "new.json").string());
  EXPECT_EQ(entries(), 0U);
  check_writable("/dev/null");
  for (const std::string& bad : {(dir_ / "missing" / "x.json").string(), dir_.string(),
                                 std::string("/proc/x.json"), std::string("")}) {
    EXPECT_THROW(check_writable(bad), std::runtime_error) << bad;
  }
  EXPECT_EQ(entries(), 0U);
}

}  // namespace
}  // namespace parlab
