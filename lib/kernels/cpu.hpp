#pragma once
// Runtime CPU-feature dispatch for the weight-format kernels (16-bit and q8).
//
//   if (kernels::cpu::active() >= kernels::cpu::Isa::kAvx512) ...
//
// The kernels of matmul_half.cpp and matmul_q8.cpp are compiled for several
// instruction sets with function-level target attributes (not the global
// -march), and one is chosen at run time: the best the CPU supports, probed
// once (cpuid through __builtin_cpu_supports) on first use. So a binary built
// without -march=native still uses AVX-512 where it exists and runs on any
// x86-64 CPU (scalar fallback). GPT2_ISA=scalar|avx2|avx512 in the
// environment caps the choice (benchmarks and tests of the fallbacks);
// set_active() does the same from code (tests). Thread-safety: active() is a
// relaxed atomic read; set_active() is for tests and benchmarks only, called
// while no kernel runs.
namespace gpt2::kernels::cpu {

// Ordered: a level implies the ones below.
enum class Isa {
    kScalar = 0,   // plain C++ (exact std::fma), any CPU
    kAvx2 = 1,     // AVX2 + FMA + F16C
    kAvx512 = 2,   // AVX-512 F/BW/VL/DQ (+ FMA, F16C)
};

// What the CPU supports (probed once).
Isa detected();
// The level the kernels use: detected(), capped by $GPT2_ISA and set_active().
Isa active();
// Caps the level to min(isa, detected()) and returns the previous active level.
Isa set_active(Isa isa);
// Extensions used by individual kernels on top of the level.
bool has_avx512_vnni();   // vpdpbusd on 256-bit registers (AVX512_VNNI + VL)
bool has_avx512_bf16();   // vdpbf16ps (reported; see docs/benchmarks.md)
const char* isa_name(Isa isa);

}  // namespace gpt2::kernels::cpu
