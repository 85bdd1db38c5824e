#include "core/live_threads.hpp"

#include <atomic>

namespace parlab::detail {
namespace {
// seq_cst is fine here: two updates per thread lifetime.
std::atomic<std::size_t> g_live{0};
}  // namespace

std::size_t live_threads() noexcept { return g_live.load(); }
live_thread_guard::live_thread_guard() noexcept { g_live.fetch_add(1); }
live_thread_guard::~live_thread_guard() { g_live.fetch_sub(1); }

}  // namespace parlab::detail
