#pragma once
// Matrix products, the hot loops of the forward pass.
//
// matmul:            out[T, C_out] = x[T, C_in] · w[C_in, C_out] + bias[C_out]
//   w in the Hugging Face Conv1D layout [in, out], row-major.
// matmul_transposed: out[T, N] = x[T, C] · w[N, C]ᵀ   (each output a dot
//   product of two contiguous rows; used for the logits against wte [V, C]).
//
// Exactness contract (what the tests rely on):
// - matmul computes every output element as
//     acc = bias[j] (or 0); for i = 0 .. C_in-1: acc = fma(x[t, i], w[i, j], acc)
//   whatever T, the thread count or the SIMD width. So decode (T = 1), prefill
//   (T > 1) and chunked prefill give bit-identical rows.
// - matmul_transposed computes every element with simd::dot (a fixed order
//   for a given instruction-set level, kernels::cpu::active()), whatever T or
//   the thread count.
// Both split the work over output columns (never a reduction) in the pool.
//
// The loops live in f32_kernels.inc, compiled per instruction set and
// dispatched at run time (kernels/f32_kernels.hpp).
// Paths: with `panels`, every T ≥ 2 blocks for cache (four panels' block of
// k kept in L2, a tile of rows × columns in registers, read in place);
// without, up to 16 rows (batched decode) sweep the rows of w once,
// contiguously, updating the output rows held in cache, and more rows block
// for cache after copying each block of w. Decode (T = 1) over panels is
// matvec_panels.hpp.
namespace gpt2 {
class ThreadPool;
}

namespace gpt2::kernels {

// out: [T, C_out]; x: [T, C_in]; w: [C_in, C_out]; bias: [C_out] or nullptr.
// out must not alias x or w. panels: w repacked in column panels
// (kernels/matvec_panels.hpp, the Model's decode copy) or nullptr; prefill
// then reads its tiles from them instead of packing each block of w itself.
// The same bits either way.
void matmul(float* out, const float* x, const float* w, const float* bias, int T, int C_in, int C_out,
            ThreadPool& pool, const float* panels = nullptr);

// out: [T, N]; x: [T, C]; w: [N, C]. out must not alias x or w.
void matmul_transposed(float* out, const float* x, const float* w, int T, int C, int N, ThreadPool& pool);

}  // namespace gpt2::kernels
