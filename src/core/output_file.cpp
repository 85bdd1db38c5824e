#include <parlab/output_file.hpp>

#include "core/child_process.hpp"
#include "core/interrupt_state.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace parlab {
namespace {

/// What the temporary file's name adds to the file's: "." before, ".XXXXXX" after.
constexpr std::size_t kTempSuffix = 8;

[[noreturn]] void cannot_write(const std::string& path, int err) {
  throw std::runtime_error("cannot write '" + path + "': " + std::strerror(err));
}

/// The directory that holds `path` ("." for a bare name).
std::string directory_of(const std::string& path) {
  const auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

/// True when `path` exists and is not a regular file or a directory (a device, a FIFO, a
/// socket): such a target is written in place.
bool is_special(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode);
}

void write_in_place(const std::string& path, std::string_view text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) cannot_write(path, errno);
  if (!detail::write_all(fd, text.data(), text.size())) {
    const int err = errno;
    ::close(fd);
    cannot_write(path, err);
  }
  if (::close(fd) != 0 && errno != EINTR) cannot_write(path, errno);
}

}  // namespace

void check_writable(const std::string& path) {
  if (path.empty()) throw std::runtime_error("cannot write '': the path is empty");
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) cannot_write(path, EISDIR);
    if (!S_ISREG(st.st_mode)) {
      if (::access(path.c_str(), W_OK) != 0) cannot_write(path, errno);
      return;
    }
  } else if (errno != ENOENT) {
    cannot_write(path, errno);  // a name too long, a loop of links, a file used as a directory
  }
  const std::string dir = directory_of(path);
  // The file is written as a temporary ".NAME.XXXXXX" beside it: that name must fit too.
  const auto slash = path.find_last_of('/');
  const std::size_t base = slash == std::string::npos ? path.size() : path.size() - slash - 1;
  const long name_max = ::pathconf(dir.c_str(), _PC_NAME_MAX);
  if (name_max > 0 && base + kTempSuffix > static_cast<std::size_t>(name_max)) {
    throw std::runtime_error("cannot write '" + path + "': its file name has " +
                             std::to_string(base) + " bytes (allowed: at most " +
                             std::to_string(static_cast<std::size_t>(name_max) - kTempSuffix) +
                             ", as the temporary file written beside it needs " +
                             std::to_string(kTempSuffix) + " more)");
  }
  // An unnamed file in the directory: proves it takes new files, and vanishes on close.
  int fd = ::open(dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
  if (fd >= 0) {
    ::close(fd);
    return;
  }
  if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL && errno != ENOENT) {
    cannot_write(path, errno);
  }
  // A file system without O_TMPFILE: a named probe, removed at once.
  std::string probe = dir + "/.parlab-probe-XXXXXX";
  fd = ::mkostemp(probe.data(), O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    struct stat d {};
    if (::stat(dir.c_str(), &d) != 0) cannot_write(path, err);  // no such directory
    throw std::runtime_error("cannot write '" + path + "': no new file can be made in '" + dir +
                             "' (" + std::strerror(err) + ")");
  }
  ::close(fd);
  ::unlink(probe.c_str());
}

void write_file_atomically(const std::string& path, std::string_view text) {
  if (path.empty()) throw std::runtime_error("cannot write '': the path is empty");
  if (is_special(path)) {
    write_in_place(path, text);
    return;
  }
  const std::string dir = directory_of(path);
  const auto slash = path.find_last_of('/');
  const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  std::string temp = dir + "/." + base + ".XXXXXX";
  const int fd = ::mkostemp(temp.data(), O_CLOEXEC);
  if (fd < 0) cannot_write(path, errno);
  detail::track_temp_file(temp.c_str());
  int err = 0;
  // The permissions a new file would get (0666 less the umask), or the old file's.
  struct stat old {};
  mode_t mode = 0;
  if (::stat(path.c_str(), &old) == 0) {
    mode = old.st_mode & 07777;
  } else {
    const mode_t mask = ::umask(0);
    ::umask(mask);
    mode = 0666 & ~mask;
  }
  if (::fchmod(fd, mode) != 0 || !detail::write_all(fd, text.data(), text.size()) ||
      ::fsync(fd) != 0) {
    err = errno;
  }
  if (::close(fd) != 0 && err == 0 && errno != EINTR) err = errno;
  if (err == 0 && ::rename(temp.c_str(), path.c_str()) != 0) err = errno;
  if (err != 0) ::unlink(temp.c_str());
  detail::untrack_temp_file();
  if (err != 0) cannot_write(path, err);
}

}  // namespace parlab
