#pragma once
// Internal: parlab watch --live, the watched tree drawn in place on the terminal about twice a
// second (one row per thread: state, CPU share since the last refresh, a short history; how
// many cores the threads kept busy, refresh by refresh; the verdict so far). q or Ctrl-C ends the
// watch.

#include <parlab/proc_sampler.hpp>

#include <termios.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace parlab::cli {

/// What the view keeps from one refresh to the next: each lane's CPU time at the last refresh
/// and its CPU share at each refresh (oldest first), and how many cores the watched threads kept
/// busy over each refresh so far (their CPU time over the refresh's wall time: above 1, two or
/// more ran at the same time).
struct live_memory {
  struct lane {
    std::int64_t cpu_ns = 0;
    std::vector<double> shares;
  };
  std::map<std::uint32_t, lane> lanes;
  std::int64_t last_ns = 0;
  std::vector<double> busy;  ///< cores busy, one per refresh
};

/// Takes the terminal for the length of a watch: an alternate screen, keys read one at a time,
/// and the watched command's standard input, output and errors moved off it (/dev/null and two
/// unnamed files, given back to parlab's standard output and error when the view ends, so
/// nothing the command printed is lost).
class live_screen {
 public:
  /// Throws usage_error when standard input or output is not a terminal.
  explicit live_screen(std::string title);
  ~live_screen();
  live_screen(const live_screen&) = delete;
  live_screen& operator=(const live_screen&) = delete;

  /// Draws what the watch saw so far; a q read from the keyboard interrupts the watch (as
  /// Ctrl-C does). For watch_options::live.
  void draw(const live_view& view) noexcept;

  /// Gives the terminal back, then writes what the command printed meanwhile. Called by the
  /// destructor when not called before.
  void close() noexcept;

 private:
  std::string title_;
  int term_ = -1, keys_ = -1;  // the terminal: drawing, keys
  int saved_in_ = -1, saved_out_ = -1, saved_err_ = -1;
  int out_ = -1, err_ = -1;  // what went to standard output and error
  bool termios_saved_ = false;
  termios termios_{};
  bool quit_sent_ = false;
  bool open_ = false;
  bool utf8_ = false;
  live_memory memory_;
};

/// The screen's text for `view`, at most `height` rows; `memory` carries what it needs from
/// the refresh before and is updated.
[[nodiscard]] std::string live_text(const std::string& title, const live_view& view,
                                    live_memory& memory, int height, bool utf8);

}  // namespace parlab::cli
