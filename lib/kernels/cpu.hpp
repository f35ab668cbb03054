#pragma once
// Runtime CPU-feature dispatch for every kernel with vector code: the F32
// kernels (matmul, attention, layer norm, softmax, GELU, residual) and the
// weight-format kernels (16-bit and q8).
//
//   if (kernels::cpu::active() >= kernels::cpu::Isa::kAvx512) ...
//
// Each kernel is compiled for several instruction sets regardless of the
// global -march, and one is chosen at run time per kernel call: the best the
// CPU supports, probed once (cpuid through __builtin_cpu_supports) on first
// use. The F32 kernels are one source (f32_kernels.inc) compiled three times
// with per-file -m flags (kernels/f32_kernels.hpp explains why); the 16-bit
// and q8 kernels use function-level target attributes (matmul_half.cpp,
// matmul_q8.cpp). So a binary built without -march=native
// (-DGPT2_NATIVE=OFF) still uses AVX-512 where it exists and runs on any
// x86-64 CPU (scalar fallback); a -march=native build (the default for local
// builds) additionally lets the compiler use the build machine's features
// everywhere else, so it runs only on CPUs like the build machine.
// Results depend on the level only through the vector width of reductions
// (dot products, sums): at one level the 16-bit kernels give the F32 kernels'
// bits on the widened weights. GPT2_ISA=scalar|avx2|avx512 in the
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
bool has_avx512_vnni();   // vpdpbusd (AVX512_VNNI, with the kAvx512 level active)
bool has_avx512_bf16();   // vdpbf16ps (BF16 prefill: kernels/matmul_bf16_pairs.hpp)
const char* isa_name(Isa isa);

}  // namespace gpt2::kernels::cpu
