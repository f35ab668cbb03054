#pragma once
// Naive twins of the kernels: the textbook loops, single-threaded, with
// double accumulators. They are the oracle of tests/test_kernels.cpp (the
// fast kernels must agree within a per-kernel tolerance) and document the
// math in its plainest form. Same arguments as the fast kernels, minus the
// pool. Never used on the hot path.
#include <cstdint>

namespace gpt2::kernels::reference {

// out: [T, C]; x: [T, C]; weight, bias: [C].
void layer_norm(float* out, const float* x, const float* weight, const float* bias, int T, int C, float eps);
// out: [T, C_out]; x: [T, C_in]; w: [C_in, C_out]; bias: [C_out] or nullptr.
void matmul(float* out, const float* x, const float* w, const float* bias, int T, int C_in, int C_out);
// out: [T, N]; x: [T, C]; w: [N, C].
void matmul_transposed(float* out, const float* x, const float* w, int T, int C, int N);
// As kernels::attention (see attention.hpp for the layouts).
void attention(float* out, int out_stride, const float* q, int q_stride, const float* k, const float* v,
               int kv_stride, int T, int pos0, int NH, int HS);
// 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x³))) with std::tanh.
void gelu(float* out, const float* x, std::int64_t n);
// out, x: [n].
void softmax(float* out, const float* x, int n);
// x += y.
void residual_add(float* x, const float* y, std::int64_t n);

// Weight formats (matmul_half.hpp, matmul_q8.hpp): each weight widened or
// dequantized one element at a time, double accumulators.
// matmul with w [C_in, C_out] 16-bit (bf16: BF16, else F16).
void matmul_half(float* out, const float* x, const std::uint16_t* w, bool bf16, const float* bias, int T, int C_in,
                 int C_out);
// matmul_transposed with w [N, C] 16-bit.
void matmul_transposed_half(float* out, const float* x, const std::uint16_t* w, bool bf16, int T, int C, int N);
// out [T, N] = bias + Σ_b xs[t,b]·ws[n,b]·Σ_{k in b} xq[t,k]·wq[n,k], blocks of 32.
void matmul_q8(float* out, const std::int8_t* xq, const float* xs, const std::int8_t* wq, const float* ws,
               const float* bias, int T, int K, int N);

}  // namespace gpt2::kernels::reference
