#pragma once
// GELU, tanh approximation ("gelu_new" in Hugging Face; Hendrycks & Gimpel
// 2016, eq. in section 2):
//   gelu(x) = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x³)))
// computed as x · sigmoid(2u) = x / (1 + e^(-2u)) with u the tanh argument
// (the same function: 0.5 (1 + tanh u) = sigmoid(2u)), which avoids the
// cancellation of 1 + tanh u for very negative x.
#include <cstdint>

namespace gpt2 {
class ThreadPool;
}

namespace gpt2::kernels {

// out, x: [n] (out may equal x). Element-wise, split over the pool.
void gelu(float* out, const float* x, std::int64_t n, ThreadPool& pool);

}  // namespace gpt2::kernels
