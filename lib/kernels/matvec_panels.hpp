#pragma once
// Decode (T = 1) products over weights repacked into column panels.
//
// A Conv1D weight W [K, N] is stored row-major: row k holds input k's weight
// for every output. Decode's sweep (f32_kernels.inc, matmul_half_impl.inc)
// reads it a few rows at a time, as several interleaved streams, which one
// core streams from memory at ~60-75% of a plain sequential read (c_proj's
// short 16-bit rows at ~45%). The panel layout makes decode one sequential
// stream: panel p holds the 16 columns 16p .. 16p + 15 for every k,
//
//   panels[p][k][c] = W[k][16p + c]   (c < 16; columns past N are zero),
//
// so output vector p is one fma chain down a contiguous K × 64-byte (F32) or
// K × 32-byte (16-bit) block.
//
// Exactness: each output is acc = bias[j] (or 0); for k = 0 .. K-1 in order:
// acc = fma(x[k], W[k][j], acc), with 16-bit weights widened exactly (and,
// for BF16, x rounded to bf16 as matmul_half does): the bits of matmul and
// matmul_half, so decode over panels equals prefill and the sweep, at every
// instruction-set level and thread count.
//
// The panels are a copy: the Model keeps the mapped original and the panels,
// which decode reads, and so do batches and prefill (T ≥ 2): their register
// tiles load four adjacent panels' runs in place of sweeping the original's
// rows (T ≤ 16) or copying blocks out of it (matmul.hpp, matmul_half.hpp;
// kernels/linear.cpp passes both). Without panels those paths remain.
#include <cstddef>
#include <cstdint>

#include "kernels/matmul_half.hpp"

namespace gpt2 {
class ThreadPool;
}

namespace gpt2::kernels {

inline constexpr int kPanelWidth = 16;

// Elements (of the weight's type) in the panel copy of a [K, N] matrix.
inline std::int64_t panel_elements(std::int64_t K, std::int64_t N) {
    return (N + kPanelWidth - 1) / kPanelWidth * kPanelWidth * K;
}

// Where column j of row k of a [K, N] matrix sits in its panel copy
// (elements of any type): panel j / 16, row k, lane j % 16. Always inlined:
// the per-instruction-set kernel files (f32_kernels.inc) call it, and no
// out-of-line copy compiled with one level's flags may serve another.
template <typename E>
[[gnu::always_inline]] inline const E* panel_element(const E* panels, std::int64_t K, std::int64_t k, std::int64_t j) {
    return panels + ((j / kPanelWidth) * K + k) * kPanelWidth + j % kPanelWidth;
}

// Repacks row-major w [K, N] (elements of elem_bytes = 4 or 2 bytes) into
// dst (panel_elements(K, N) elements), zero-padding the last panel.
void pack_panels(void* dst, const void* w, std::size_t elem_bytes, std::int64_t K, std::int64_t N);

// out [N] = x [K] · W + bias, W given as panels (F32 or 16-bit).
void matvec_panels(float* out, const float* x, const float* panels, const float* bias, int K, int N,
                   ThreadPool& pool);
void matvec_panels_half(float* out, const float* x, const std::uint16_t* panels, Half h, const float* bias, int K,
                        int N, ThreadPool& pool);

}  // namespace gpt2::kernels
