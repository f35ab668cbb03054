#pragma once
// Softmax of one row: out[i] = e^(x[i] - max x) / Σ_j e^(x[j] - max x).
// Subtracting the maximum keeps every exponent ≤ 0 (no overflow) and does not
// change the result.
namespace gpt2::kernels {

// out, x: [n], n ≥ 1 (out may equal x).
void softmax(float* out, const float* x, int n);

}  // namespace gpt2::kernels
