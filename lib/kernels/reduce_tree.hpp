#pragma once
// Many horizontal sums at once, with the bits of one-at-a-time reductions.
//
// simd::reduce_add (kernels/simd.hpp) sums one vector's lanes by a fixed
// tree: AVX-512 adds lane i and i+8, then i and i+4, i and i+2, i and i+1
// (AVX2 starts at i + i+4). Here a full vector's worth of such sums (16 on
// AVX-512, 8 on AVX2) are computed together: each level of the tree pairs
// the halves of two vectors with one shuffle per operand, so every add
// combines the same two partial sums as reduce_add would, and the results
// are the same bits. 16 sums cost 15 adds and 30 shuffles instead of 16
// dependent chains of 8 instructions; the dot-product tiles (the logits,
// attention scores) end with such a set of reductions, which was a third of
// the work of a tile with short rows (C = 192 on the bundled model).
//
// Functions carry their own target attributes, so both the per-level F32
// translation units (compiled with -m flags) and the format kernels
// (function-level targets) can call them.
#if defined(__x86_64__)
#include <cstdint>

#include <immintrin.h>

namespace gpt2::kernels::tree {

// Lane j of the result = reduce_add(a[j]) (AVX-512 tree). The tree leaves
// sum j in lane (j % 4)·4 + j / 4; the inputs are taken in that
// (self-inverse) order so the sums come out in lane order.
__attribute__((target("avx512f"))) inline __m512 add_each(const __m512 (&a)[16]) {
    const auto in = [&](int j) { return a[(j % 4) * 4 + j / 4]; };
    __m512 h[8], q[4], d[2];
    for (int j = 0; j < 8; ++j) {   // lanes 0-7 + 8-15 of two vectors: [a | b] halves
        const __m512 x = in(2 * j), y = in(2 * j + 1);
        h[j] = _mm512_add_ps(_mm512_shuffle_f32x4(x, y, 0x44), _mm512_shuffle_f32x4(x, y, 0xEE));
    }
    for (int j = 0; j < 4; ++j)     // 128-bit lanes 0 + 1 and 2 + 3
        q[j] = _mm512_add_ps(_mm512_shuffle_f32x4(h[2 * j], h[2 * j + 1], 0x88),
                             _mm512_shuffle_f32x4(h[2 * j], h[2 * j + 1], 0xDD));
    for (int j = 0; j < 2; ++j)     // elements 0 + 2 and 1 + 3 of each 128-bit lane
        d[j] = _mm512_add_ps(_mm512_shuffle_ps(q[2 * j], q[2 * j + 1], 0x44),
                             _mm512_shuffle_ps(q[2 * j], q[2 * j + 1], 0xEE));
    // elements 0 + 1
    return _mm512_add_ps(_mm512_shuffle_ps(d[0], d[1], 0x88), _mm512_shuffle_ps(d[0], d[1], 0xDD));
}

// Lane j of the result = reduce_add(a[j]) (AVX2 tree). The tree leaves sum j
// in lane (j % 4)·2 + j / 4, so input j is a[(j % 2)·4 + j / 2].
__attribute__((target("avx"))) inline __m256 add_each(const __m256 (&a)[8]) {
    const auto in = [&](int j) { return a[(j % 2) * 4 + j / 2]; };
    __m256 q[4], d[2];
    for (int j = 0; j < 4; ++j) {   // 128-bit halves: lane i + lane i+4
        const __m256 x = in(2 * j), y = in(2 * j + 1);
        q[j] = _mm256_add_ps(_mm256_permute2f128_ps(x, y, 0x20), _mm256_permute2f128_ps(x, y, 0x31));
    }
    for (int j = 0; j < 2; ++j)     // elements 0 + 2 and 1 + 3 of each 128-bit lane
        d[j] = _mm256_add_ps(_mm256_shuffle_ps(q[2 * j], q[2 * j + 1], 0x44),
                             _mm256_shuffle_ps(q[2 * j], q[2 * j + 1], 0xEE));
    // elements 0 + 1
    return _mm256_add_ps(_mm256_shuffle_ps(d[0], d[1], 0x88), _mm256_shuffle_ps(d[0], d[1], 0xDD));
}

// reduce_add of each of four vectors (AVX-512 tree), as the four lanes of
// a 128-bit result: the one row of four sums a 5-row dot tile has left
// after its 16 (store_fours), where four separate reductions were four
// dependent chains of 8 instructions. The same pairs at every level as
// add_each: 256-bit halves, 128-bit lanes, then elements 0 + 2 and 1 + 3,
// then 0 + 1 inside each 128-bit lane (one vector per lane).
__attribute__((target("avx512f"))) inline __m128 add_four(const __m512 (&a)[4]) {
    const __m512 h0 = _mm512_add_ps(_mm512_shuffle_f32x4(a[0], a[1], 0x44), _mm512_shuffle_f32x4(a[0], a[1], 0xEE));
    const __m512 h1 = _mm512_add_ps(_mm512_shuffle_f32x4(a[2], a[3], 0x44), _mm512_shuffle_f32x4(a[2], a[3], 0xEE));
    const __m512 q = _mm512_add_ps(_mm512_shuffle_f32x4(h0, h1, 0x88), _mm512_shuffle_f32x4(h0, h1, 0xDD));
    const __m512 d = _mm512_add_ps(q, _mm512_shuffle_ps(q, q, 0xEE));
    const __m512 s = _mm512_add_ps(d, _mm512_shuffle_ps(d, d, 0x55));
    return _mm512_castps512_ps128(_mm512_permutexvar_ps(_mm512_set_epi32(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 12, 8, 4, 0), s));
}

// Lanes 4q .. 4q + 3 of v to dst + q·stride, for each 4-lane quarter q:
// the dot-product tiles' sums when a row's four outputs share a quarter of
// the reduced vector.
__attribute__((target("avx512f"))) inline void store_fours(float* dst, std::int64_t stride, __m512 v) {
    _mm_storeu_ps(dst, _mm512_castps512_ps128(v));
    _mm_storeu_ps(dst + stride, _mm512_extractf32x4_ps(v, 1));
    _mm_storeu_ps(dst + 2 * stride, _mm512_extractf32x4_ps(v, 2));
    _mm_storeu_ps(dst + 3 * stride, _mm512_extractf32x4_ps(v, 3));
}
__attribute__((target("avx"))) inline void store_fours(float* dst, std::int64_t stride, __m256 v) {
    _mm_storeu_ps(dst, _mm256_castps256_ps128(v));
    _mm_storeu_ps(dst + stride, _mm256_extractf128_ps(v, 1));
}

}  // namespace gpt2::kernels::tree
#endif
