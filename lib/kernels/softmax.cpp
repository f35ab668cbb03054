#include "kernels/softmax.hpp"

#include "kernels/f32_kernels.hpp"

// The loops are in f32_kernels.inc, compiled per instruction set.
namespace gpt2::kernels {

void softmax(float* out, const float* x, int n) { f32::active().softmax(out, x, n); }

}  // namespace gpt2::kernels
