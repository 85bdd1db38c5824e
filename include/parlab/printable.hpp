#pragma once
/// @file Text from outside (a file's line, a saved result's names, a program's thread names, an
/// argument) made safe to print on a terminal: bytes a terminal acts on are shown, not sent.

#include <string>
#include <string_view>

namespace parlab {

/// `text` with every byte a terminal would act on written as `\xNN`: the C0 controls (ESC,
/// BEL, NUL, CR, ...), DEL, the C1 controls (U+0080-U+009F, which some terminals obey too) and
/// bytes that are not UTF-8. Printable ASCII and the rest of UTF-8 are kept as they are; so are
/// newline and tab when `keep_lines` (a table, a report), else they are escaped too (a value
/// quoted in a one-line message). Pure.
[[nodiscard]] std::string printable(std::string_view text, bool keep_lines = false);

}  // namespace parlab
