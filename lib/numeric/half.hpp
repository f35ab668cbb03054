#pragma once
// IEEE 754 binary16 (F16) and bfloat16 (BF16) <-> binary32 conversions.
//
// float -> 16 bit rounds to nearest, ties to even (as IEEE 754 and PyTorch's
// .half()/.bfloat16() do), including F16 subnormals, overflow to infinity and
// NaN (kept NaN, quiet, sign kept). 16 bit -> float is exact. Pure functions,
// thread-safe. Written with integer arithmetic so results do not depend on
// the compiler's or CPU's floating-point modes.
#include <cstddef>
#include <cstdint>

namespace gpt2::numeric {

std::uint16_t f32_to_f16(float value);
float f16_to_f32(std::uint16_t bits);
std::uint16_t f32_to_bf16(float value);
float bf16_to_f32(std::uint16_t bits);

// Bulk conversions of n elements (dst and src must not overlap).
void f16_to_f32(const std::uint16_t* src, float* dst, std::size_t n);
void bf16_to_f32(const std::uint16_t* src, float* dst, std::size_t n);
void f32_to_f16(const float* src, std::uint16_t* dst, std::size_t n);
void f32_to_bf16(const float* src, std::uint16_t* dst, std::size_t n);

}  // namespace gpt2::numeric
