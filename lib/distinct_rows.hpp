#pragma once
// Rows of a matrix that are byte for byte the same.
//
// The logits are x · wteᵀ: a row of wte shared by many tokens gives all of
// them the same logit, to the bit (a dot product's value depends only on the
// two vectors). The bundled default model ties its 40,462 tokens that never
// occur in its training text to one row (docs/default-model.md), so 80% of
// its logits work is repeats. Model::load finds such rows once; the logits
// then compute each distinct row once (kernels/linear.hpp tied_logits).
//
// Finding them reads one 64-byte prefix per row (a hash table of prefixes;
// rows with equal prefixes are compared in full), so a checkpoint without
// repeats (GPT-2's own) pays ~one cache miss per row at load.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace gpt2 {

struct DistinctRows {
    // first[d]: the first row with the d-th distinct content, in row order.
    std::vector<std::int64_t> first;
    // of[r]: the index d of row r's content (first[of[r]] has the same bytes).
    std::vector<std::int32_t> of;
};

// The distinct rows of `rows` rows of `row_bytes` bytes each at `data`.
DistinctRows find_distinct_rows(const void* data, std::int64_t rows, std::size_t row_bytes);

}  // namespace gpt2
