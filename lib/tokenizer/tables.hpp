#pragma once
// The immutable tables behind a gpt2::Tokenizer, built once by load.cpp.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gpt2/tokenizer.hpp"
#include "tokenizer/flat_map.hpp"

namespace gpt2::tokenizer {

// decode() copies short tokens with one fixed-size copy; the blob is followed
// by this many padding bytes so the copy never reads past it.
inline constexpr std::size_t kDecodeCopyBytes = 16;

}  // namespace gpt2::tokenizer

namespace gpt2 {

struct Tokenizer::Tables {
    // Token id -> raw bytes: token i is blob[offsets[i], offsets[i+1]),
    // followed by kDecodeCopyBytes of padding after the last token.
    std::string blob;
    std::vector<std::uint32_t> offsets;
    // Raw bytes -> id, for every ordinary token (special tokens such as
    // <|endoftext|> are left out, so text can never produce them by accident).
    tokenizer::BytesToIdMap ordinary_ids;
    // Adjacent pair -> merge. Built tiktoken-style: a pair merges when the
    // concatenation of its bytes is a token created by a merge, with that
    // merge's rank, whichever way the bytes were split (see load.cpp).
    tokenizer::PairToMergeMap merges;
    // The token of each single byte.
    std::array<std::int32_t, 256> byte_ids{};
    std::int32_t eot_id = -1;

    int vocab_size() const { return static_cast<int>(offsets.size()) - 1; }
    std::string_view bytes(std::int32_t id) const {
        return {blob.data() + offsets[static_cast<std::size_t>(id)],
                offsets[static_cast<std::size_t>(id) + 1] - offsets[static_cast<std::size_t>(id)]};
    }
};

}  // namespace gpt2
