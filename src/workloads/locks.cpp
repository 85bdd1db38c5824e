// locks: CPU-bound tasks that spend --critical-fraction of their compute inside critical sections
// on --locks shared locks. Each task computes `size` units in 16 rounds; in each round the
// share 1 - f runs outside any lock, then the share f holding one of the N locks, drawn from the
// task's seed (a fixed pattern such as (task + round) mod N can lock two tasks into step on the
// same lock for ever once one falls a round behind). With one lock every critical section of
// every task queues for it: T(W) >= f T(1), so W workers gain at most min(W, 1 / f).
// With N locks two workers collide on about one section in N, and the same work scales. The
// locks are named "lock 0" ... "lock N-1" (lock_step).

#include "core/splitmix.hpp"
#include "workloads/generators.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

namespace parlab::detail {

std::vector<task> make_lock_tasks(std::size_t tasks, std::uint64_t size, std::uint64_t seed,
                                  double critical_fraction, std::size_t locks) {
  if (!(critical_fraction >= 0.0 && critical_fraction <= 1.0)) {
    throw std::invalid_argument("critical fraction must be in [0, 1] (got " +
                                std::to_string(critical_fraction) + ")");
  }
  if (locks == 0 || locks > max_locks) {
    throw std::invalid_argument("locks must be in [1, " + std::to_string(max_locks) + "] (got " +
                                std::to_string(locks) + ")");
  }
  constexpr std::uint64_t kRounds = 16;
  const std::uint64_t rounds = rounds_for(size, kRounds);
  const auto inside =
      static_cast<std::uint64_t>(std::llround(static_cast<double>(size) * critical_fraction));
  const std::uint64_t outside = size - inside;
  std::vector<step> lock_of;  // one lock step per lock, amounts filled per round
  for (std::size_t l = 0; l < locks; ++l)
    lock_of.push_back(lock_step("lock " + std::to_string(l), 0));
  std::vector<task> out;
  out.reserve(tasks);
  for (std::size_t i = 0; i < tasks; ++i) {
    const std::uint64_t seed_i = task_seed(seed, i);
    std::vector<step> steps;
    for (std::uint64_t r = 0; r < rounds; ++r) {
      const std::uint64_t o = round_share(outside, rounds, r);
      const std::uint64_t c = round_share(inside, rounds, r);
      if (o != 0) steps.push_back({step_kind::compute, o});
      if (c != 0) {
        step s = lock_of[splitmix64(seed_i + splitmix64_step * (r + 1)) % locks];
        s.amount = c;
        steps.push_back(s);
      }
    }
    out.push_back(make_step_task(i, "locks#" + std::to_string(i), seed_i, std::move(steps)));
  }
  return out;
}

}  // namespace parlab::detail
