#pragma once
// The prefill product for BF16 weights on CPUs with AVX512_BF16: vdpbf16ps
// multiplies 32 pairs of bf16 values and adds each pair's two products to
// one F32 lane, twice the multiply-adds per instruction of an F32 fma. It is
// one of matmul_half's kernels (matmul_half.hpp states the contract) and
// computes the same bits as the fma chain there:
//
// - x arrives rounded to bf16 (matmul_half rounds it, for every path), and a
//   product of two bf16 values is exact in F32, so each half of vdpbf16ps is
//   fma(x[k], w[k], acc): one rounding of the sum (measured on Zen 4 and as
//   Intel's pseudocode states: the odd element of a pair first, then the
//   even one, each added with its own rounding).
// - The pairs are packed so that element k is the odd (high) half and k + 1
//   the even (low) half: the sums run over k in increasing order.
// - An odd C_in leaves one row of w unpaired at the end; it is an fma.
// vdpbf16ps treats subnormal inputs and results as zero (DAZ/FTZ); fma does
// not. x's subnormals are flushed by matmul_half's rounding, so only a
// subnormal weight or a running sum below 1.2e-38 could differ.
//
// Layout: a k-block of w (kKBlock rows × 64 columns) is packed into pairs
// once per thread and column panel, and every row tile of x streams it from
// L1/L2 (as kernels/matmul_half_impl.inc's packed panels). The block is read
// from the decode panels when the Model has them (sequential runs), else
// from w's rows.
#include <cstdint>

namespace gpt2::kernels::bf16_pairs {

struct PairProduct {
    float* out;                      // [T, C_out]
    const float* x;                  // [T, C_in], every value a bf16 value
    const std::uint32_t* x_pairs;    // pack_rows(x): [T, pairs(C_in)]
    const std::uint16_t* w;          // [C_in, C_out] BF16
    const float* bias;               // [C_out] or nullptr
    int T, C_in, C_out;
    const std::uint16_t* panels;     // w in column panels (matvec_panels.hpp), or nullptr
};

// True when the CPU has AVX512_BF16 and the AVX-512 level is active
// (kernels::cpu). The functions below require it.
bool available();

// Pairs per row of x: (C_in + 1) / 2.
inline int pairs(int C_in) { return (C_in + 1) / 2; }

// x_pairs[t, p] = bf16 bits of x[t, 2p] << 16 | bits of x[t, 2p + 1] (0 past C_in).
void pack_rows(std::uint32_t* x_pairs, const float* x, int T, int C_in);

// out[t, j] for every t and j in [j0, j1); (j1 - j0) must be a multiple of 16.
void columns(const PairProduct& a, int j0, int j1);

}  // namespace gpt2::kernels::bf16_pairs
