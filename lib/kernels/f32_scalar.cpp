// The F32 kernels at the scalar level (see f32_kernels.hpp); lib/CMakeLists.txt
// compiles this file with that level's -m flags.
#define GPT2_SIMD_LEVEL 0
#define GPT2_F32_TABLE kernels_scalar
#include "kernels/f32_kernels.inc"
