#pragma once
// LayerNorm over the last axis (Ba, Kiros, Hinton 2016):
//   out[t, c] = (x[t, c] - mean_t) / sqrt(var_t + eps) * weight[c] + bias[c]
// with mean_t and the biased variance var_t taken over c.
namespace gpt2::kernels {

// out: [T, C]; x: [T, C] (out may equal x); weight, bias: [C].
void layer_norm(float* out, const float* x, const float* weight, const float* bias, int T, int C, float eps);

}  // namespace gpt2::kernels
