#pragma once
// Strict UTF-8 decoding, one unit at a time (RFC 3629 / Unicode Table 3-7:
// no overlong forms, no surrogates, nothing above U+10FFFF). A byte that does
// not start a complete well-formed sequence is reported as an invalid unit of
// length 1, so scanning resumes at the very next byte: every byte string is a
// sequence of units, and nothing is ever skipped.
#include <cstddef>
#include <cstdint>

namespace gpt2::tokenizer {

inline constexpr char32_t kInvalidUnit = 0xFFFFFFFFu;

struct Utf8Unit {
    char32_t code_point;  // kInvalidUnit for an invalid byte
    std::uint32_t length; // 1..4 bytes
};

// Decodes the unit starting at s[0]; `n` ≥ 1 bytes are readable.
inline Utf8Unit decode_utf8_unit(const unsigned char* s, std::size_t n) {
    const unsigned c0 = s[0];
    if (c0 < 0x80) return {c0, 1};
    // The second byte's allowed range depends on the lead byte (Table 3-7);
    // the later ones are always 80..BF.
    unsigned lo = 0x80, hi = 0xBF;
    std::uint32_t len;
    char32_t cp;
    if (c0 >= 0xC2 && c0 <= 0xDF) { len = 2; cp = c0 & 0x1F; }
    else if (c0 >= 0xE0 && c0 <= 0xEF) {
        len = 3; cp = c0 & 0x0F;
        if (c0 == 0xE0) lo = 0xA0;        // no overlongs
        else if (c0 == 0xED) hi = 0x9F;   // no surrogates
    } else if (c0 >= 0xF0 && c0 <= 0xF4) {
        len = 4; cp = c0 & 0x07;
        if (c0 == 0xF0) lo = 0x90;        // no overlongs
        else if (c0 == 0xF4) hi = 0x8F;   // nothing above U+10FFFF
    } else {
        return {kInvalidUnit, 1};         // 80..C1 and F5..FF never start a character
    }
    if (n < len) return {kInvalidUnit, 1};
    const unsigned c1 = s[1];
    if (c1 < lo || c1 > hi) return {kInvalidUnit, 1};
    cp = (cp << 6) | (c1 & 0x3F);
    for (std::uint32_t i = 2; i < len; ++i) {
        const unsigned ci = s[i];
        if ((ci & 0xC0) != 0x80) return {kInvalidUnit, 1};
        cp = (cp << 6) | (ci & 0x3F);
    }
    return {cp, len};
}

// For streaming: the length of the longest suffix of s[0..n) that is a proper
// prefix of some well-formed sequence (0..3), i.e. the bytes that a later
// chunk could still complete into a valid character.
inline std::size_t incomplete_utf8_suffix(const unsigned char* s, std::size_t n) {
    // A lead byte followed by k continuation bytes, k < needed length.
    for (std::size_t k = 1; k <= 3 && k <= n; ++k) {
        const unsigned char* lead = s + n - k;
        const unsigned c0 = lead[0];
        std::uint32_t len;
        unsigned lo = 0x80, hi = 0xBF;
        if (c0 >= 0xC2 && c0 <= 0xDF) len = 2;
        else if (c0 >= 0xE0 && c0 <= 0xEF) { len = 3; if (c0 == 0xE0) lo = 0xA0; else if (c0 == 0xED) hi = 0x9F; }
        else if (c0 >= 0xF0 && c0 <= 0xF4) { len = 4; if (c0 == 0xF0) lo = 0x90; else if (c0 == 0xF4) hi = 0x8F; }
        else if ((c0 & 0xC0) == 0x80) continue;  // a continuation byte: look further back
        else return 0;                            // ASCII or a byte that never starts anything
        if (k >= len) return 0;                   // the last sequence is complete (or not ours)
        bool ok = true;
        for (std::size_t i = 1; i < k; ++i) {
            const unsigned ci = lead[i];
            const unsigned l = (i == 1) ? lo : 0x80, h = (i == 1) ? hi : 0xBF;
            if (ci < l || ci > h) { ok = false; break; }
        }
        return ok ? k : 0;
    }
    return 0;
}

}  // namespace gpt2::tokenizer
