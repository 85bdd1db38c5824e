#include "executors/edge_data.hpp"

#include "core/splitmix.hpp"

#include <cstring>

namespace parlab::detail {

edge_data::edge_data(std::span<const task> tasks) {
  std::vector<std::size_t> successors(tasks.size(), 0);
  for (const task& t : tasks) {
    for (std::size_t p : t.after) {
      if (p < tasks.size()) ++successors[p];
    }
  }
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    if (tasks[i].output_bytes != 0 && successors[i] != 0) active_ = true;
  }
  if (!active_) return;
  outputs_.resize(tasks.size());
  readers_left_ = std::make_unique<std::atomic<std::size_t>[]>(tasks.size());
  for (std::size_t i = 0; i < tasks.size(); ++i) readers_left_[i] = successors[i];
}

std::uint64_t edge_data::read_inputs(const task& t) const noexcept {
  std::uint64_t sum = 0;
  for (std::size_t p : t.after) {
    const std::string& bytes = outputs_[p];
    // Every byte read, word by word: what a consumer of the data does at least once.
    std::uint64_t h = p;
    std::size_t k = 0;
    for (; k + 8 <= bytes.size(); k += 8) {
      std::uint64_t word = 0;
      std::memcpy(&word, bytes.data() + k, 8);
      h = (h ^ word) * 0x100000001B3ULL;
    }
    for (; k < bytes.size(); ++k) h = (h ^ static_cast<unsigned char>(bytes[k])) * 0x100000001B3ULL;
    sum += splitmix64(h ^ bytes.size());
  }
  return sum;
}

void edge_data::produce(const task& t) {
  if (t.output_bytes == 0 || !readers_left_ || readers_left_[t.id] == 0) return;
  std::string out(t.output_bytes, '\0');
  std::uint64_t x = t.seed ^ (t.id * splitmix64_step);
  std::size_t k = 0;
  for (; k + 8 <= out.size(); k += 8) {
    const std::uint64_t word = splitmix64(x += splitmix64_step);
    std::memcpy(out.data() + k, &word, 8);
  }
  for (; k < out.size(); ++k) out[k] = static_cast<char>(splitmix64(x += splitmix64_step));
  outputs_[t.id] = std::move(out);
  produced_.fetch_add(t.output_bytes, std::memory_order_relaxed);
  hold(t.output_bytes);
}

void edge_data::done_with_inputs(const task& t) noexcept {
  for (std::size_t p : t.after) {
    read_.fetch_add(outputs_[p].size(), std::memory_order_relaxed);
    if (readers_left_[p].fetch_sub(1, std::memory_order_acq_rel) == 1) release(p);
  }
}

void edge_data::child_finished(const task& t, std::string output) {
  if (!output.empty()) {
    const std::uint64_t n = output.size();
    outputs_[t.id] = std::move(output);
    produced_.fetch_add(n, std::memory_order_relaxed);
    copied_.fetch_add(n, std::memory_order_relaxed);
    hold(n);
  }
  done_with_inputs(t);
}

std::string_view edge_data::output(std::size_t id) const noexcept { return outputs_[id]; }

void edge_data::count_copied(std::uint64_t bytes) noexcept {
  copied_.fetch_add(bytes, std::memory_order_relaxed);
}

void edge_data::count_elsewhere(const edge_traffic& t) noexcept {
  produced_.fetch_add(t.produced, std::memory_order_relaxed);
  read_.fetch_add(t.read, std::memory_order_relaxed);
  copied_.fetch_add(t.copied, std::memory_order_relaxed);
  raise_peak(t.peak_held);
}

std::string_view edge_data::own_output(const task& t) const noexcept {
  return active_ ? std::string_view(outputs_[t.id]) : std::string_view();
}

void edge_data::put(std::size_t id, std::string bytes) { outputs_[id] = std::move(bytes); }

void edge_data::forget(const task& t) noexcept {
  for (std::size_t p : t.after) std::string().swap(outputs_[p]);
  std::string().swap(outputs_[t.id]);
}

edge_traffic edge_data::traffic() const noexcept {
  return {produced_.load(), read_.load(), copied_.load(), peak_held_.load()};
}

void edge_data::hold(std::uint64_t bytes) noexcept {
  raise_peak(held_.fetch_add(bytes, std::memory_order_relaxed) + bytes);
}

void edge_data::raise_peak(std::uint64_t held) noexcept {
  std::uint64_t peak = peak_held_.load(std::memory_order_relaxed);
  while (held > peak && !peak_held_.compare_exchange_weak(peak, held, std::memory_order_relaxed)) {
  }
}

void edge_data::release(std::size_t id) noexcept {
  held_.fetch_sub(outputs_[id].size(), std::memory_order_relaxed);
  std::string().swap(outputs_[id]);
}

}  // namespace parlab::detail
