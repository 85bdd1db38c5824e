// Clock alignment across hosts: a remote clock with a known offset and drift, ping-pongs with
// random one-way delays, and the merge must put remote times back on the reference clock within
// the uncertainty it reports.

#include <parlab/clock_alignment.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <vector>

namespace parlab {
namespace {

/// A remote host's clock: reference time plus an offset that drifts.
struct skewed_clock {
  double offset_ns;  // at reference time 0
  double drift;      // ns of offset per ns of reference time
  [[nodiscard]] std::int64_t at(std::int64_t reference_ns) const {
    return reference_ns +
           static_cast<std::int64_t>(std::llround(offset_ns + drift * double(reference_ns)));
  }
};

/// A burst of `n` ping-pongs starting at reference time `from`, with one-way delays drawn from
/// [low, high] ns each way and 5 us spent on the remote side.
std::vector<ping_exchange> burst(const skewed_clock& remote, std::int64_t from, int n,
                                 std::mt19937_64& random, std::int64_t low, std::int64_t high) {
  std::uniform_int_distribution<std::int64_t> delay(low, high);
  std::vector<ping_exchange> out;
  std::int64_t t = from;
  for (int i = 0; i < n; ++i) {
    ping_exchange e;
    e.sent_ns = t;
    const std::int64_t arrives = t + delay(random);
    const std::int64_t replies = arrives + 5'000;
    e.remote_received_ns = remote.at(arrives);
    e.remote_replied_ns = remote.at(replies);
    e.received_ns = replies + delay(random);
    out.push_back(e);
    t = e.received_ns + 50'000;
  }
  return out;
}

TEST(ClockAlignment, AKnownOffsetAndDriftAreRemovedWithinTheReportedUncertainty) {
  std::mt19937_64 random(7);
  for (const double drift : {0.0, 2e-5, -5e-5}) {
    const skewed_clock remote{3.7e6, drift};  // 3.7 ms ahead, drifting up to 50 us per second
    const auto start = estimate_offset(burst(remote, 0, 15, random, 20'000, 200'000));
    const auto end =
        estimate_offset(burst(remote, 10'000'000'000, 15, random, 20'000, 200'000));  // +10 s
    const clock_model model = align_clocks(start, end);
    // Each burst's offset is good to its own uncertainty, so the drift to their sum over the
    // 10 s between them.
    EXPECT_NEAR(model.drift, drift, (start.uncertainty_ns + end.uncertainty_ns) / 1e10)
        << "drift " << drift;
    EXPECT_GT(model.uncertainty_ns, 0.0);
    EXPECT_LE(model.uncertainty_ns, 200'000.0);
    std::uniform_int_distribution<std::int64_t> when(0, 10'000'000'000);
    for (int i = 0; i < 1000; ++i) {
      const std::int64_t truth = when(random);
      const std::int64_t merged = model.to_reference(remote.at(truth));
      // Within the reported uncertainty (plus a nanosecond of rounding).
      ASSERT_LE(std::abs(double(merged - truth)), model.uncertainty_ns + 1.0)
          << "drift " << drift << " at " << truth;
    }
  }
}

TEST(ClockAlignment, TheShortestRoundTripWinsOverSlowAsymmetricOnes) {
  const skewed_clock remote{-1.25e6, 0.0};
  // Slow exchanges whose delay is all on the way out mislead by up to half their round trip;
  // one fast symmetric exchange (10 us each way) pins the offset within 10 us.
  std::vector<ping_exchange> b;
  for (int i = 0; i < 10; ++i) {
    const std::int64_t t = i * 1'000'000;
    b.push_back({t, remote.at(t + 400'000), remote.at(t + 405'000), t + 415'000});
  }
  const std::int64_t t = 20'000'000;
  b.push_back({t, remote.at(t + 10'000), remote.at(t + 15'000), t + 25'000});
  const offset_estimate e = estimate_offset(b);
  EXPECT_DOUBLE_EQ(e.round_trip_ns, 20'000.0);
  EXPECT_DOUBLE_EQ(e.uncertainty_ns, 10'000.0);
  EXPECT_NEAR(e.offset_ns, -1.25e6, 1.0);
  const clock_model same = align_clocks(e);
  EXPECT_EQ(same.drift, 0.0);
  EXPECT_EQ(same.to_reference(remote.at(5'000'000)), 5'000'000);
}

TEST(ClockAlignment, OneHostIsItsOwnReference) {
  std::mt19937_64 random(1);
  const skewed_clock same{0.0, 0.0};
  const auto e = estimate_offset(burst(same, 0, 10, random, 1'000, 3'000));
  EXPECT_LE(std::abs(e.offset_ns), e.uncertainty_ns);
  const clock_model m = align_clocks(e);
  EXPECT_LE(std::abs(double(m.to_reference(123'456'789) - 123'456'789)), m.uncertainty_ns + 1);
}

TEST(ClockAlignment, ADriftWithinTheNoiseIsNotFitted) {
  // Offsets of 100 and 130 ns, each good to +-50 ns, a second apart: the 30 ns change could be
  // noise, so no drift; the mean holds within the larger uncertainty and half the change.
  const clock_model flat =
      align_clocks(offset_estimate{100, 100, 50, 0}, offset_estimate{130, 100, 50, 1e9});
  EXPECT_EQ(flat.drift, 0.0);
  EXPECT_DOUBLE_EQ(flat.offset_ns, 115.0);
  EXPECT_DOUBLE_EQ(flat.uncertainty_ns, 65.0);
  // 1,000 ns apart it is a drift of 0.9 us per second.
  const clock_model drifting =
      align_clocks(offset_estimate{100, 100, 50, 0}, offset_estimate{1'000, 100, 50, 1e9});
  EXPECT_DOUBLE_EQ(drifting.drift, 900e-9);
  EXPECT_DOUBLE_EQ(drifting.uncertainty_ns, 50.0);
}

TEST(ClockAlignment, ImpossibleMessagesAreCountedNotMoved) {
  // Sends and receives on two hosts; merged with the right model none ends before it began,
  // merged naively (remote times taken as they are) the 3.7 ms skew makes some impossible.
  const skewed_clock remote{-3.7e6, 0.0};  // the receiver's clock runs 3.7 ms behind
  std::vector<message_times> naive;
  std::vector<message_times> merged;
  const clock_model model = align_clocks(offset_estimate{-3.7e6, 20'000, 10'000, 0});
  for (int i = 0; i < 20; ++i) {
    const std::int64_t sent = i * 1'000'000;
    const std::int64_t received = sent + 150'000;  // 150 us in flight
    naive.push_back({sent, remote.at(received)});
    merged.push_back({sent, model.to_reference(remote.at(received))});
  }
  EXPECT_EQ(count_impossible_messages(merged), 0U);
  EXPECT_EQ(count_impossible_messages(naive), 20U);
  const std::vector<message_times> one = {{100, 99}, {100, 100}, {100, 101}};
  EXPECT_EQ(count_impossible_messages(one), 1U);
}

TEST(ClockAlignment, OverlapCountsOnlyBeyondTheUncertainty) {
  EXPECT_TRUE(overlap_beyond_uncertainty(0, 1000, 500, 2000, 100));   // 500 ns overlap
  EXPECT_FALSE(overlap_beyond_uncertainty(0, 1000, 950, 2000, 100));  // 50 ns: could be none
  EXPECT_FALSE(overlap_beyond_uncertainty(0, 1000, 2000, 3000, 0));   // apart
}

TEST(ClockAlignment, BadBurstsAreRefusedInOneLine) {
  const auto refuses = [](auto&& call, const char* mention) {
    try {
      call();
      ADD_FAILURE() << "accepted; expected a refusal mentioning " << mention;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(mention), std::string::npos) << e.what();
    }
  };
  refuses([] { (void)estimate_offset({}); }, "no ping-pong");
  const std::vector<ping_exchange> backwards = {{100, 50, 60, 90}};
  refuses([&] { (void)estimate_offset(backwards); }, "runs backwards");
  const std::vector<ping_exchange> slow_remote = {{100, 50, 80, 110}};  // remote 30 > local 10
  refuses([&] { (void)estimate_offset(slow_remote); }, "runs backwards");
  refuses(
      [] {
        (void)align_clocks(offset_estimate{0, 1, 0.5, 100}, offset_estimate{0, 1, 0.5, 100});
      },
      "not later");
}

}  // namespace
}  // namespace parlab
