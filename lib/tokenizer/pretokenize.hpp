#pragma once
// GPT-2's pre-tokenizer: splits text into the pieces that BPE then encodes
// separately. OpenAI's pattern is
//
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//
// implemented here by hand as a scan over code points (no regex engine):
//   - contractions: an apostrophe U+0027 followed by s t m d / re ve ll, ASCII
//     lowercase only ("'S" is not one);
//   - \p{L}: general category Lu Ll Lt Lm Lo; \p{N}: Nd Nl No (from utf8proc,
//     so combining marks Mn/Mc/Me are "other");
//   - \s: the Unicode White_Space property (25 code points, table below);
//   - the optional prefix is the ASCII space U+0020 only;
//   - a whitespace run followed by a non-space keeps its last character for
//     the next piece (`\s+(?!\S)` backtracks one character); a single such
//     character is a piece on its own (`\s+`).
// A byte that is not part of well-formed UTF-8 is one unit of class "other".
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace gpt2::tokenizer {

enum class CharClass : std::uint8_t { kLetter, kNumber, kSpace, kOther };

// The class of one code point (kInvalidUnit -> kOther).
CharClass classify(char32_t code_point);

// Unicode's White_Space property (PropList.txt), exactly.
bool is_white_space(char32_t code_point);

// Iterates over the pieces of `text` in order; the pieces tile the text.
//   Pretokenizer p(text); std::string_view piece; while (p.next(piece)) ...
class Pretokenizer {
public:
    explicit Pretokenizer(std::string_view text)
        : s_(reinterpret_cast<const unsigned char*>(text.data())), n_(text.size()) {}
    bool next(std::string_view& piece);

private:
    const unsigned char* s_;
    std::size_t n_;
    std::size_t pos_ = 0;
};

}  // namespace gpt2::tokenizer
