#pragma once
// Per-function instruction-set targets for the kernels that are compiled
// once and pick their path at run time (kernels::cpu::active()): the 16-bit,
// q8 and panel products. Include first among the kernel's x86 headers.
#if defined(__x86_64__)
// GCC 12 reports -W(maybe-)uninitialized inside its own AVX-512 intrinsics
// (see kernels/simd.hpp); the pragmas hold for the rest of the including file.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#include <immintrin.h>
#define GPT2_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,fma,f16c")))
#define GPT2_VNNI __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx2,fma,f16c")))
#define GPT2_AVX2 __attribute__((target("avx2,fma,f16c")))
#endif
