// Your own task graph from a file: JSON ({"tasks": [{"id": "a", "after": [], "compute": 2000,
// "wait_ms": 0}, ...]}) or Graphviz DOT (a -> b; a [compute=2000, wait_ms=5];). Every fault is
// one line naming the file and the line or key at fault.

#include <parlab/task_graph.hpp>
#include <parlab/workload.hpp>

#include "workloads/generators.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace parlab {
namespace {

constexpr double kMaxWaitMs = 3'600'000.0;          // an hour
constexpr std::uint64_t kMaxCompute = 100'000'000;  // the cpu workload's largest size

[[noreturn]] void fail(std::string_view source, const std::string& what) {
  throw std::invalid_argument(fmt::format("{}: {}", source, what));
}

/// The line (from 1) of byte `offset` in `text`.
std::size_t line_of(std::string_view text, std::size_t offset) {
  offset = std::min(offset, text.size());
  return 1 + static_cast<std::size_t>(std::count(
                 text.begin(), text.begin() + static_cast<std::ptrdiff_t>(offset), '\n'));
}

/// Sets attribute `key` of `t` from its text or number; false for an unknown key.
bool set_attribute(graph_file_task& t, std::string_view key, double value,
                   const std::string& where) {
  const auto in_range = [&](double low, double high) {
    if (!(value >= low && value <= high)) {
      throw std::invalid_argument(fmt::format("{}: {} must be a number in [{}, {}] (got {})", where,
                                              key, low, high, value));
    }
  };
  if (key == "compute") {
    in_range(0, static_cast<double>(kMaxCompute));
    if (value != std::floor(value)) {
      throw std::invalid_argument(
          fmt::format("{}: compute is a whole number of units (got {})", where, value));
    }
    t.compute = static_cast<std::uint64_t>(value);
  } else if (key == "wait_ms") {
    in_range(0, kMaxWaitMs);
    t.wait_ms = value;
  } else if (key == "duration_ms") {
    in_range(0, kMaxWaitMs);
    t.duration_ms = value;
  } else if (key == "bytes") {
    in_range(0, static_cast<double>(max_output_bytes));
    if (value != std::floor(value)) {
      throw std::invalid_argument(
          fmt::format("{}: bytes is a whole number (got {})", where, value));
    }
    t.bytes = static_cast<std::uint64_t>(value);
  } else {
    return false;
  }
  return true;
}

std::vector<graph_file_task> parse_json(std::string_view text, std::string_view source) {
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::parse_error& e) {
    std::string why = e.what();
    if (const auto colon = why.rfind(": "); colon != std::string::npos) why = why.substr(colon + 2);
    fail(source,
         fmt::format("line {}: not JSON: {}", line_of(text, e.byte == 0 ? 0 : e.byte - 1), why));
  }
  if (!doc.is_object() || !doc.contains("tasks") || !doc["tasks"].is_array()) {
    fail(source, "a graph file in JSON is an object with \"tasks\": [ ... ] (an array of tasks)");
  }
  for (const auto& [key, value] : doc.items()) {
    if (key != "tasks") fail(source, fmt::format("unknown key '{}' (allowed: tasks)", key));
  }
  std::vector<graph_file_task> out;
  for (std::size_t k = 0; k < doc["tasks"].size(); ++k) {
    const auto& j = doc["tasks"][k];
    const std::string where = fmt::format("task {}", k);
    if (!j.is_object()) fail(source, where + ": a task is an object {\"id\": ..., ...}");
    graph_file_task t;
    if (!j.contains("id") || !j["id"].is_string() || j["id"].get<std::string>().empty()) {
      fail(source, where + ": needs an \"id\" (a non-empty string)");
    }
    t.id = j["id"].get<std::string>();
    const std::string named = fmt::format("task {} ('{}')", k, t.id);
    for (const auto& [key, value] : j.items()) {
      if (key == "id") continue;
      if (key == "after") {
        if (!value.is_array()) fail(source, named + ": after is an array of task ids");
        for (const auto& p : value) {
          if (!p.is_string()) fail(source, named + ": after is an array of task ids (strings)");
          t.after.push_back(p.get<std::string>());
        }
        continue;
      }
      if (!value.is_number()) {
        if (key == "compute" || key == "wait_ms" || key == "duration_ms" || key == "bytes") {
          fail(source, fmt::format("{}: {} is a number", named, key));
        }
        fail(source, fmt::format("{}: unknown key '{}' (allowed: id, after, compute, wait_ms, "
                                 "duration_ms, bytes)",
                                 named, key));
      }
      if (!set_attribute(t, key, value.get<double>(), fmt::format("{}: {}", source, named))) {
        fail(source, fmt::format("{}: unknown key '{}' (allowed: id, after, compute, wait_ms, "
                                 "duration_ms, bytes)",
                                 named, key));
      }
    }
    out.push_back(std::move(t));
  }
  return out;
}

/// A small reader of the DOT subset a task graph needs: `digraph NAME { ... }` holding node
/// statements (`a [compute=2000, wait_ms=5];`), edge chains (`a -> b -> c;`), and graph, node
/// and edge defaults or `key=value` lines, which are skipped. Comments: //, # and /* */.
class dot_reader {
 public:
  dot_reader(std::string_view text, std::string_view source) : text_(text), source_(source) {}

  std::vector<graph_file_task> read() {
    skip_space();
    std::string word = identifier("'digraph'");
    if (word == "strict") word = identifier("'digraph'");
    if (word != "digraph") {
      error(word == "graph" ? "an undirected graph has no order: use digraph and ->"
                            : "a DOT graph file starts with 'digraph' (got '" + word + "')");
    }
    skip_space();
    if (peek() != '{') (void)identifier("the graph's name or '{'");
    expect('{');
    while (true) {
      skip_space();
      if (at_end()) error("the graph is not closed: '}' is missing");
      if (peek() == '}') {
        ++at_;
        break;
      }
      if (peek() == ';') {
        ++at_;
        continue;
      }
      statement();
    }
    skip_space();
    if (!at_end()) error("text after the graph's closing '}'");
    return std::move(tasks_);
  }

 private:
  void statement() {
    const std::size_t line = line_of(text_, at_);
    std::string first = identifier("a task id");
    skip_space();
    if ((first == "graph" || first == "node" || first == "edge") && peek() == '[') {
      (void)attributes(nullptr, line);  // defaults for drawing: not the graph's
      return;
    }
    if (peek() == '=') {  // a graph attribute (rankdir=LR)
      ++at_;
      skip_space();
      (void)identifier("a value");
      return;
    }
    std::vector<std::string> chain{first};
    while (skip_space(), text_.substr(at_, 2) == "->") {
      at_ += 2;
      skip_space();
      chain.push_back(identifier("a task id after '->'"));
    }
    skip_space();
    if (text_.substr(at_, 2) == "--") error("'--' is an undirected edge: use '->'");
    for (const auto& id : chain) (void)task_named(id);
    for (std::size_t k = 1; k < chain.size(); ++k) {
      auto& after = tasks_[index_[chain[k]]].after;
      if (std::find(after.begin(), after.end(), chain[k - 1]) == after.end()) {
        after.push_back(chain[k - 1]);
      }
    }
    if (peek() == '[') {
      if (chain.size() > 1) {
        (void)attributes(nullptr, line);  // an edge's attributes (a label): drawing only
      } else {
        (void)attributes(&tasks_[index_[first]], line);
      }
    }
  }

  /// Reads [k=v, k=v]; into `t` (nullptr: skipped).
  bool attributes(graph_file_task* t, std::size_t line) {
    expect('[');
    while (true) {
      skip_space();
      if (peek() == ']') {
        ++at_;
        return true;
      }
      if (peek() == ',' || peek() == ';') {
        ++at_;
        continue;
      }
      const std::string key = identifier("an attribute name");
      skip_space();
      expect('=');
      skip_space();
      const std::size_t value_at = at_;
      const std::string value = identifier("an attribute value");
      if (t == nullptr || key == "label" || key == "shape" || key == "color" || key == "style") {
        continue;
      }
      double number = 0;
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), number);
      const std::string where =
          fmt::format("{}: line {}: task '{}'", source_, line_of(text_, value_at), t->id);
      if (key != "compute" && key != "wait_ms" && key != "duration_ms" && key != "bytes") {
        throw std::invalid_argument(fmt::format(
            "{}: unknown attribute '{}' (allowed: compute, wait_ms, duration_ms, bytes; label, "
            "shape, "
            "color and style are for drawing)",
            where, key));
      }
      if (ec != std::errc{} || end != value.data() + value.size()) {
        throw std::invalid_argument(
            fmt::format("{}: {} must be a number (got '{}')", where, key, value));
      }
      (void)set_attribute(*t, key, number, where);
    }
    (void)line;
  }

  graph_file_task& task_named(const std::string& id) {
    const auto [it, added] = index_.try_emplace(id, tasks_.size());
    if (added) tasks_.push_back({id, {}, 0, 0.0, std::nullopt});
    return tasks_[it->second];
  }

  std::string identifier(const char* what) {
    skip_space();
    if (at_end()) error(fmt::format("the file ends where {} should be", what));
    if (peek() == '"') {
      std::string out;
      for (++at_; !at_end() && peek() != '"'; ++at_) {
        if (peek() == '\\' && at_ + 1 < text_.size()) ++at_;
        out += peek();
      }
      if (at_end()) error("a quoted id is not closed");
      ++at_;
      return out;
    }
    const std::size_t from = at_;
    while (!at_end() &&
           (std::isalnum(static_cast<unsigned char>(peek())) != 0 || peek() == '_' ||
            peek() == '.' ||
            (peek() == '-' && text_.substr(at_, 2) != "->" && text_.substr(at_, 2) != "--"))) {
      ++at_;
    }
    if (at_ == from) {
      error(fmt::format("expected {}, got '{}'", what, std::string(1, peek())));
    }
    return std::string(text_.substr(from, at_ - from));
  }

  void skip_space() {
    while (!at_end()) {
      const char c = peek();
      if (std::isspace(static_cast<unsigned char>(c)) != 0) {
        ++at_;
      } else if (c == '#' || text_.substr(at_, 2) == "//") {
        while (!at_end() && peek() != '\n') ++at_;
      } else if (text_.substr(at_, 2) == "/*") {
        const auto end = text_.find("*/", at_ + 2);
        if (end == std::string_view::npos) error("a /* comment is not closed");
        at_ = end + 2;
      } else {
        return;
      }
    }
  }

  void expect(char c) {
    skip_space();
    if (at_end() || peek() != c) {
      error(fmt::format("expected '{}'{}", c,
                        at_end() ? std::string(" before the end of the file")
                                 : fmt::format(", got '{}'", std::string(1, peek()))));
    }
    ++at_;
  }

  [[noreturn]] void error(const std::string& what) const {
    fail(source_, fmt::format("line {}: {}", line_of(text_, at_), what));
  }
  [[nodiscard]] bool at_end() const { return at_ >= text_.size(); }
  [[nodiscard]] char peek() const { return text_[at_]; }

  std::string_view text_;
  std::string_view source_;
  std::size_t at_ = 0;
  std::vector<graph_file_task> tasks_;
  std::map<std::string, std::size_t> index_;
};

}  // namespace

std::vector<graph_file_task> parse_graph_file(std::string_view text, std::string_view source) {
  const auto first = text.find_first_not_of(" \t\r\n");
  std::vector<graph_file_task> tasks;
  if (first != std::string_view::npos && text[first] == '{') {
    tasks = parse_json(text, source);
  } else {
    tasks = dot_reader(text, source).read();
  }
  if (tasks.empty()) fail(source, "the graph has no tasks");
  if (tasks.size() > 1'000'000) fail(source, "more than 1000000 tasks");
  // Ids are unique, and every predecessor is one of them.
  std::map<std::string, std::size_t> index;
  for (std::size_t k = 0; k < tasks.size(); ++k) {
    const auto [it, added] = index.try_emplace(tasks[k].id, k);
    if (!added) {
      fail(source,
           fmt::format("task '{}' is defined twice (tasks {} and {})", tasks[k].id, it->second, k));
    }
  }
  task_dependencies after(tasks.size());
  std::vector<std::string> labels;
  for (std::size_t k = 0; k < tasks.size(); ++k) {
    labels.push_back(tasks[k].id);
    for (const auto& p : tasks[k].after) {
      const auto it = index.find(p);
      if (it == index.end()) {
        fail(source, fmt::format("task '{}' waits for '{}', which is not defined", tasks[k].id, p));
      }
      after[k].push_back(it->second);
    }
  }
  try {
    check_dependencies(after, labels);
  } catch (const std::invalid_argument& e) {
    fail(source, e.what());
  }
  return tasks;
}

std::vector<task> tasks_of_graph(const std::vector<graph_file_task>& graph, std::uint64_t seed,
                                 std::string_view source) {
  std::map<std::string, std::size_t> index;
  for (std::size_t k = 0; k < graph.size(); ++k) index.emplace(graph[k].id, k);
  std::vector<task> out;
  out.reserve(graph.size());
  for (std::size_t k = 0; k < graph.size(); ++k) {
    const graph_file_task& g = graph[k];
    if (g.duration_ms && g.compute == 0 && g.wait_ms == 0) {
      fail(source, fmt::format("task '{}' has only duration_ms, which parlab predict reads: to run "
                               "it, give compute (units) and/or wait_ms",
                               g.id));
    }
    std::vector<step> steps;
    if (g.compute > 0) steps.push_back({step_kind::compute, g.compute});
    if (g.wait_ms > 0) {
      steps.push_back({step_kind::wait, static_cast<std::uint64_t>(std::llround(g.wait_ms * 1e6))});
    }
    task t = make_step_task(k, g.id, detail::task_seed(seed, 0), std::move(steps));
    for (const auto& p : g.after) t.after.push_back(index.at(p));
    t.output_bytes = static_cast<std::size_t>(g.bytes);
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace parlab
