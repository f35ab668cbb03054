#include "tokenizer/byte_unicode.hpp"

#include "tokenizer/utf8.hpp"

namespace gpt2::tokenizer {
namespace {

bool stands_for_itself(unsigned b) {
    return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
}

std::array<char32_t, 256> make_byte_to_unicode() {
    std::array<char32_t, 256> table{};
    char32_t next_shifted = 0x100;
    for (unsigned b = 0; b < 256; ++b) table[b] = stands_for_itself(b) ? b : next_shifted++;
    return table;
}

// Stand-ins are all below U+0100 + 68; -1 marks "not a stand-in".
constexpr char32_t kMaxStandIn = 0x100 + 68;

std::array<int, kMaxStandIn> make_unicode_to_byte() {
    std::array<int, kMaxStandIn> table;
    table.fill(-1);
    const auto& forward = byte_to_unicode();
    for (unsigned b = 0; b < 256; ++b) table[forward[b]] = static_cast<int>(b);
    return table;
}

void append_utf8(std::string& out, char32_t cp) {
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

}  // namespace

const std::array<char32_t, 256>& byte_to_unicode() {
    static const std::array<char32_t, 256> table = make_byte_to_unicode();
    return table;
}

std::optional<std::string> unicode_to_bytes(std::string_view spelled) {
    static const std::array<int, kMaxStandIn> inverse = make_unicode_to_byte();
    std::string bytes;
    bytes.reserve(spelled.size());
    const auto* s = reinterpret_cast<const unsigned char*>(spelled.data());
    std::size_t i = 0;
    while (i < spelled.size()) {
        const Utf8Unit unit = decode_utf8_unit(s + i, spelled.size() - i);
        if (unit.code_point >= kMaxStandIn || inverse[unit.code_point] < 0) return std::nullopt;
        bytes.push_back(static_cast<char>(inverse[unit.code_point]));
        i += unit.length;
    }
    return bytes;
}

std::string bytes_to_unicode_string(std::string_view bytes) {
    const auto& forward = byte_to_unicode();
    std::string out;
    out.reserve(bytes.size() * 2);
    for (unsigned char b : bytes) append_utf8(out, forward[b]);
    return out;
}

}  // namespace gpt2::tokenizer
