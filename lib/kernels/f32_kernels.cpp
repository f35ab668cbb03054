#include "kernels/f32_kernels.hpp"

#include <cstddef>
#include <vector>

namespace gpt2::kernels::f32 {

const Kernels& kernels_for(cpu::Isa isa) {
    switch (isa) {
#if defined(__x86_64__)
        case cpu::Isa::kAvx512: return kernels_avx512();
        case cpu::Isa::kAvx2: return kernels_avx2();
#endif
        default: return kernels_scalar();
    }
}

float* sweep_buffer(int T, int C_out) {
    thread_local std::vector<float> buf;
    const std::size_t need =
        T > 1 && T <= kSweepMaxRows ? static_cast<std::size_t>(T) * static_cast<std::size_t>(C_out) : 0;
    if (buf.size() < need) buf.resize(need);
    return buf.data();
}

}  // namespace gpt2::kernels::f32
