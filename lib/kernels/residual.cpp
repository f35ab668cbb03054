#include "kernels/residual.hpp"

#include "kernels/f32_kernels.hpp"

// The loop is in f32_kernels.inc, compiled per instruction set.
namespace gpt2::kernels {

void residual_add(float* x, const float* y, std::int64_t n) { f32::active().residual_add(x, y, n); }

}  // namespace gpt2::kernels
