#pragma once
/// @file Watching any program (`parlab watch`): what the process sampler (parlab/proc_sampler.hpp)
/// saw, as a run parlab's pictures, verdict and tables draw - the verdict by the executors' own
/// decide(). The JSON document and the terminal summary are in parlab/report.hpp.

#include <parlab/experiment.hpp>
#include <parlab/proc_sampler.hpp>
#include <parlab/timeline.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>

namespace parlab {

/// The run parlab's pictures, verdict and tables draw for a watch: one worker lane per thread
/// (named "comm tid"; a process's main thread's tid is its PID), its task
/// events, the summary, the core-busy histogram and the wait reasons. Its peaks (in flight,
/// running) are the levels held for at least `min_hold_ns` at a stretch, dips shorter than one
/// interval bridged: a briefer overlap is a start-up or hand-over moment (a parent forking its
/// workers before it waits for them; a GIL passing between threads, where the kernel's figures
/// place each side's CPU time only to within an interval), below what the sampler resolves. Pure.
[[nodiscard]] measured_run watch_run(const watch_result& w, std::int64_t min_hold_ns);

/// The hold watch_run uses by default: ten intervals, at least 10 ms.
[[nodiscard]] std::int64_t watch_min_hold_ns(std::chrono::microseconds interval) noexcept;

/// A watch's summary over [from, to) only (e.g. the window of one of parlab's own runs, to
/// compare with what its recorder saw): `events` (a watch's, on `lanes` lanes, sampled every
/// `interval_ns`) clipped to the window, peaks as watch_run takes them, the verdict for `cores`.
/// Pure.
[[nodiscard]] concurrency_summary watch_summary(std::span<const event> events, std::size_t lanes,
                                                std::size_t cores, std::int64_t from,
                                                std::int64_t to, std::int64_t min_hold_ns,
                                                std::int64_t interval_ns);

/// Too short to judge: less than two intervals between the first and last look, or no task.
[[nodiscard]] bool too_short_to_judge(const watch_result& w) noexcept;

}  // namespace parlab
