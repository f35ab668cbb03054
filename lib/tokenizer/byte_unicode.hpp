#pragma once
// GPT-2's reversible byte <-> Unicode mapping (bytes_to_unicode() in OpenAI's
// encoder.py). The vocabulary and merges files spell every token as a string
// of "printable" stand-in characters: the 188 bytes ! .. ~, ¡ .. ¬ and ® .. ÿ
// stand for themselves, the other 68 bytes (controls, space, DEL, NBSP, soft
// hyphen) are shifted to U+0100.. in byte order. The tokenizer undoes this
// once at load, so ranks and merges work on raw bytes from then on.
#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace gpt2::tokenizer {

// byte -> stand-in code point, as in encoder.py.
const std::array<char32_t, 256>& byte_to_unicode();

// Decodes a token as spelled in vocab.json / merges.txt (UTF-8 of stand-in
// characters) to its raw bytes; nullopt if it contains a character that is
// not a stand-in or is not valid UTF-8.
std::optional<std::string> unicode_to_bytes(std::string_view spelled);

// The inverse: raw bytes -> the file spelling (for writing and tests).
std::string bytes_to_unicode_string(std::string_view bytes);

}  // namespace gpt2::tokenizer
