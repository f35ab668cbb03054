#include "numeric/half.hpp"

#include <bit>

namespace gpt2::numeric {

// binary32: 1 sign, 8 exponent (bias 127), 23 mantissa bits.
// binary16: 1 sign, 5 exponent (bias 15), 10 mantissa bits; smallest normal
// 2^-14, subnormals are m * 2^-24, largest finite 65504.
std::uint16_t f32_to_f16(float value) {
    const std::uint32_t x = std::bit_cast<std::uint32_t>(value);
    const std::uint32_t sign = (x >> 16) & 0x8000u;
    const std::uint32_t ax = x & 0x7fffffffu;
    if (ax >= 0x7f800000u) {                       // inf or NaN
        if (ax == 0x7f800000u) return static_cast<std::uint16_t>(sign | 0x7c00u);
        // NaN: keep the top payload bits, set the quiet bit so it stays NaN.
        return static_cast<std::uint16_t>(sign | 0x7e00u | ((ax >> 13) & 0x3ffu));
    }
    // 65520 = 0x477ff000 is halfway between 65504 (odd mantissa) and 2^16:
    // ties-to-even rounds it, and everything above, to infinity.
    if (ax >= 0x477ff000u) return static_cast<std::uint16_t>(sign | 0x7c00u);
    if (ax < 0x38800000u) {                        // below 2^-14: F16 subnormal or zero
        // 2^-25 (0x33000000) is the tie between 0 and 2^-24: even -> 0.
        if (ax <= 0x33000000u) return static_cast<std::uint16_t>(sign);
        const std::uint32_t e = ax >> 23;          // 102..112
        const std::uint32_t m = (ax & 0x7fffffu) | 0x800000u;
        // value = m * 2^(e-150) = (m >> (126-e)) * 2^-24
        const std::uint32_t shift = 126u - e;      // 14..24
        std::uint32_t h = m >> shift;
        const std::uint32_t rem = m & ((1u << shift) - 1u);
        const std::uint32_t half = 1u << (shift - 1u);
        if (rem > half || (rem == half && (h & 1u))) ++h;   // may carry into the smallest normal: still right
        return static_cast<std::uint16_t>(sign | h);
    }
    // Normal: rebias the exponent (127-15 = 112, i.e. 0x38000000 in place)
    // and round off the 13 low mantissa bits; a carry into the exponent is
    // the correct result.
    std::uint32_t h = (ax - 0x38000000u) >> 13;
    const std::uint32_t rem = ax & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) ++h;
    return static_cast<std::uint16_t>(sign | h);
}

float f16_to_f32(std::uint16_t bits) {
    const std::uint32_t sign = static_cast<std::uint32_t>(bits & 0x8000u) << 16;
    std::uint32_t e = (bits >> 10) & 0x1fu;
    std::uint32_t m = bits & 0x3ffu;
    std::uint32_t x;
    if (e == 0x1fu) {
        x = sign | 0x7f800000u | (m << 13);        // inf / NaN (payload kept)
    } else if (e == 0) {
        if (m == 0) {
            x = sign;
        } else {                                   // subnormal: normalize m * 2^-24
            e = 113;                               // 127 - 14
            while ((m & 0x400u) == 0) {
                m <<= 1;
                --e;
            }
            x = sign | (e << 23) | ((m & 0x3ffu) << 13);
        }
    } else {
        x = sign | ((e + 112u) << 23) | (m << 13);
    }
    return std::bit_cast<float>(x);
}

// bfloat16 is the top half of a binary32.
std::uint16_t f32_to_bf16(float value) {
    const std::uint32_t x = std::bit_cast<std::uint32_t>(value);
    if ((x & 0x7fffffffu) > 0x7f800000u)           // NaN: truncate, force the quiet bit
        return static_cast<std::uint16_t>((x >> 16) | 0x0040u);
    // Round to nearest even; finite values near the top carry into infinity.
    const std::uint32_t rounded = x + 0x7fffu + ((x >> 16) & 1u);
    return static_cast<std::uint16_t>(rounded >> 16);
}

float bf16_to_f32(std::uint16_t bits) {
    return std::bit_cast<float>(static_cast<std::uint32_t>(bits) << 16);
}

void f16_to_f32(const std::uint16_t* src, float* dst, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) dst[i] = f16_to_f32(src[i]);
}
void bf16_to_f32(const std::uint16_t* src, float* dst, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) dst[i] = bf16_to_f32(src[i]);
}
void f32_to_f16(const float* src, std::uint16_t* dst, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) dst[i] = f32_to_f16(src[i]);
}
void f32_to_bf16(const float* src, std::uint16_t* dst, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) dst[i] = f32_to_bf16(src[i]);
}

}  // namespace gpt2::numeric
