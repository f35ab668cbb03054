#pragma once
// The instruction-set levels a test can run at (kernels::cpu), shared by the
// kernel, format, quantization and golden tests.
#include <vector>

#include "kernels/cpu.hpp"

namespace gpt2::test {

// Every level up to what this CPU has, scalar first.
inline std::vector<kernels::cpu::Isa> available_isas() {
    namespace cpu = kernels::cpu;
    std::vector<cpu::Isa> out;
    for (cpu::Isa isa : {cpu::Isa::kScalar, cpu::Isa::kAvx2, cpu::Isa::kAvx512})
        if (static_cast<int>(isa) <= static_cast<int>(cpu::detected())) out.push_back(isa);
    return out;
}

// Caps the active level for a scope and restores the previous one after.
struct IsaScope {
    kernels::cpu::Isa saved;
    explicit IsaScope(kernels::cpu::Isa isa) : saved(kernels::cpu::set_active(isa)) {}
    ~IsaScope() { kernels::cpu::set_active(saved); }
    IsaScope(const IsaScope&) = delete;
    IsaScope& operator=(const IsaScope&) = delete;
};

}  // namespace gpt2::test
