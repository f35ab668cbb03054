// gpt2::visible_piece: token bytes rendered for display.
#include "gpt2/tokenizer.hpp"

#include <fmt/format.h>
#include <utf8proc.h>

#include "tokenizer/pretokenize.hpp"
#include "tokenizer/utf8.hpp"

namespace gpt2 {

std::string visible_piece(std::string_view bytes) {
    std::string out;
    out.reserve(bytes.size() + 8);
    const auto* s = reinterpret_cast<const unsigned char*>(bytes.data());
    std::size_t i = 0;
    while (i < bytes.size()) {
        const tokenizer::Utf8Unit u = tokenizer::decode_utf8_unit(s + i, bytes.size() - i);
        const char32_t cp = u.code_point;
        if (cp == tokenizer::kInvalidUnit) {
            out += fmt::format("\\x{:02X}", s[i]);
        } else if (cp == ' ') {
            out += "\xE2\x90\xA3";  // ␣ U+2423 OPEN BOX
        } else if (cp == '\n') {
            out += "\xE2\x86\xB5";  // ↵ U+21B5
        } else if (cp == '\t') {
            out += "\xE2\x87\xA5";  // ⇥ U+21E5
        } else if (cp == '\r') {
            out += "\xE2\x90\x8D";  // ␍ U+240D SYMBOL FOR CARRIAGE RETURN
        } else if (cp == '\\') {
            out += "\\\\";
        } else {
            const auto category = utf8proc_category(static_cast<utf8proc_int32_t>(cp));
            const bool invisible = tokenizer::is_white_space(cp) || category == UTF8PROC_CATEGORY_CC ||
                                   category == UTF8PROC_CATEGORY_CF || category == UTF8PROC_CATEGORY_ZL ||
                                   category == UTF8PROC_CATEGORY_ZP || category == UTF8PROC_CATEGORY_CN ||
                                   category == UTF8PROC_CATEGORY_CS || category == UTF8PROC_CATEGORY_CO;
            if (invisible) out += fmt::format("\\u{{{:04X}}}", static_cast<std::uint32_t>(cp));
            else out.append(bytes.substr(i, u.length));
        }
        i += u.length;
    }
    return out;
}

}  // namespace gpt2
