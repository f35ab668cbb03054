#include "tokenizer/pretokenize.hpp"

#include <array>

#include <utf8proc.h>

#include "tokenizer/utf8.hpp"

namespace gpt2::tokenizer {
namespace {

// Unicode White_Space (PropList.txt, unchanged since Unicode 6.3, 25 code
// points). utf8proc has no property API for it, and no general category
// gives it (U+0085 is Cc, U+200B is Cf and not White_Space, U+FEFF neither).
constexpr char32_t kWhiteSpace[] = {
    0x0009, 0x000A, 0x000B, 0x000C, 0x000D,  // <control-0009>..<control-000D>
    0x0020,                                  // SPACE
    0x0085,                                  // <control-0085> (NEL)
    0x00A0,                                  // NO-BREAK SPACE
    0x1680,                                  // OGHAM SPACE MARK
    0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005,
    0x2006, 0x2007, 0x2008, 0x2009, 0x200A,  // EN QUAD..HAIR SPACE
    0x2028,                                  // LINE SEPARATOR
    0x2029,                                  // PARAGRAPH SEPARATOR
    0x202F,                                  // NARROW NO-BREAK SPACE
    0x205F,                                  // MEDIUM MATHEMATICAL SPACE
    0x3000,                                  // IDEOGRAPHIC SPACE
};
static_assert(std::size(kWhiteSpace) == 25);

CharClass classify_slow(char32_t cp) {
    if (cp == kInvalidUnit) return CharClass::kOther;
    if (is_white_space(cp)) return CharClass::kSpace;
    switch (utf8proc_category(static_cast<utf8proc_int32_t>(cp))) {
        case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
        case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO:
            return CharClass::kLetter;
        case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
            return CharClass::kNumber;
        default:
            return CharClass::kOther;
    }
}

// Classes of the first 64K code points, 2 bits each (16 KiB), built once:
// the BMP covers nearly all text, and a table lookup beats utf8proc's
// two-level lookup plus the switch.
struct BmpClassTable {
    std::array<std::uint8_t, 0x10000 / 4> packed{};
    BmpClassTable() {
        for (char32_t cp = 0; cp < 0x10000; ++cp) {
            const auto c = static_cast<unsigned>(classify_slow(cp));
            packed[cp >> 2] = static_cast<std::uint8_t>(packed[cp >> 2] | (c << ((cp & 3) * 2)));
        }
    }
    CharClass operator()(char32_t cp) const {
        return static_cast<CharClass>((packed[cp >> 2] >> ((cp & 3) * 2)) & 3);
    }
};

const BmpClassTable& bmp_classes() {
    static const BmpClassTable table;
    return table;
}

struct Unit {
    CharClass cls;
    std::uint32_t length;
};

inline Unit unit_at(const unsigned char* s, std::size_t n, const BmpClassTable& bmp) {
    if (s[0] < 0x80) return {bmp(s[0]), 1};
    const Utf8Unit u = decode_utf8_unit(s, n);
    if (u.code_point < 0x10000) return {bmp(u.code_point), u.length};
    return {classify_slow(u.code_point), u.length};
}

}  // namespace

bool is_white_space(char32_t cp) {
    if (cp > 0x3000) return false;
    for (char32_t w : kWhiteSpace) {
        if (w == cp) return true;
    }
    return false;
}

CharClass classify(char32_t cp) {
    if (cp < 0x10000) return bmp_classes()(cp);
    return classify_slow(cp);
}

bool Pretokenizer::next(std::string_view& piece) {
    if (pos_ >= n_) return false;
    const BmpClassTable& bmp = bmp_classes();
    const std::size_t start = pos_;
    const unsigned char* s = s_;
    const std::size_t n = n_;
    auto emit = [&](std::size_t end) {
        piece = std::string_view(reinterpret_cast<const char*>(s + start), end - start);
        pos_ = end;
        return true;
    };

    // 's 't 're 've 'm 'll 'd (lowercase ASCII only).
    if (s[start] == '\'' && start + 1 < n) {
        const unsigned char c1 = s[start + 1];
        if (c1 == 's' || c1 == 't' || c1 == 'm' || c1 == 'd') return emit(start + 2);
        if (start + 2 < n) {
            const unsigned char c2 = s[start + 2];
            if ((c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l')) {
                return emit(start + 3);
            }
        }
    }

    // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`: an optional ASCII space,
    // then a maximal run of one class.
    std::size_t p = start;
    Unit u = unit_at(s + p, n - p, bmp);
    if (s[p] == ' ' && p + 1 < n) {
        const Unit next = unit_at(s + p + 1, n - p - 1, bmp);
        if (next.cls != CharClass::kSpace) {
            p += 1;
            u = next;
        }
    }
    if (u.cls != CharClass::kSpace) {
        const CharClass cls = u.cls;
        p += u.length;
        while (p < n) {
            const Unit v = unit_at(s + p, n - p, bmp);
            if (v.cls != cls) break;
            p += v.length;
        }
        return emit(p);
    }

    // Whitespace: `\s+(?!\S)` then `\s+`.
    std::size_t last_start = p;
    std::size_t units = 0;
    while (p < n) {
        const Unit v = unit_at(s + p, n - p, bmp);
        if (v.cls != CharClass::kSpace) break;
        last_start = p;
        p += v.length;
        ++units;
    }
    if (p == n || units == 1) return emit(p);
    return emit(last_start);
}

}  // namespace gpt2::tokenizer
