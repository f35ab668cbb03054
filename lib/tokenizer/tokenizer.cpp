// gpt2::Tokenizer: loading, encode (pre-tokenize, then BPE per piece) and decode.
#include "gpt2/tokenizer.hpp"

#include <cstring>

#include <fmt/format.h>

#include "gpt2/error.hpp"
#include "tokenizer/bpe.hpp"
#include "tokenizer/load.hpp"
#include "tokenizer/pretokenize.hpp"

namespace gpt2 {
namespace {

constexpr std::string_view kEndOfText = "<|endoftext|>";

void encode_ordinary(const Tokenizer::Tables& tables, std::string_view text, std::vector<std::int32_t>& out) {
    tokenizer::Pretokenizer pieces(text);
    std::string_view piece;
    while (pieces.next(piece)) tokenizer::bpe_encode(tables, piece, out);
}

[[noreturn]] void throw_bad_id(std::int32_t id, int vocab_size, std::size_t position) {
    throw Error(fmt::format("token id {} at position {} is out of range: expected 0..{}", id, position,
                            vocab_size - 1));
}

}  // namespace

Tokenizer::Tokenizer(std::shared_ptr<const Tables> tables) : tables_(std::move(tables)) {}
Tokenizer::Tokenizer(const Tokenizer&) = default;
Tokenizer& Tokenizer::operator=(const Tokenizer&) = default;
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;
Tokenizer::~Tokenizer() = default;

Tokenizer Tokenizer::from_files(const std::filesystem::path& vocab_json, const std::filesystem::path& merges_txt) {
    return Tokenizer(tokenizer::load_tables(vocab_json, merges_txt));
}

Tokenizer Tokenizer::from_openai_files(const std::filesystem::path& encoder_json,
                                       const std::filesystem::path& vocab_bpe) {
    return Tokenizer(tokenizer::load_tables(encoder_json, vocab_bpe));
}

Tokenizer Tokenizer::from_dir(const std::filesystem::path& dir) {
    std::error_code ec;
    if (std::filesystem::exists(dir / "vocab.json", ec) || std::filesystem::exists(dir / "merges.txt", ec)) {
        return from_files(dir / "vocab.json", dir / "merges.txt");
    }
    if (std::filesystem::exists(dir / "encoder.json", ec) || std::filesystem::exists(dir / "vocab.bpe", ec)) {
        return from_openai_files(dir / "encoder.json", dir / "vocab.bpe");
    }
    throw Error(fmt::format("no tokenizer in '{}': expected vocab.json + merges.txt or encoder.json + vocab.bpe",
                            dir.string()));
}

std::vector<std::int32_t> Tokenizer::encode(std::string_view text, EncodeOptions options) const {
    std::vector<std::int32_t> ids;
    ids.reserve(text.size() / 3 + 4);  // ~4 bytes per token in English; avoids most regrowth
    encode_into(text, ids, options);
    return ids;
}

void Tokenizer::encode_into(std::string_view text, std::vector<std::int32_t>& out, EncodeOptions options) const {
    const Tables& t = *tables_;
    if (!options.allow_special || t.eot_id < 0) {
        encode_ordinary(t, text, out);
        return;
    }
    // Special tokens split the text first; each segment is encoded on its own
    // (as tiktoken does), so no piece spans a special token.
    std::size_t start = 0;
    for (;;) {
        const std::size_t hit = text.find(kEndOfText, start);
        if (hit == std::string_view::npos) break;
        encode_ordinary(t, text.substr(start, hit - start), out);
        out.push_back(t.eot_id);
        start = hit + kEndOfText.size();
    }
    encode_ordinary(t, text.substr(start), out);
}

std::string Tokenizer::decode(std::span<const std::int32_t> ids) const {
    const Tables& t = *tables_;
    const auto n_vocab = static_cast<std::uint32_t>(t.vocab_size());
    const std::uint32_t* offsets = t.offsets.data();
    std::size_t total = 0;
    for (std::size_t i = 0; i < ids.size(); ++i) {
        const auto id = static_cast<std::uint32_t>(ids[i]);  // negative ids wrap to huge values
        if (id >= n_vocab) throw_bad_id(ids[i], t.vocab_size(), i);
        total += offsets[id + 1] - offsets[id];
    }
    // Tokens of up to kDecodeCopyBytes bytes (nearly all) are copied with one
    // fixed-size copy, a couple of vector moves instead of a memcpy call; the
    // output has that much slack and the blob is padded (load.cpp) so the
    // over-read and over-write stay in bounds. The slack is trimmed at the end.
    constexpr std::size_t kCopy = tokenizer::kDecodeCopyBytes;
    std::string out;
    out.resize(total + kCopy);
    char* dst = out.data();
    const char* blob = t.blob.data();
    for (const std::int32_t signed_id : ids) {
        const auto id = static_cast<std::uint32_t>(signed_id);
        const std::uint32_t begin = offsets[id];
        const std::uint32_t len = offsets[id + 1] - begin;
        if (len <= kCopy) std::memcpy(dst, blob + begin, kCopy);
        else std::memcpy(dst, blob + begin, len);
        dst += len;
    }
    out.resize(total);
    return out;
}

std::string_view Tokenizer::token_bytes(std::int32_t id) const {
    if (id < 0 || id >= tables_->vocab_size()) throw_bad_id(id, tables_->vocab_size(), 0);
    return tables_->bytes(id);
}

std::int32_t Tokenizer::token_id(std::string_view bytes) const {
    if (bytes == kEndOfText) return tables_->eot_id;
    return tables_->ordinary_ids.find(bytes);
}

int Tokenizer::vocab_size() const { return tables_->vocab_size(); }
std::int32_t Tokenizer::eot_id() const { return tables_->eot_id; }

}  // namespace gpt2
