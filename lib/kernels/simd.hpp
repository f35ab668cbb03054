#pragma once
// A minimal SIMD vocabulary for the kernels: one float vector type `Vec`
// (AVX-512: 16 lanes, AVX2+FMA: 8 lanes, otherwise 1) and `Scalar`, a
// one-lane type with the *same* operations.
//
// Why a one-lane twin: element-wise kernels process the tail of an array
// (n not a multiple of the width) with Scalar, running the same template
// code. Every operation is an IEEE single-precision op (fma is fused in both),
// so a tail element gets exactly the bits it would get in a vector lane, and
// results do not depend on where the thread partition cut the array.
//
// The width is fixed per translation unit. The F32 kernels (f32_kernels.inc)
// are compiled once per level, each translation unit defining
// GPT2_SIMD_LEVEL (0 scalar, 1 AVX2+FMA, 2 AVX-512) and compiled with that
// level's -m flags (lib/CMakeLists.txt); kernels::cpu::active() picks one at
// run time. Without GPT2_SIMD_LEVEL (bench/read_bandwidth.hpp) the width
// follows the compiler's target macros. Everything here lives in an inline
// namespace named after the level, so the three copies of these inline
// functions (same names, different instructions) never merge at link time.
#include <cmath>
#include <cstdint>
#include <cstring>

#if !defined(GPT2_SIMD_LEVEL)
#if defined(__AVX512F__)
#define GPT2_SIMD_LEVEL 2
#elif defined(__AVX2__) && defined(__FMA__)
#define GPT2_SIMD_LEVEL 1
#else
#define GPT2_SIMD_LEVEL 0
#endif
#define GPT2_SIMD_NS build_flags
#elif GPT2_SIMD_LEVEL == 2
#define GPT2_SIMD_NS level_avx512
#elif GPT2_SIMD_LEVEL == 1
#define GPT2_SIMD_NS level_avx2
#else
#define GPT2_SIMD_NS level_scalar
#endif
#if GPT2_SIMD_LEVEL == 2 && !defined(__AVX512F__)
#error "GPT2_SIMD_LEVEL 2 needs -mavx512f -mavx512bw -mavx512vl -mavx512dq -mfma"
#endif
#if GPT2_SIMD_LEVEL == 1 && !(defined(__AVX2__) && defined(__FMA__))
#error "GPT2_SIMD_LEVEL 1 needs -mavx2 -mfma"
#endif

#if GPT2_SIMD_LEVEL > 0
// GCC 12 reports -W(maybe-)uninitialized inside its own AVX-512 intrinsics (they
// pass _mm512_undefined_*() as the ignored merge source of an unmasked op); the
// warning is located in immintrin.h, so it is silenced for the lines after
// this point of the translation unit (kernel sources only include this file).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#include <immintrin.h>

#include "kernels/reduce_tree.hpp"
#endif

namespace gpt2::kernels::simd {
inline namespace GPT2_SIMD_NS {

struct Scalar {
    static constexpr int kWidth = 1;
    float v;
    static Scalar load(const float* p) { return {*p}; }
    static Scalar set1(float x) { return {x}; }
    static Scalar zero() { return {0.0f}; }
    void store(float* p) const { *p = v; }
};
inline Scalar operator+(Scalar a, Scalar b) { return {a.v + b.v}; }
inline Scalar operator-(Scalar a, Scalar b) { return {a.v - b.v}; }
inline Scalar operator*(Scalar a, Scalar b) { return {a.v * b.v}; }
inline Scalar operator/(Scalar a, Scalar b) { return {a.v / b.v}; }
// a * b + c, rounded once.
inline Scalar fma(Scalar a, Scalar b, Scalar c) { return {__builtin_fmaf(a.v, b.v, c.v)}; }
inline Scalar max(Scalar a, Scalar b) { return {a.v > b.v ? a.v : b.v}; }
inline Scalar min(Scalar a, Scalar b) { return {a.v < b.v ? a.v : b.v}; }
// Round to nearest, ties to even (the default rounding mode).
inline Scalar round_nearest(Scalar a) { return {__builtin_nearbyintf(a.v)}; }
// 2^n for an integral-valued n in [-126, 127].
inline Scalar exp2_int(Scalar n) {
    const std::int32_t bits = (static_cast<std::int32_t>(n.v) + 127) << 23;
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return {f};
}
inline float reduce_add(Scalar a) { return a.v; }
inline float reduce_max(Scalar a) { return a.v; }
// reduce_add_each(a) for a one-lane "vector": lane j = reduce_add(a[j]).
inline Scalar reduce_add_each(const Scalar* a) { return a[0]; }

#if GPT2_SIMD_LEVEL == 2
struct Vec {
    static constexpr int kWidth = 16;
    __m512 v;
    static Vec load(const float* p) { return {_mm512_loadu_ps(p)}; }
    static Vec set1(float x) { return {_mm512_set1_ps(x)}; }
    static Vec zero() { return {_mm512_setzero_ps()}; }
    void store(float* p) const { _mm512_storeu_ps(p, v); }
    // Lanes 4q .. 4q + 3 to p + q·stride (kernels/reduce_tree.hpp).
    void store_fours(float* p, std::int64_t stride) const { tree::store_fours(p, stride, v); }
};
inline Vec operator+(Vec a, Vec b) { return {_mm512_add_ps(a.v, b.v)}; }
inline Vec operator-(Vec a, Vec b) { return {_mm512_sub_ps(a.v, b.v)}; }
inline Vec operator*(Vec a, Vec b) { return {_mm512_mul_ps(a.v, b.v)}; }
inline Vec operator/(Vec a, Vec b) { return {_mm512_div_ps(a.v, b.v)}; }
inline Vec fma(Vec a, Vec b, Vec c) { return {_mm512_fmadd_ps(a.v, b.v, c.v)}; }
inline Vec max(Vec a, Vec b) { return {_mm512_max_ps(a.v, b.v)}; }
inline Vec min(Vec a, Vec b) { return {_mm512_min_ps(a.v, b.v)}; }
inline Vec round_nearest(Vec a) {
    return {_mm512_roundscale_ps(a.v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)};
}
inline Vec exp2_int(Vec n) {
    const __m512i e = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(n.v), _mm512_set1_epi32(127)), 23);
    return {_mm512_castsi512_ps(e)};
}
// Fixed reduction tree (halves folded pairwise), so the result depends only
// on the lane values.
inline float reduce_add(Vec a) {
    const __m256 h = _mm256_add_ps(_mm512_castps512_ps256(a.v),
                                   _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(a.v), 1)));
    const __m128 q = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
    const __m128 d = _mm_add_ps(q, _mm_movehl_ps(q, q));
    const __m128 s = _mm_add_ss(d, _mm_movehdup_ps(d));
    return _mm_cvtss_f32(s);
}
inline float reduce_max(Vec a) { return _mm512_reduce_max_ps(a.v); }
// kWidth reductions at once: lane j of the result = reduce_add(a[j]), bit for
// bit (kernels/reduce_tree.hpp says how).
inline Vec reduce_add_each(const Vec* a) {
    __m512 v[16];
    for (int j = 0; j < 16; ++j) v[j] = a[j].v;
    return {tree::add_each(v)};
}
// reduce_add of a[0..3] to p[0..3] (kernels/reduce_tree.hpp add_four).
inline void store_four_sums(float* p, const Vec (&a)[4]) {
    const __m512 v[4] = {a[0].v, a[1].v, a[2].v, a[3].v};
    _mm_storeu_ps(p, tree::add_four(v));
}
#elif GPT2_SIMD_LEVEL == 1
struct Vec {
    static constexpr int kWidth = 8;
    __m256 v;
    static Vec load(const float* p) { return {_mm256_loadu_ps(p)}; }
    static Vec set1(float x) { return {_mm256_set1_ps(x)}; }
    static Vec zero() { return {_mm256_setzero_ps()}; }
    void store(float* p) const { _mm256_storeu_ps(p, v); }
    // Lanes 4q .. 4q + 3 to p + q·stride (kernels/reduce_tree.hpp).
    void store_fours(float* p, std::int64_t stride) const { tree::store_fours(p, stride, v); }
};
inline Vec operator+(Vec a, Vec b) { return {_mm256_add_ps(a.v, b.v)}; }
inline Vec operator-(Vec a, Vec b) { return {_mm256_sub_ps(a.v, b.v)}; }
inline Vec operator*(Vec a, Vec b) { return {_mm256_mul_ps(a.v, b.v)}; }
inline Vec operator/(Vec a, Vec b) { return {_mm256_div_ps(a.v, b.v)}; }
inline Vec fma(Vec a, Vec b, Vec c) { return {_mm256_fmadd_ps(a.v, b.v, c.v)}; }
inline Vec max(Vec a, Vec b) { return {_mm256_max_ps(a.v, b.v)}; }
inline Vec min(Vec a, Vec b) { return {_mm256_min_ps(a.v, b.v)}; }
inline Vec round_nearest(Vec a) { return {_mm256_round_ps(a.v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)}; }
inline Vec exp2_int(Vec n) {
    const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n.v), _mm256_set1_epi32(127)), 23);
    return {_mm256_castsi256_ps(e)};
}
inline float reduce_add(Vec a) {
    const __m128 q = _mm_add_ps(_mm256_castps256_ps128(a.v), _mm256_extractf128_ps(a.v, 1));
    const __m128 d = _mm_add_ps(q, _mm_movehl_ps(q, q));
    const __m128 s = _mm_add_ss(d, _mm_movehdup_ps(d));
    return _mm_cvtss_f32(s);
}
// kWidth reductions at once: lane j of the result = reduce_add(a[j]), bit for
// bit (kernels/reduce_tree.hpp says how).
inline Vec reduce_add_each(const Vec* a) {
    __m256 v[8];
    for (int j = 0; j < 8; ++j) v[j] = a[j].v;
    return {tree::add_each(v)};
}
inline float reduce_max(Vec a) {
    const __m128 q = _mm_max_ps(_mm256_castps256_ps128(a.v), _mm256_extractf128_ps(a.v, 1));
    const __m128 d = _mm_max_ps(q, _mm_movehl_ps(q, q));
    const __m128 s = _mm_max_ss(d, _mm_movehdup_ps(d));
    return _mm_cvtss_f32(s);
}
#else
using Vec = Scalar;
#endif

// e^x for any V (Vec or Scalar), ~1-2 ulp for x in [-87, 88]; inputs are
// clamped to that range (e^-87.3 ≈ 1e-38: softmax and GELU only need
// "negligible", never a denormal or an infinity).
// Method (Cephes expf): x = n ln2 + r with n = round(x / ln2) and ln2 split
// in two parts for an exact r; e^r by a degree-6 polynomial; scale by 2^n.
template <typename V>
inline V exp(V x) {
    x = min(max(x, V::set1(-87.0f)), V::set1(88.0f));
    const V n = round_nearest(x * V::set1(1.44269504088896341f));
    V r = fma(n, V::set1(-0.693359375f), x);
    r = fma(n, V::set1(2.12194440e-4f), r);
    V p = V::set1(1.9875691500e-4f);
    p = fma(p, r, V::set1(1.3981999507e-3f));
    p = fma(p, r, V::set1(8.3334519073e-3f));
    p = fma(p, r, V::set1(4.1665795894e-2f));
    p = fma(p, r, V::set1(1.6666665459e-1f));
    p = fma(p, r, V::set1(5.0000001201e-1f));
    p = fma(p, r * r, r + V::set1(1.0f));
    return p * exp2_int(n);
}

// Σ a[i]·b[i] in a fixed order: Vec lanes accumulate the first
// n - n % kWidth terms with fma, the lanes are reduced with reduce_add, then
// the tail terms are fma'd one by one. Depends only on the inputs and n.
inline float dot(const float* a, const float* b, int n) {
    const int n_vec = n - n % Vec::kWidth;
    Vec acc = Vec::zero();
    for (int i = 0; i < n_vec; i += Vec::kWidth) acc = fma(Vec::load(a + i), Vec::load(b + i), acc);
    float sum = reduce_add(acc);
    for (int i = n_vec; i < n; ++i) sum = __builtin_fmaf(a[i], b[i], sum);
    return sum;
}

}  // namespace GPT2_SIMD_NS
}  // namespace gpt2::kernels::simd
