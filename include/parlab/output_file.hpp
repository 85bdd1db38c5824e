#pragma once
/// @file Output files written whole or not at all.

#include <string>
#include <string_view>

namespace parlab {

/// Writes `text` to `path` atomically: into a temporary file in the same directory, flushed,
/// fsynced, closed (each checked) and renamed over `path`; readers see the previous file or the
/// complete new one, never an empty or partial one. A temporary file is removed on failure (and
/// by a second interrupting signal). `path` naming a device or FIFO (/dev/null, /dev/stdout,
/// /dev/full) is written directly. Throws std::runtime_error "cannot write 'PATH': why".
/// Thread-safe for distinct paths; blocks.
void write_file_atomically(const std::string& path, std::string_view text);

/// Throws std::runtime_error "cannot write 'PATH': why" unless `path` can be written: its
/// directory exists and takes new files (probed with an unnamed O_TMPFILE file, so nothing
/// appears), and `path` is not a directory. Creates and changes nothing. Blocks.
void check_writable(const std::string& path);

}  // namespace parlab
