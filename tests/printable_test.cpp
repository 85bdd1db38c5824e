// printable(): what a terminal would act on is shown, the rest of UTF-8 kept.

#include <parlab/printable.hpp>

#include <gtest/gtest.h>

#include <string>

namespace parlab {
namespace {

TEST(Printable, ControlBytesAreShownAsHexAndTextIsKept) {
  EXPECT_EQ(printable("plain text, 42 ~!"), "plain text, 42 ~!");
  EXPECT_EQ(printable("\033[31mRED\033]0;pwned\007"), "\\x1b[31mRED\\x1b]0;pwned\\x07");
  EXPECT_EQ(printable(std::string("a\0b", 3)), "a\\x00b");
  EXPECT_EQ(printable("a\rb\x7f"), "a\\x0db\\x7f");
  EXPECT_EQ(printable("two\nlines\tand a tab"), "two\\x0alines\\x09and a tab");
  EXPECT_EQ(printable("two\nlines\tand a tab", true), "two\nlines\tand a tab");
}

TEST(Printable, Utf8IsKeptButC1ControlsAndBrokenSequencesAreNot) {
  EXPECT_EQ(printable("R² = 0.99 · µs · 日本 · 🙂"),
            "R² = 0.99 · µs · 日本 · 🙂");
  EXPECT_EQ(printable("\xc2\x9b"
                      "31m"),
            "\\xc2\\x9b31m");                                        // U+009B, the C1 CSI
  EXPECT_EQ(printable("\xc3"), "\\xc3");                             // cut short
  EXPECT_EQ(printable("\xc0\xaf"), "\\xc0\\xaf");                    // overlong '/'
  EXPECT_EQ(printable("\xed\xa0\x80"), "\\xed\\xa0\\x80");           // a surrogate
  EXPECT_EQ(printable("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");  // past U+10FFFF
  EXPECT_EQ(printable("\xff"), "\\xff");
}

}  // namespace
}  // namespace parlab
