#pragma once
// Matrix products over a WeightTensor in any format (weights.hpp): picks the
// kernel for F32 (matmul.hpp), F16/BF16 (matmul_half.hpp) or q8
// (matmul_q8.hpp). The forward pass calls only these.
//
// Exactness: F32 and 16-bit give the bits of the F32 kernels on the widened
// matrix (see matmul_half.hpp); q8 approximates them (documented accuracy in
// docs/benchmarks.md). All formats: rows independent of T, results
// independent of the thread count.
// Thread-safety: q8 activations are quantized into per-thread scratch of the
// calling thread; concurrent calls from different threads are fine.
#include <cstdint>
#include <vector>

#include "gpt2/weights.hpp"

namespace gpt2 {
class ThreadPool;
}

namespace gpt2::kernels {

// out [T, N] = x [T, K] · W + bias, W a Conv1D weight of logical shape
// [K, N]; bias [N] (F32) or nullptr.
void linear(float* out, const float* x, const WeightTensor& w, const float* bias, int T, ThreadPool& pool);
// out [T, N] = x [T, K] · Wᵀ, W of logical shape [N, K] (the tied wte).
void linear_transposed(float* out, const float* x, const WeightTensor& w, int T, ThreadPool& pool);
// logits [T, V] = x [T, C] · wteᵀ, through w.wte_distinct when the Model
// made it: x · wte_distinctᵀ into `scratch` (resized to T·D), then each
// token's value from its row's (the bits of linear_transposed over wte).
void tied_logits(float* logits, const float* x, const Weights& w, int T, ThreadPool& pool,
                 std::vector<float>& scratch);
// dst [C] = row `row` of W (logical [rows, C]) in F32 (exact for F32/16-bit,
// the dequantized values for q8).
void weight_row(float* dst, const WeightTensor& w, std::int64_t row);

}  // namespace gpt2::kernels
