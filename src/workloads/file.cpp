// file: I/O-bound tasks on the file system. Each writes `size` KiB to its own file in a private
// temporary directory, fsyncs it (the wait for the device), reads it back and checks it. The
// file is removed when the task ends, however it ends; the directory when the last copy of the
// tasks is gone (only by the process that made it, never by a forked copy).

#include <parlab/http.hpp>

#include "core/interrupt_state.hpp"
#include "workloads/generators.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

namespace parlab::detail {
namespace {

namespace fs = std::filesystem;

/// A directory that exists while this object does (removed with everything in it).
class private_dir {
 public:
  private_dir() : owner_(::getpid()) {
    std::string tmpl = (fs::temp_directory_path() / "parlab-file-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) {
      throw std::runtime_error("file workload: cannot create a temporary directory in " +
                               fs::temp_directory_path().string() + ": " + std::strerror(errno));
    }
    path_ = tmpl;
    track_temp_dir(path_.c_str());  // a second Ctrl-C removes it too
  }
  ~private_dir() {
    if (::getpid() != owner_) return;
    untrack_temp_dir(path_.c_str());
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  private_dir(const private_dir&) = delete;
  private_dir& operator=(const private_dir&) = delete;
  [[nodiscard]] const fs::path& path() const noexcept { return path_; }

 private:
  fs::path path_;
  pid_t owner_;
};

[[noreturn]] void fail(const std::string& what, const fs::path& file) {
  throw std::runtime_error("file workload: " + what + " " + file.string() + ": " +
                           std::strerror(errno));
}

/// Writes `data` to `file`, fsyncs and closes it.
void write_synced(const fs::path& file, const std::vector<char>& data) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) fail("cannot create", file);
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      fail("cannot write", file);
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    ::close(fd);
    fail("cannot fsync", file);
  }
  ::close(fd);
}

std::vector<char> read_back(const fs::path& file, std::size_t expected) {
  std::vector<char> data(expected + 1);  // one more: a longer file is caught
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail("cannot open", file);
  std::size_t done = 0;
  for (;;) {
    const ssize_t n = ::read(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      fail("cannot read", file);
    }
    if (n == 0 || done + static_cast<std::size_t>(n) == data.size()) {
      done += static_cast<std::size_t>(n);
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
  data.resize(done);
  return data;
}

}  // namespace

std::vector<task> make_file_tasks(std::size_t tasks, std::uint64_t size, std::uint64_t seed) {
  auto dir = std::make_shared<const private_dir>();
  std::vector<task> out;
  out.reserve(tasks);
  for (std::size_t i = 0; i < tasks; ++i) {
    const std::uint64_t task_seed_i = task_seed(seed, i);
    const fs::path file = dir->path() / ("task-" + std::to_string(i));
    const std::size_t bytes = static_cast<std::size_t>(size) * 1024;
    task t = make_task(
        i, "file#" + std::to_string(i),
        [file, bytes, task_seed_i](task_context& ctx) -> std::uint64_t {
          struct remove_file {
            const fs::path& f;
            ~remove_file() { ::unlink(f.c_str()); }
          } cleanup{file};
          std::vector<char> data(bytes);
          fill_payload(data, task_seed_i);
          const std::uint64_t written = payload_checksum(data);
          ctx.blocking([&] { write_synced(file, data); });
          const auto back = ctx.blocking([&] { return read_back(file, bytes); });
          if (back.size() != bytes || payload_checksum(back) != written) {
            throw std::runtime_error("file workload: " + file.string() +
                                     " read back differs from what was written");
          }
          return written ^ ctx.compute(1);
        },
        task_seed_i);
    t.keep_alive = dir;
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace parlab::detail
