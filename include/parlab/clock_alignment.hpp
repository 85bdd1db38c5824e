#pragma once
/// @file Clock alignment across hosts, as the established MPI tracers do it: a burst of
/// ping-pongs between a reference (rank 0) and each host's leader at the start and another at the
/// end; from each burst the exchange with the shortest round trip gives the offset (the NTP
/// formula); the two offsets give a linear drift; the uncertainty is half that round trip. Raw
/// times stay as recorded; they are corrected when merged. Pure functions: the MPI model feeds
/// them real exchanges, tests feed them clocks with a known skew.
///
/// For one exchange, in nanoseconds of each side's own monotonic clock:
///   t0 = sent (reference), t1 = remote received, t2 = remote replied, t3 = received (reference)
///   round trip  d = (t3 - t0) - (t2 - t1)
///   offset      theta = ((t1 - t0) + (t2 - t3)) / 2   (the remote clock is ahead by theta)
///   a remote time t is t - theta on the reference clock, within +-d/2.

#include <cstddef>
#include <cstdint>
#include <span>

namespace parlab {

/// One ping-pong, each time on its own side's clock.
struct ping_exchange {
  std::int64_t sent_ns = 0;             ///< t0, reference clock: the ping left
  std::int64_t remote_received_ns = 0;  ///< t1, remote clock: the ping arrived
  std::int64_t remote_replied_ns = 0;   ///< t2, remote clock: the pong left
  std::int64_t received_ns = 0;         ///< t3, reference clock: the pong arrived
};

/// What one burst of exchanges says.
struct offset_estimate {
  double offset_ns = 0.0;       ///< theta: the remote clock minus the reference clock
  double round_trip_ns = 0.0;   ///< d of the exchange used (the shortest)
  double uncertainty_ns = 0.0;  ///< d / 2: the true offset lies within offset_ns +- this
  double at_remote_ns = 0.0;    ///< when, on the remote clock (the middle of t1 and t2)
};

/// The exchange with the shortest round trip, turned into an offset. Throws
/// std::invalid_argument for no exchanges or one whose times run backwards (t3 < t0, t2 < t1,
/// or a negative round trip).
[[nodiscard]] offset_estimate estimate_offset(std::span<const ping_exchange> burst);

/// A remote clock against the reference: an offset that changes linearly (drift).
struct clock_model {
  double offset_ns = 0.0;       ///< theta at `at_remote_ns`
  double drift = 0.0;           ///< d theta / d t (remote time): 1e-6 is 1 us per second
  double at_remote_ns = 0.0;    ///< where offset_ns was measured
  double uncertainty_ns = 0.0;  ///< the larger of the two bursts' uncertainties

  /// A remote time on the reference clock.
  [[nodiscard]] std::int64_t to_reference(std::int64_t remote_ns) const noexcept;
};

/// The model from one burst (no drift: a host on the reference's own clock, or a short run).
[[nodiscard]] clock_model align_clocks(const offset_estimate& start);

/// The model from a burst at the start and one at the end: the drift is the change of offset
/// over the remote time between them. When the change is within the two bursts' uncertainties
/// together, no drift can be told from the noise: the model is their mean offset without drift,
/// uncertain by the larger uncertainty plus half the change. Throws std::invalid_argument when
/// the end burst is not later than the start one.
[[nodiscard]] clock_model align_clocks(const offset_estimate& start, const offset_estimate& end);

/// One message as merged: when its send began (sender, reference clock) and when its receive
/// ended (receiver, reference clock).
struct message_times {
  std::int64_t send_started_ns = 0;
  std::int64_t receive_ended_ns = 0;
};

/// Messages whose receive appears to end before their send began: each one is a clock error
/// larger than the alignment claims. They are counted, never moved. Pure.
[[nodiscard]] std::size_t count_impossible_messages(std::span<const message_times> messages);

/// True when two intervals on different hosts overlap by more than the alignment can vouch for:
/// `uncertainty_ns` is how far the two hosts' clocks may be off against each other (the sum of
/// their uncertainties against the reference; a host against the reference: its own). Only then
/// may a verdict call them simultaneous. Pure.
[[nodiscard]] bool overlap_beyond_uncertainty(std::int64_t a_start, std::int64_t a_end,
                                              std::int64_t b_start, std::int64_t b_end,
                                              double uncertainty_ns) noexcept;

}  // namespace parlab
