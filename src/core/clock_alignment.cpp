// Clock alignment across hosts (clock_alignment.hpp): the NTP offset of the shortest round trip
// of a burst, linear drift between two bursts, and the checks a merged timeline must pass.

#include <parlab/clock_alignment.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace parlab {

offset_estimate estimate_offset(std::span<const ping_exchange> burst) {
  if (burst.empty()) throw std::invalid_argument("clock alignment: no ping-pong exchanges");
  const ping_exchange* best = nullptr;
  double best_trip = 0.0;
  for (std::size_t i = 0; i < burst.size(); ++i) {
    const ping_exchange& e = burst[i];
    const double local = static_cast<double>(e.received_ns - e.sent_ns);
    const double remote = static_cast<double>(e.remote_replied_ns - e.remote_received_ns);
    if (local < 0 || remote < 0 || local < remote) {
      throw std::invalid_argument(
          fmt::format("clock alignment: exchange {} runs backwards (reference {} ns, remote {} ns)",
                      i + 1, local, remote));
    }
    const double trip = local - remote;
    if (best == nullptr || trip < best_trip) {
      best = &e;
      best_trip = trip;
    }
  }
  offset_estimate out;
  out.round_trip_ns = best_trip;
  out.uncertainty_ns = best_trip / 2.0;
  out.offset_ns = (static_cast<double>(best->remote_received_ns - best->sent_ns) +
                   static_cast<double>(best->remote_replied_ns - best->received_ns)) /
                  2.0;
  out.at_remote_ns = (static_cast<double>(best->remote_received_ns) +
                      static_cast<double>(best->remote_replied_ns)) /
                     2.0;
  return out;
}

std::int64_t clock_model::to_reference(std::int64_t remote_ns) const noexcept {
  const double t = static_cast<double>(remote_ns);
  const double theta = offset_ns + drift * (t - at_remote_ns);
  return static_cast<std::int64_t>(std::llround(t - theta));
}

clock_model align_clocks(const offset_estimate& start) {
  clock_model m;
  m.offset_ns = start.offset_ns;
  m.at_remote_ns = start.at_remote_ns;
  m.uncertainty_ns = start.uncertainty_ns;
  return m;
}

clock_model align_clocks(const offset_estimate& start, const offset_estimate& end) {
  const double span = end.at_remote_ns - start.at_remote_ns;
  if (!(span > 0)) {
    throw std::invalid_argument(
        fmt::format("clock alignment: the end burst ({} ns) is not later than the start burst "
                    "({} ns) on the remote clock",
                    end.at_remote_ns, start.at_remote_ns));
  }
  clock_model m = align_clocks(start);
  const double change = end.offset_ns - start.offset_ns;
  if (std::abs(change) <= start.uncertainty_ns + end.uncertainty_ns) {
    // The two offsets agree within their uncertainties: no drift can be told from the noise.
    // Their mean holds at both ends within the larger uncertainty and half the change.
    m.offset_ns = (start.offset_ns + end.offset_ns) / 2.0;
    m.uncertainty_ns = std::max(start.uncertainty_ns, end.uncertainty_ns) + std::abs(change) / 2.0;
    return m;
  }
  m.drift = change / span;
  m.uncertainty_ns = std::max(start.uncertainty_ns, end.uncertainty_ns);
  return m;
}

std::size_t count_impossible_messages(std::span<const message_times> messages) {
  return static_cast<std::size_t>(
      std::count_if(messages.begin(), messages.end(),
                    [](const message_times& m) { return m.receive_ended_ns < m.send_started_ns; }));
}

bool overlap_beyond_uncertainty(std::int64_t a_start, std::int64_t a_end, std::int64_t b_start,
                                std::int64_t b_end, double uncertainty_ns) noexcept {
  const double overlap = static_cast<double>(std::min(a_end, b_end) - std::max(a_start, b_start));
  // Shift one interval by the uncertainty either way: the overlap must survive it.
  return overlap > uncertainty_ns;
}

}  // namespace parlab
