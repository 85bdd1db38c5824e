#pragma once
// Internal: one step of a spin-wait, for the few places that wait a short while on a core that
// would otherwise idle (the thread pool's workers between jobs, the amdahl serial section).

namespace parlab::detail {

/// Tells the core this is a busy loop (it yields to a sibling hyperthread, saves power).
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

}  // namespace parlab::detail
