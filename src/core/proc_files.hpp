#pragma once
// Internal: the one way parlab reads the kernel's files (/proc, /sys). A file read once is opened
// close-on-exec and read to its end (the kernel makes /proc text as it is read: one read may
// return part of it); a file read again and again is kept open and read with one pread at offset
// 0 (one system call, no seek: the sampler's looks, a thread's run-queue delay).

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace parlab::detail {

/// Opens `path` for reading, close-on-exec; -1 when it cannot be.
[[nodiscard]] int open_proc(const char* path) noexcept;

/// One pread of the kept-open `fd` at offset 0 into `buf`: the text, empty when the file is gone
/// (its task ended) or `fd` is -1. Retries on EINTR.
[[nodiscard]] std::string_view pread_proc(int fd, std::span<char> buf) noexcept;

/// `path` read to its end into `buf` (at most its size): the text, empty when it cannot be
/// opened. Allocates nothing (safe in a forked child).
[[nodiscard]] std::string_view read_proc_into(const char* path, std::span<char> buf) noexcept;

/// `path` read to its end (at most `limit` bytes), or nullopt when it cannot be opened.
[[nodiscard]] std::optional<std::string> read_proc(const std::string& path,
                                                   std::size_t limit = std::size_t{1} << 20);

/// The first line of `path` without its newline; "" when it cannot be read.
[[nodiscard]] std::string read_proc_line(const std::string& path);

/// The entries of directory `path` that are numbers (PIDs, TIDs), ascending; empty when it
/// cannot be listed.
[[nodiscard]] std::vector<long> proc_numbered_entries(const std::string& path);

}  // namespace parlab::detail
