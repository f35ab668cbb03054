// gpt2::IncrementalDecoder: streaming decode that never splits a character.
#include "gpt2/tokenizer.hpp"

#include <cstring>

#include "tokenizer/utf8.hpp"

namespace gpt2 {

IncrementalDecoder::IncrementalDecoder(const Tokenizer& tokenizer) : tokenizer_(&tokenizer) {}

std::string IncrementalDecoder::push(std::int32_t id) {
    const std::string_view bytes = tokenizer_->token_bytes(id);  // throws before any state change
    // Built with resize + memcpy: g++ 12 -O3 warns falsely (-Wrestrict) on
    // std::string concatenation here.
    std::string out(pending_.size() + bytes.size(), '\0');
    std::memcpy(out.data(), pending_.data(), pending_.size());
    std::memcpy(out.data() + pending_.size(), bytes.data(), bytes.size());
    pending_.clear();
    // Hold back a trailing prefix of a well-formed sequence: the next token may
    // complete it. Anything else (complete characters, bytes that can never be
    // valid) goes out now.
    const std::size_t hold =
        tokenizer::incomplete_utf8_suffix(reinterpret_cast<const unsigned char*>(out.data()), out.size());
    if (hold == 0) return out;
    const std::size_t keep = out.size() - hold;
    pending_.resize(hold);
    std::memcpy(pending_.data(), out.data() + keep, hold);
    return std::string(out.data(), keep);
}

std::string IncrementalDecoder::flush() {
    std::string out = std::move(pending_);
    pending_.clear();
    return out;
}

}  // namespace gpt2
