#include "core/proc_files.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>

namespace parlab::detail {

int open_proc(const char* path) noexcept { return ::open(path, O_RDONLY | O_CLOEXEC); }

std::string_view pread_proc(int fd, std::span<char> buf) noexcept {
  if (fd < 0 || buf.empty()) return {};
  ssize_t n = 0;
  do {
    n = ::pread(fd, buf.data(), buf.size(), 0);
  } while (n < 0 && errno == EINTR);
  return n > 0 ? std::string_view(buf.data(), static_cast<std::size_t>(n)) : std::string_view{};
}

namespace {

/// Reads `fd` to its end or until `room` bytes, appending through `put`; closes it.
template <class Put>
void read_to_end(int fd, std::size_t room, Put put) {
  char chunk[4096];
  while (room > 0) {
    const ssize_t n = ::read(fd, chunk, std::min(sizeof chunk, room));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    put(chunk, static_cast<std::size_t>(n));
    room -= static_cast<std::size_t>(n);
  }
  ::close(fd);
}

}  // namespace

std::string_view read_proc_into(const char* path, std::span<char> buf) noexcept {
  const int fd = open_proc(path);
  if (fd < 0) return {};
  std::size_t have = 0;
  read_to_end(fd, buf.size(), [&](const char* p, std::size_t n) {
    std::copy_n(p, n, buf.data() + have);
    have += n;
  });
  return {buf.data(), have};
}

std::optional<std::string> read_proc(const std::string& path, std::size_t limit) {
  const int fd = open_proc(path.c_str());
  if (fd < 0) return std::nullopt;
  std::string text;
  read_to_end(fd, limit, [&](const char* p, std::size_t n) { text.append(p, n); });
  return text;
}

std::string read_proc_line(const std::string& path) {
  std::string text = read_proc(path, 4096).value_or(std::string());
  if (const auto nl = text.find('\n'); nl != std::string::npos) text.resize(nl);
  return text;
}

std::vector<long> proc_numbered_entries(const std::string& path) {
  std::vector<long> out;
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) return out;
  while (const dirent* e = ::readdir(dir)) {
    const std::string_view name(e->d_name);
    long n = 0;
    const auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), n);
    if (ec == std::errc{} && end == name.data() + name.size()) out.push_back(n);
  }
  ::closedir(dir);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace parlab::detail
