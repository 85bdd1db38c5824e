#pragma once
// Per-task run counters in a MAP_SHARED mapping, so runs inside forked children count too (the
// conformance suites of bags and of graphs).

#include <sys/mman.h>

#include <atomic>
#include <cstddef>
#include <new>
#include <stdexcept>

namespace testing_support {

class shared_counters {
 public:
  explicit shared_counters(std::size_t n) : n_(n) {
    void* p = ::mmap(nullptr, bytes(), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::runtime_error("mmap failed");
    counters_ = new (p) std::atomic<int>[n];
  }
  ~shared_counters() { ::munmap(counters_, bytes()); }
  shared_counters(const shared_counters&) = delete;
  shared_counters& operator=(const shared_counters&) = delete;
  std::atomic<int>& operator[](std::size_t i) { return counters_[i]; }

 private:
  std::size_t bytes() const { return n_ * sizeof(std::atomic<int>); }
  std::size_t n_;
  std::atomic<int>* counters_ = nullptr;
};

}  // namespace testing_support
