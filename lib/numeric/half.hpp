#pragma once
// IEEE 754 binary16 (F16) and bfloat16 (BF16) <-> binary32 conversions.
//
// float -> 16 bit rounds to nearest, ties to even (as IEEE 754 and PyTorch's
// .half()/.bfloat16() do), including F16 subnormals, overflow to infinity and
// NaN (kept NaN, quiet, sign kept). 16 bit -> float is exact. Pure functions,
// thread-safe. Written with integer arithmetic so results do not depend on
// the compiler's or CPU's floating-point modes.
#include <bit>
#include <cstddef>
#include <cstdint>

namespace gpt2::numeric {

std::uint16_t f32_to_f16(float value);
float f16_to_f32(std::uint16_t bits);
std::uint16_t f32_to_bf16(float value);
float bf16_to_f32(std::uint16_t bits);

// value rounded to bf16 precision and returned as a float, as vcvtneps2bf16
// rounds: subnormal inputs flushed to zero (sign kept) first, then to
// nearest, ties to even; NaN stays NaN (quiet). Inline so that loops over
// activations vectorise.
inline float round_to_bf16_flush_subnormals(float value) {
    std::uint32_t x = std::bit_cast<std::uint32_t>(value);
    const bool subnormal = (x & 0x7f800000u) == 0;
    const bool nan = (x & 0x7fffffffu) > 0x7f800000u;
    x = subnormal ? x & 0x80000000u : nan ? x | 0x00400000u : x + 0x7fffu + ((x >> 16) & 1u);
    return std::bit_cast<float>(x & 0xffff0000u);
}

// Bulk conversions of n elements (dst and src must not overlap).
void f16_to_f32(const std::uint16_t* src, float* dst, std::size_t n);
void bf16_to_f32(const std::uint16_t* src, float* dst, std::size_t n);
void f32_to_f16(const float* src, std::uint16_t* dst, std::size_t n);
void f32_to_bf16(const float* src, std::uint16_t* dst, std::size_t n);

}  // namespace gpt2::numeric
