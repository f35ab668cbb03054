// F16/BF16 conversions against hand-computed IEEE 754 bit patterns.
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <gtest/gtest.h>

#include "numeric/half.hpp"

namespace gpt2::numeric {
namespace {

float bits_to_float(std::uint32_t b) { return std::bit_cast<float>(b); }

TEST(F16, ExactValues) {
    EXPECT_EQ(f32_to_f16(0.0f), 0x0000);
    EXPECT_EQ(f32_to_f16(-0.0f), 0x8000);
    EXPECT_EQ(f32_to_f16(1.0f), 0x3c00);
    EXPECT_EQ(f32_to_f16(0.5f), 0x3800);
    EXPECT_EQ(f32_to_f16(-2.0f), 0xc000);
    EXPECT_EQ(f32_to_f16(65504.0f), 0x7bff);     // largest finite
    EXPECT_EQ(f32_to_f16(std::ldexp(1.0f, -14)), 0x0400);   // smallest normal
}

TEST(F16, RoundsToNearestEven) {
    // 0.1 = 1.6 * 2^-4: mantissa 0.6 * 1024 = 614.4 -> 614 = 0x266.
    EXPECT_EQ(f32_to_f16(0.1f), 0x2e66);
    // 1 + 2^-11 is halfway between 1 (even) and 1 + 2^-10: stays 1.
    EXPECT_EQ(f32_to_f16(1.0f + std::ldexp(1.0f, -11)), 0x3c00);
    // 1 + 3*2^-11 is halfway between 0x3c01 (odd) and 0x3c02 (even).
    EXPECT_EQ(f32_to_f16(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3c02);
    // Just above the tie rounds up.
    EXPECT_EQ(f32_to_f16(1.0f + std::ldexp(1.0f, -11) + std::ldexp(1.0f, -20)), 0x3c01);
    // Just below the overflow tie 65520 stays finite; the tie goes to infinity.
    EXPECT_EQ(f32_to_f16(65519.0f), 0x7bff);
    EXPECT_EQ(f32_to_f16(65520.0f), 0x7c00);
    EXPECT_EQ(f32_to_f16(1e6f), 0x7c00);
    EXPECT_EQ(f32_to_f16(-1e6f), 0xfc00);
}

TEST(F16, Subnormals) {
    EXPECT_EQ(f32_to_f16(std::ldexp(1.0f, -24)), 0x0001);            // smallest subnormal
    EXPECT_EQ(f32_to_f16(1023 * std::ldexp(1.0f, -24)), 0x03ff);     // largest subnormal
    EXPECT_EQ(f32_to_f16(std::ldexp(1.0f, -25)), 0x0000);            // tie 0 / 2^-24: even
    EXPECT_EQ(f32_to_f16(-std::ldexp(1.0f, -25)), 0x8000);
    EXPECT_EQ(f32_to_f16(bits_to_float(0x33000001)), 0x0001);        // just above the tie
    EXPECT_EQ(f32_to_f16(3 * std::ldexp(1.0f, -25)), 0x0002);        // 1.5 units: tie to even 2
    EXPECT_EQ(f32_to_f16(5 * std::ldexp(1.0f, -25)), 0x0002);        // 2.5 units: tie to even 2
    EXPECT_EQ(f32_to_f16(1023.5f * std::ldexp(1.0f, -24)), 0x0400);  // carries into the smallest normal
    EXPECT_EQ(f32_to_f16(std::numeric_limits<float>::denorm_min()), 0x0000);
}

TEST(F16, InfinityAndNaN) {
    EXPECT_EQ(f32_to_f16(std::numeric_limits<float>::infinity()), 0x7c00);
    EXPECT_EQ(f32_to_f16(-std::numeric_limits<float>::infinity()), 0xfc00);
    for (std::uint32_t nan : {0x7fc00000u, 0x7f800001u, 0xffc00000u, 0x7f802000u}) {
        std::uint16_t h = f32_to_f16(bits_to_float(nan));
        EXPECT_EQ(h & 0x7c00, 0x7c00) << std::hex << nan;
        EXPECT_NE(h & 0x03ff, 0) << std::hex << nan;      // still a NaN, not infinity
        EXPECT_EQ(h & 0x8000, (nan >> 16) & 0x8000) << std::hex << nan;
    }
    EXPECT_TRUE(std::isnan(f16_to_f32(0x7e00)));
    EXPECT_TRUE(std::isnan(f16_to_f32(0x7c01)));
    EXPECT_EQ(f16_to_f32(0xfc00), -std::numeric_limits<float>::infinity());
}

TEST(F16, ToFloat) {
    EXPECT_EQ(f16_to_f32(0x3c00), 1.0f);
    EXPECT_EQ(f16_to_f32(0x3555), 0.333251953125f);   // 0x155 = 341: (1 + 341/1024) / 4
    EXPECT_EQ(f16_to_f32(0x7bff), 65504.0f);
    EXPECT_EQ(f16_to_f32(0x0001), std::ldexp(1.0f, -24));
    EXPECT_EQ(f16_to_f32(0x03ff), 1023 * std::ldexp(1.0f, -24));
    EXPECT_EQ(f16_to_f32(0x0200), std::ldexp(1.0f, -15));
    EXPECT_EQ(std::bit_cast<std::uint32_t>(f16_to_f32(0x8000)), 0x80000000u);
}

TEST(F16, EveryNonNaNValueRoundTrips) {
    for (std::uint32_t h = 0; h <= 0xffff; ++h) {
        const bool nan = (h & 0x7c00) == 0x7c00 && (h & 0x3ff) != 0;
        if (nan) continue;
        ASSERT_EQ(f32_to_f16(f16_to_f32(static_cast<std::uint16_t>(h))), h) << std::hex << h;
    }
}

#if defined(__FLT16_MAX__)
// The compiler's own _Float16 conversion (IEEE round to nearest even) as an
// independent reference over a spread of magnitudes.
TEST(F16, MatchesCompilerFloat16) {
    std::uint32_t state = 12345;
    for (int i = 0; i < 200000; ++i) {
        state = state * 1664525u + 1013904223u;
        // Exponents 80..160 cover zero, subnormals, normals and overflow.
        const std::uint32_t bits = (state & 0x807fffffu) | ((80u + (state >> 8) % 81u) << 23);
        const float x = bits_to_float(bits);
        const _Float16 ref = static_cast<_Float16>(x);
        ASSERT_EQ(f32_to_f16(x), std::bit_cast<std::uint16_t>(ref)) << std::hex << bits;
    }
}
#endif

TEST(BF16, RoundsToNearestEven) {
    EXPECT_EQ(f32_to_bf16(1.0f), 0x3f80);
    EXPECT_EQ(f32_to_bf16(-1.0f), 0xbf80);
    EXPECT_EQ(f32_to_bf16(bits_to_float(0x3f808000)), 0x3f80);   // tie, even stays
    EXPECT_EQ(f32_to_bf16(bits_to_float(0x3f818000)), 0x3f82);   // tie, odd rounds up
    EXPECT_EQ(f32_to_bf16(bits_to_float(0x3f808001)), 0x3f81);   // above the tie
    EXPECT_EQ(f32_to_bf16(bits_to_float(0x3f807fff)), 0x3f80);   // below the tie
    EXPECT_EQ(f32_to_bf16(std::numeric_limits<float>::max()), 0x7f80);   // overflows to inf
    EXPECT_EQ(f32_to_bf16(std::numeric_limits<float>::infinity()), 0x7f80);
    EXPECT_EQ(f32_to_bf16(-std::numeric_limits<float>::infinity()), 0xff80);
    EXPECT_EQ(f32_to_bf16(std::numeric_limits<float>::denorm_min()), 0x0000);
    EXPECT_EQ(f32_to_bf16(bits_to_float(0x00018000)), 0x0002);   // subnormal tie to even
}

TEST(BF16, NaNStaysNaN) {
    EXPECT_EQ(f32_to_bf16(bits_to_float(0x7fc00000)), 0x7fc0);
    EXPECT_EQ(f32_to_bf16(bits_to_float(0x7f800001)), 0x7fc0);   // payload only in low bits
    EXPECT_EQ(f32_to_bf16(bits_to_float(0xff800001)), 0xffc0);
    EXPECT_TRUE(std::isnan(bf16_to_f32(0x7fc0)));
}

TEST(BF16, ToFloat) {
    EXPECT_EQ(bf16_to_f32(0x4049), 3.140625f);   // 1.5703125 * 2
    EXPECT_EQ(bf16_to_f32(0x3f80), 1.0f);
    for (std::uint32_t h = 0; h <= 0xffff; ++h) {
        if ((h & 0x7f80) == 0x7f80 && (h & 0x7f) != 0) continue;
        ASSERT_EQ(f32_to_bf16(bf16_to_f32(static_cast<std::uint16_t>(h))), h);
    }
}

// The activation rounding of BF16 products (kernels/matmul_half.hpp): as
// f32_to_bf16 for normal values, subnormals flushed to signed zero first.
TEST(BF16, ActivationRoundingFlushesSubnormals) {
    for (std::uint32_t b : {0x3f808000u, 0x3f818000u, 0xbf807fffu, 0x7f7fffffu, 0x00800000u, 0x7f800000u}) {
        const float v = bits_to_float(b);
        EXPECT_EQ(std::bit_cast<std::uint32_t>(round_to_bf16_flush_subnormals(v)),
                  static_cast<std::uint32_t>(f32_to_bf16(v)) << 16)
            << std::hex << b;
    }
    EXPECT_EQ(std::bit_cast<std::uint32_t>(round_to_bf16_flush_subnormals(bits_to_float(0x007fffffu))), 0u);
    EXPECT_EQ(std::bit_cast<std::uint32_t>(round_to_bf16_flush_subnormals(bits_to_float(0x80018000u))), 0x80000000u);
    EXPECT_TRUE(std::isnan(round_to_bf16_flush_subnormals(bits_to_float(0x7f800001u))));
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
__attribute__((target("avx512f,avx512bf16,avx512vl"))) void hardware_round(const float* in, std::uint16_t* out) {
    const __m256bh h = _mm512_cvtneps_pbh(_mm512_loadu_ps(in));
    std::memcpy(out, &h, 32);
}

// Against the instruction itself (vcvtneps2bf16) where the CPU has it, over
// every 16th float bit pattern: the scalar rounding is what the vdpbf16ps
// prefill kernel's bits assume.
TEST(BF16, ActivationRoundingEqualsVcvtneps2bf16) {
    if (!__builtin_cpu_supports("avx512bf16")) GTEST_SKIP() << "no AVX512_BF16 on this CPU";
    float in[16];
    std::uint16_t hw[16];
    for (std::uint64_t base = 0; base < (std::uint64_t{1} << 32); base += 16 * 16) {
        for (int i = 0; i < 16; ++i) in[i] = bits_to_float(static_cast<std::uint32_t>(base + 16 * i + (i & 15)));
        hardware_round(in, hw);
        for (int i = 0; i < 16; ++i) {
            const std::uint32_t sw = std::bit_cast<std::uint32_t>(round_to_bf16_flush_subnormals(in[i]));
            if (std::isnan(in[i])) ASSERT_TRUE((hw[i] & 0x7f80) == 0x7f80 && (hw[i] & 0x7f) != 0);
            else ASSERT_EQ(sw, static_cast<std::uint32_t>(hw[i]) << 16) << std::hex << std::bit_cast<std::uint32_t>(in[i]);
        }
    }
}
#endif

TEST(Bulk, MatchesScalar) {
    const float src[] = {0.1f, -3.5f, 1e-6f, 70000.0f, 0.0f};
    std::uint16_t h[5], b[5];
    float back[5];
    f32_to_f16(src, h, 5);
    f32_to_bf16(src, b, 5);
    for (int i = 0; i < 5; ++i) {
        EXPECT_EQ(h[i], f32_to_f16(src[i]));
        EXPECT_EQ(b[i], f32_to_bf16(src[i]));
    }
    f16_to_f32(h, back, 5);
    for (int i = 0; i < 5; ++i) EXPECT_EQ(std::bit_cast<std::uint32_t>(back[i]), std::bit_cast<std::uint32_t>(f16_to_f32(h[i])));
    bf16_to_f32(b, back, 5);
    for (int i = 0; i < 5; ++i) EXPECT_EQ(back[i], bf16_to_f32(b[i]));
}

}  // namespace
}  // namespace gpt2::numeric
