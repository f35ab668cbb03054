#pragma once
// The residual connection: x += y, element-wise.
#include <cstdint>

namespace gpt2::kernels {

// x: [n] (updated in place); y: [n].
void residual_add(float* x, const float* y, std::int64_t n);

}  // namespace gpt2::kernels
