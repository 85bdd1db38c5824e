#pragma once
// Internal: one registry of named entries (the execution models, the workloads): a table filled
// with the built-in entries, to which a library user adds their own. Entries live in a deque, so
// adding one never moves the others; readers get copies. Thread-safe.

#include <deque>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace parlab::detail {

template <class Entry>
class named_registry {
 public:
  /// `kind` names the entries in errors ("executor", "workload").
  named_registry(std::string kind, std::vector<Entry> built_in)
      : kind_(std::move(kind)), entries_(built_in.begin(), built_in.end()) {}

  [[nodiscard]] std::vector<Entry> all() const {
    const std::lock_guard lock(mutex_);
    return {entries_.begin(), entries_.end()};
  }

  /// The entry called `name`; std::invalid_argument naming it and the allowed ones otherwise.
  [[nodiscard]] Entry find(std::string_view name) const {
    const std::lock_guard lock(mutex_);
    std::string allowed;
    for (const auto& e : entries_) {
      if (e.name == name) return e;
      allowed += (allowed.empty() ? "" : ", ") + e.name;
    }
    throw std::invalid_argument("unknown " + kind_ + " '" + std::string(name) +
                                "' (allowed: " + allowed + ")");
  }

  /// Adds `entry` (checked by the caller); std::invalid_argument for an empty or taken name.
  void add(Entry entry) {
    const std::string who = "register_" + kind_;
    if (entry.name.empty()) throw std::invalid_argument(who + ": the name is empty");
    const std::lock_guard lock(mutex_);
    for (const auto& e : entries_) {
      if (e.name == entry.name) {
        throw std::invalid_argument(who + ": '" + entry.name + "' is already registered");
      }
    }
    entries_.push_back(std::move(entry));
  }

 private:
  std::string kind_;
  mutable std::mutex mutex_;
  std::deque<Entry> entries_;
};

}  // namespace parlab::detail
