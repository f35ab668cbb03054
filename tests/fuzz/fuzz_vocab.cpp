// libFuzzer target: the tokenizer loader (vocab.json's SAX reader, the merges
// parser, the pair table) on arbitrary text. The input is the vocabulary,
// then a NUL byte, then merges.txt (no NUL: empty merges). Every input must
// either load or throw gpt2::Error; a table that loads must be consistent:
// every id has bytes and every single byte has its own one-byte token.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "gpt2/error.hpp"
#include "tokenizer/load.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const std::size_t nul = input.find('\0');
    const std::string_view vocab = input.substr(0, nul);
    const std::string_view merges = nul == std::string_view::npos ? std::string_view{} : input.substr(nul + 1);
    std::shared_ptr<const gpt2::Tokenizer::Tables> t;
    try {
        t = gpt2::tokenizer::load_tables_from_text(vocab, merges, "vocab.json", "merges.txt");
    } catch (const gpt2::Error&) {
        return 0;   // rejected with a message: fine
    }
    const std::size_t n = t->offsets.size() - 1;
    if (n == 0) std::abort();
    for (std::size_t id = 0; id < n; ++id) {
        if (t->bytes(static_cast<std::int32_t>(id)).empty()) std::abort();
    }
    for (unsigned b = 0; b < 256; ++b) {
        const std::int32_t id = t->byte_ids[b];
        if (id < 0 || static_cast<std::size_t>(id) >= n) std::abort();
        if (t->bytes(id) != std::string_view(reinterpret_cast<const char*>(&b), 1)) std::abort();
    }
    return 0;
}
