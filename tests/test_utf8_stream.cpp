// gpt2::Utf8Stream and is_valid_utf8 against hand-worked byte sequences.
#include <string>

#include <gtest/gtest.h>

#include "gpt2/utf8_stream.hpp"

namespace gpt2 {
namespace {

const std::string kFFFD = "\xEF\xBF\xBD";

// Pushes `parts` one by one and collects everything, flush included.
std::string through(std::initializer_list<std::string> parts) {
    Utf8Stream s;
    std::string out;
    for (const auto& p : parts) out += s.push(p);
    return out + s.flush();
}

TEST(Utf8Stream, PassesAsciiAndWholeCharactersAtOnce) {
    Utf8Stream s;
    EXPECT_EQ(s.push("abc"), "abc");
    EXPECT_EQ(s.push("\xC3\xA9"), "\xC3\xA9");   // é
    EXPECT_EQ(s.pending_size(), 0u);
    EXPECT_EQ(s.flush(), "");
}

TEST(Utf8Stream, HoldsBackASplitCharacterUntilComplete) {
    Utf8Stream s;
    // "€" = E2 82 AC arriving one byte per token, then "!".
    EXPECT_EQ(s.push("x\xE2"), "x");
    EXPECT_EQ(s.pending_size(), 1u);
    EXPECT_EQ(s.push("\x82"), "");
    EXPECT_EQ(s.pending_size(), 2u);
    EXPECT_EQ(s.push("\xAC!"), "\xE2\x82\xAC!");
    // A 4-byte emoji U+1F600 = F0 9F 98 80 split 2 + 2.
    EXPECT_EQ(s.push("\xF0\x9F"), "");
    EXPECT_EQ(s.push("\x98\x80"), "\xF0\x9F\x98\x80");
}

TEST(Utf8Stream, ReplacesInvalidBytesByMaximalSubparts) {
    // Lone continuation byte, then a byte that never starts anything.
    EXPECT_EQ(through({"a\x80" "b"}), "a" + kFFFD + "b");
    EXPECT_EQ(through({"\xFF"}), kFFFD);
    // E2 82 followed by 'A': the maximal subpart E2 82 is one U+FFFD, A kept.
    EXPECT_EQ(through({"\xE2\x82", "A"}), kFFFD + "A");
    // Overlong C0 AF: C0 is never valid, AF is a lone continuation: two U+FFFD.
    EXPECT_EQ(through({"\xC0\xAF"}), kFFFD + kFFFD);
    // Surrogate ED A0 80: ED allows only 80..9F next, so ED, A0, 80 -> three.
    EXPECT_EQ(through({"\xED\xA0\x80"}), kFFFD + kFFFD + kFFFD);
    // Above U+10FFFF: F4 90 ... -> F4 alone is a subpart, then 90, 80, 80.
    EXPECT_EQ(through({"\xF4\x90\x80\x80"}), kFFFD + kFFFD + kFFFD + kFFFD);
    // E0 80 (overlong 3-byte) -> E0, 80.
    EXPECT_EQ(through({"\xE0\x80"}), kFFFD + kFFFD);
}

TEST(Utf8Stream, FlushTurnsAnUnfinishedSequenceIntoOneReplacement) {
    Utf8Stream s;
    EXPECT_EQ(s.push("ok\xF0\x9F\x98"), "ok");
    EXPECT_EQ(s.flush(), kFFFD);
    EXPECT_EQ(s.pending_size(), 0u);
    EXPECT_EQ(s.push("z"), "z");   // reset: nothing left over
}

TEST(Utf8Stream, KeepsBomAndNul) {
    const std::string bom = "\xEF\xBB\xBF";
    EXPECT_EQ(through({bom + "x"}), bom + "x");
    EXPECT_EQ(through({std::string("a\0b", 3)}), std::string("a\0b", 3));
}

TEST(Utf8Stream, OutputIsAlwaysValidForEverySplitOfEveryTwoBytes) {
    // Exhaustive over 2-byte inputs pushed as two pieces, plus a valid tail.
    for (int a = 0; a < 256; ++a) {
        for (int b = 0; b < 256; ++b) {
            Utf8Stream s;
            std::string out = s.push(std::string(1, static_cast<char>(a)));
            out += s.push(std::string(1, static_cast<char>(b)));
            out += s.push("\xC3\xA9");
            out += s.flush();
            ASSERT_TRUE(is_valid_utf8(out)) << a << " " << b;
            ASSERT_EQ(out.substr(out.size() - 2), "\xC3\xA9") << a << " " << b;
        }
    }
}

TEST(Utf8Validity, HandPickedCases) {
    EXPECT_TRUE(is_valid_utf8(""));
    EXPECT_TRUE(is_valid_utf8("plain"));
    EXPECT_TRUE(is_valid_utf8("\xF4\x8F\xBF\xBF"));    // U+10FFFF
    EXPECT_TRUE(is_valid_utf8("\xED\x9F\xBF"));        // U+D7FF
    EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));       // U+D800
    EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));   // U+110000
    EXPECT_FALSE(is_valid_utf8("\xC1\xBF"));           // overlong
    EXPECT_FALSE(is_valid_utf8("\xE2\x82"));           // truncated
}

}  // namespace
}  // namespace gpt2
