// The F32 kernels at the avx512 level (see f32_kernels.hpp); lib/CMakeLists.txt
// compiles this file with that level's -m flags.
#if defined(__x86_64__)
#define GPT2_SIMD_LEVEL 2
#define GPT2_F32_TABLE kernels_avx512
#include "kernels/f32_kernels.inc"
#endif
