#pragma once
// Byte-pair encoding of one pre-tokenized piece: start from one token per
// byte, then repeatedly join the adjacent pair with the lowest merge rank
// (the leftmost one on a tie) until no adjacent pair merges. This is the
// procedure of tiktoken's _byte_pair_merge and of OpenAI's encoder.py.
//
// Four paths, one result: a piece that is itself a token is one hash lookup;
// a short piece uses a plain array scan (O(n^2) but n is tiny); a long piece
// uses a linked list plus a min-heap of candidate pairs, O(n log n); a very
// long piece (adversarial input: a megabyte without a split point) groups the
// candidates by rank so that each merge costs a few cache misses instead of a
// walk down a million-entry heap.
#include <cstdint>
#include <string_view>
#include <vector>

#include "tokenizer/tables.hpp"

namespace gpt2::tokenizer {

// Pieces up to this many bytes use the array scan.
inline constexpr std::size_t kBpeScanMaxBytes = 128;
// Pieces up to this many bytes use the single heap; longer ones the rank
// buckets (whose per-call table of one bucket per rank met, up to ~3 MB for
// GPT-2, only pays off for long pieces).
inline constexpr std::size_t kBpeHeapMaxBytes = 16384;

// Appends the ids of `piece` to `out`.
void bpe_encode(const Tokenizer::Tables& tables, std::string_view piece, std::vector<std::int32_t>& out);

// The three merge paths, exposed so tests can check them against each other.
void bpe_encode_scan(const Tokenizer::Tables& tables, std::string_view piece, std::vector<std::int32_t>& out);
void bpe_encode_heap(const Tokenizer::Tables& tables, std::string_view piece, std::vector<std::int32_t>& out);
void bpe_encode_buckets(const Tokenizer::Tables& tables, std::string_view piece, std::vector<std::int32_t>& out);

}  // namespace gpt2::tokenizer
