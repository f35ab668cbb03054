#include "kernels/layer_norm.hpp"

#include "kernels/f32_kernels.hpp"

// The loops are in f32_kernels.inc, compiled per instruction set.
namespace gpt2::kernels {

void layer_norm(float* out, const float* x, const float* weight, const float* bias, int T, int C, float eps) {
    f32::active().layer_norm(out, x, weight, bias, T, C, eps);
}

}  // namespace gpt2::kernels
