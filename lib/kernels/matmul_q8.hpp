#pragma once
// Matrix products with q8 weights: symmetric int8 with one F32 scale per
// block of kQ8Block consecutive inputs (the format of `gpt2 convert --dtype
// q8`, described in include/gpt2/weights.hpp).
//
//   W ≈ Wq · s:  W[n, k] ≈ Wq[n, k] · Ws[n, k / 32]   (Wq int8 in [-127, 127])
//
// The activations are quantized the same way on the fly, per row and block
// (as llama.cpp's Q8_0 does): s = max|x| / 127, q = round(x / s). A block's
// dot product is then exact in int32 and scaled once:
//   out[t, n] = bias[n] + Σ_b (Xs[t, b] · Ws[n, b]) · Σ_{k in b} Xq[t, k] Wq[n, k]
//
// Instruction sets (kernels::cpu): AVX512-VNNI vpdpbusd on 512-bit registers
// (a pair of blocks, one cache line of a weight row, per instruction), AVX2
// vpmaddubsw + vpmaddwd, or scalar. All three compute each block's sum in the
// same 8 int32 lanes (lane l: inputs 4l .. 4l+3), accumulate them into two
// sets of 8 float lanes (even blocks, odd blocks) with fma in block order,
// add the two sets and reduce the 8 lanes with a fixed tree, so every path —
// and every thread count and T — gives the same bits.
#include <cstdint>

namespace gpt2 {
class ThreadPool;
}

namespace gpt2::kernels {

inline constexpr int kQ8Block = 32;

// Quantizes rows: x [T, K] → q [T, K] int8, scales [T, K / kQ8Block].
// K must be a multiple of kQ8Block. An all-zero block gets scale 0, q 0.
void quantize_q8(std::int8_t* q, float* scales, const float* x, int T, int K, ThreadPool& pool);
// The same for one row, single-threaded (the converter uses it for weights).
void quantize_q8_row(std::int8_t* q, float* scales, const float* x, int K);

// out: [T, N]; xq [T, K], xs [T, K/32]: quantized activations; wq [N, K],
// ws [N, K/32]: the q8 weight (rows are outputs); bias [N] or nullptr.
void matmul_q8(float* out, const std::int8_t* xq, const float* xs, const std::int8_t* wq, const float* ws,
               const float* bias, int T, int K, int N, ThreadPool& pool);

// dst[k] = wq[k] · ws[k / 32] for k < K (one row).
void dequantize_q8_row(float* dst, const std::int8_t* wq, const float* ws, int K);

// Which implementation matmul_q8 uses now: "avx512-vnni", "avx2" or "scalar".
const char* q8_kernel_name();

}  // namespace gpt2::kernels
