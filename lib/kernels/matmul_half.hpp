#pragma once
// Matrix products with 16-bit weights (F16 or BF16) used in place from the
// memory map: the weights are widened to F32 in registers (BF16: zero-extend
// and shift left by 16, integer ops; F16: F16C vcvtph2ps), never in a scalar
// loop or a copy, and the arithmetic is the F32 kernels' (matmul.hpp).
//
// Exactness contract: widening is exact, and every output element follows
// the same operation sequence as the F32 kernel on the widened matrix:
// - matmul_half: acc = bias[j] (or 0); for i: acc = fma(x[t,i], w[i,j], acc),
//   whatever T, thread count or instruction set. With BF16 weights x is
//   first rounded to bf16 (numeric::round_to_bf16_flush_subnormals), so the
//   products are bf16 × bf16 (exact in F32) summed in F32, as a BF16 model
//   runs in PyTorch or llama.cpp: that lets prefill use AVX512_BF16's
//   vdpbf16ps, with twice the multiply-adds of an F32 fma per instruction,
//   and still give the bits of the fma chain (kernels/matmul_bf16_pairs.hpp)
//   on every path, so prefill, decode and batches agree. An F16 checkpoint
//   gives bit for bit the products of its F32 widening; a BF16 one those of
//   its F32 widening applied to bf16-rounded activations.
// - matmul_transposed_half: the simd::dot order of the active instruction
//   set's width (16 lanes AVX-512, 8 AVX2, 1 scalar) and its fixed reduction
//   tree, so it equals matmul_transposed at the same level.
// Work is split over output columns in the pool (never a reduction).
// Instruction set: kernels::cpu::active() (AVX-512, AVX2+F16C, scalar), and
// AVX512_BF16 for BF16 prefill where the CPU has it.
#include <cstdint>

namespace gpt2 {
class ThreadPool;
}

namespace gpt2::kernels {

enum class Half { kF16, kBF16 };

// out: [T, C_out]; x: [T, C_in]; w: [C_in, C_out] 16-bit; bias [C_out] or nullptr.
// panels: w repacked in column panels (kernels/matvec_panels.hpp) or nullptr;
// the widening prefill then reads its blocks from them (sequential runs)
// instead of from w's rows. The same bits either way.
void matmul_half(float* out, const float* x, const std::uint16_t* w, Half h, const float* bias, int T, int C_in,
                 int C_out, ThreadPool& pool, const std::uint16_t* panels = nullptr);
// out: [T, N]; x: [T, C]; w: [N, C] 16-bit.
void matmul_transposed_half(float* out, const float* x, const std::uint16_t* w, Half h, int T, int C, int N,
                            ThreadPool& pool);
// x[0 .. n) rounded to bf16 (BF16 weights multiply bf16 × bf16, above), in a
// buffer of the calling thread, grown as needed and never shrunk; valid
// until the thread's next call.
const float* rounded_to_bf16(const float* x, std::int64_t n);
// dst[i] = widen(src[i]) for i < n (exact), vectorised.
void widen_half(float* dst, const std::uint16_t* src, Half h, std::int64_t n);

}  // namespace gpt2::kernels
