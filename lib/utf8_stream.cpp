#include "gpt2/utf8_stream.hpp"

namespace gpt2 {

namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";   // U+FFFD

// Length of the sequence a lead byte starts (0: not a lead byte) and the
// allowed range of its second byte (RFC 3629 table; the narrowed ranges after
// E0, ED, F0 and F4 exclude overlongs, surrogates and values > U+10FFFF).
struct Lead {
    int length;
    unsigned char lo;
    unsigned char hi;
};

Lead classify(unsigned char b) {
    if (b < 0x80) return {1, 0, 0};
    if (b >= 0xC2 && b <= 0xDF) return {2, 0x80, 0xBF};
    if (b == 0xE0) return {3, 0xA0, 0xBF};
    if (b == 0xED) return {3, 0x80, 0x9F};
    if (b >= 0xE1 && b <= 0xEF) return {3, 0x80, 0xBF};
    if (b == 0xF0) return {4, 0x90, 0xBF};
    if (b >= 0xF1 && b <= 0xF3) return {4, 0x80, 0xBF};
    if (b == 0xF4) return {4, 0x80, 0x8F};
    return {0, 0, 0};
}

enum class Scan { kComplete, kInvalid, kTruncated };

// Checks the sequence starting at s[i]; `end` is set to one past its last
// byte (kComplete) or to the first byte that breaks it (kInvalid: the
// maximal subpart is [i, end)).
Scan scan(std::string_view s, std::size_t i, std::size_t& end) {
    const Lead lead = classify(static_cast<unsigned char>(s[i]));
    if (lead.length == 0) {
        end = i + 1;
        return Scan::kInvalid;
    }
    for (int k = 1; k < lead.length; ++k) {
        if (i + k >= s.size()) {
            end = s.size();
            return Scan::kTruncated;
        }
        const auto c = static_cast<unsigned char>(s[i + k]);
        const unsigned char lo = k == 1 ? lead.lo : 0x80;
        const unsigned char hi = k == 1 ? lead.hi : 0xBF;
        if (c < lo || c > hi) {
            end = i + k;
            return Scan::kInvalid;
        }
    }
    end = i + lead.length;
    return Scan::kComplete;
}

}  // namespace

std::string Utf8Stream::push(std::string_view bytes) {
    std::string in = std::move(pending_);
    pending_.clear();
    in.append(bytes);
    std::string out;
    out.reserve(in.size());
    std::size_t i = 0;
    while (i < in.size()) {
        std::size_t end = 0;
        switch (scan(in, i, end)) {
            case Scan::kComplete:
                out.append(in, i, end - i);
                break;
            case Scan::kInvalid:
                out.append(kReplacement);
                break;
            case Scan::kTruncated:
                pending_.assign(in, i, std::string::npos);
                return out;
        }
        i = end;
    }
    return out;
}

std::string Utf8Stream::flush() {
    const bool had = !pending_.empty();
    pending_.clear();
    return had ? std::string(kReplacement) : std::string();
}

bool is_valid_utf8(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        std::size_t end = 0;
        if (scan(s, i, end) != Scan::kComplete) return false;
        i = end;
    }
    return true;
}

}  // namespace gpt2
