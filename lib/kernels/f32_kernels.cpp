#include "kernels/f32_kernels.hpp"

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

}  // namespace gpt2::kernels::f32
