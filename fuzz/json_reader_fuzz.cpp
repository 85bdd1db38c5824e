// Fuzz target: parlab::read_result_json, which `parlab report` feeds with any file a user names.
// Every input must either parse or throw std::invalid_argument (exit 2 in the CLI): no crash,
// no leak, no other exception, no allocation sized by the input's numbers.

#include <parlab/pictures.hpp>
#include <parlab/report.hpp>

#include "fuzz_target.hpp"

#include <stdexcept>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const parlab::saved_result saved = parlab::read_result_json(text);
    // What `parlab report` does next with a file it accepted: the table and every picture.
    (void)parlab::format_table(saved.runs);
    (void)parlab::to_chrome_trace(saved.machine, saved.runs);
    (void)parlab::to_svg(saved.runs);
    (void)parlab::to_html_report(saved.machine, saved.runs, {});
    for (const auto& r : saved.runs) (void)parlab::format_timeline(r, {96, false});
  } catch (const std::invalid_argument&) {
    // refused in one line: the expected outcome for a bad file
  }
  return 0;
}
