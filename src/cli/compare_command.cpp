// parlab compare A.json B.json: every row both results have, B against A, with a significance
// test; exit 1 when a row got slower beyond the threshold (a check for a user's CI).

#include "cli/cli.hpp"
#include "cli/commands.hpp"
#include "cli/outputs.hpp"

#include <parlab/compare.hpp>
#include <parlab/pictures.hpp>

#include <fmt/format.h>

#include <array>

#include <cstdint>

namespace parlab::cli {
namespace {

saved_result read_side(const std::string& path) {
  const std::string text = read_input_file(path, kMaxResultBytes, "compare",
                                           "a JSON file written by 'parlab run --json PATH'");
  try {
    return read_result_json(text);
  } catch (const std::invalid_argument& e) {
    throw usage_error(fmt::format("compare: '{}': {}", path, e.what()));
  }
}

}  // namespace

int command_compare(const compare_command& c) {
  if (c.a == "-" && c.b == "-") {
    throw usage_error("compare: A and B are both - (allowed: standard input for one of them)");
  }
  const double threshold =
      c.threshold ? parse_number(*c.threshold, "--threshold (percent)", 0.0, 1000.0) / 100.0 : 0.05;
  const output_target json{c.json};
  if (json.requested()) {
    json.check("--json");
    const std::array files{std::pair<const char*, std::string>{"--json", *json.path}};
    const std::array inputs{named_input{"result A", c.a}, named_input{"result B", c.b}};
    require_distinct_files(files, inputs);
  }
  std::FILE* human = json.is_stdout() ? stderr : stdout;
  const saved_result a = read_side(c.a);
  const saved_result b = read_side(c.b);
  comparison result;
  try {
    result = compare_results(a, b, threshold);
  } catch (const std::invalid_argument& e) {
    throw usage_error(fmt::format("compare: '{}' and '{}': {}", c.a, c.b, e.what()));
  }
  print_to(human, format_comparison(result, c.a, c.b));
  if (json.requested()) json.write(to_comparison_json(result, c.a, c.b));
  return result.any_slower() ? exit_task_failed : exit_ok;
}

}  // namespace parlab::cli
