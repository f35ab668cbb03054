#pragma once
// Vectorised float loops for the sampler: max, exp(x - m) with its sum, and a
// finiteness check. Written with GCC/Clang vector extensions (8 floats, one
// AVX register; the compiler splits it on narrower targets) because the plain
// loops are reductions the compiler will not reorder without -ffast-math
// (measured: the scalar max + std::exp softmax took ~12 ns per token, this
// one a fraction of that). Lane order is fixed, so results do not depend on
// the target.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>

#if defined(__AVX__)
#include <immintrin.h>
#endif

namespace gpt2::sampling::vec {

using V8f = float __attribute__((vector_size(32)));
using V8i = std::int32_t __attribute__((vector_size(32)));
using V8d = double __attribute__((vector_size(64)));
// Sixteen floats: one AVX-512 register, two AVX ones (the compiler splits
// it; lane-wise results are the same bits either way).
using V16f = float __attribute__((vector_size(64)));
using V16i = std::int32_t __attribute__((vector_size(64)));

inline constexpr std::size_t kLanes = 8;

inline V8f load8(const float* p) {
    V8f v;
    std::memcpy(&v, p, sizeof v);
    return v;
}
inline void store8(float* p, V8f v) { std::memcpy(p, &v, sizeof v); }
inline V8f splat(float x) { return V8f{x, x, x, x, x, x, x, x}; }
// Lane-wise select without the vector ?: (not portable between compilers).
inline V8f select(V8i mask, V8f a, V8f b) {
    return reinterpret_cast<V8f>((reinterpret_cast<V8i>(a) & mask) | (reinterpret_cast<V8i>(b) & ~mask));
}
inline V8f max8(V8f a, V8f b) { return select(a > b, a, b); }
// The fixed-order total of a double accumulator: (lo + hi) lane-wise, then
// pairs. Every sum in this file ends here, so results do not depend on the
// target's vector width.
inline double hsum(V8d a) {
    const double l0 = a[0] + a[4], l1 = a[1] + a[5], l2 = a[2] + a[6], l3 = a[3] + a[7];
    return (l0 + l1) + (l2 + l3);
}
inline float hmax(V8f v) {
    float m = v[0];
    for (std::size_t j = 1; j < kLanes; ++j) m = v[j] > m ? v[j] : m;
    return m;
}

// Max of n floats (-inf for n = 0). NaN-free input assumed.
inline float max(const float* x, std::size_t n) {
    // Four accumulators: one would chain every compare+blend (latency-bound,
    // measured ~2.5x slower). Max is exact, so the split changes nothing.
    V8f acc = splat(-std::numeric_limits<float>::infinity());
    V8f a1 = acc, a2 = acc, a3 = acc;
    std::size_t i = 0;
    for (; i + 4 * kLanes <= n; i += 4 * kLanes) {
        acc = max8(acc, load8(x + i));
        a1 = max8(a1, load8(x + i + kLanes));
        a2 = max8(a2, load8(x + i + 2 * kLanes));
        a3 = max8(a3, load8(x + i + 3 * kLanes));
    }
    acc = max8(max8(acc, a1), max8(a2, a3));
    for (; i + kLanes <= n; i += kLanes) acc = max8(acc, load8(x + i));
    float m = hmax(acc);
    for (; i < n; ++i) m = x[i] > m ? x[i] : m;
    return m;
}

// Whether any of N floats (N a multiple of 8) is >= t, resp. > t: the skip
// test of the block scans. A lane-wise compare and one OR of the masks, no
// horizontal max (whose 7-step chain dominated the top-k scan: measured).
inline bool any_lane(V8i mask) {
#if defined(__AVX__)
    return _mm256_movemask_ps(reinterpret_cast<__m256>(mask)) != 0;   // one vmovmskps
#else
    using V4u64 = std::uint64_t __attribute__((vector_size(32)));
    const V4u64 m = reinterpret_cast<V4u64>(mask);
    return ((m[0] | m[1]) | (m[2] | m[3])) != 0;
#endif
}
template <std::size_t N>
inline bool any_at_least(const float* x, float t) {
    static_assert(N % kLanes == 0);
    V8f acc = load8(x);
    for (std::size_t i = kLanes; i < N; i += kLanes) acc = max8(acc, load8(x + i));
    return any_lane(acc >= splat(t));
}
template <std::size_t N>
inline bool any_above(const float* x, float t) {
    static_assert(N % kLanes == 0);
    V8f acc = load8(x);
    for (std::size_t i = kLanes; i < N; i += kLanes) acc = max8(acc, load8(x + i));
    return any_lane(acc > splat(t));
}

// First i in [0, n) with x[i] == v, or n: sixteen values per compare, then
// the block that holds it one by one (Candidates::argmax: the scalar scan
// to the max's index was most of greedy's time).
inline std::size_t find_equal(const float* x, std::size_t n, float v) {
    std::size_t i = 0;
    for (; i + 2 * kLanes <= n; i += 2 * kLanes) {
        const V8i hit = (load8(x + i) == splat(v)) | (load8(x + i + kLanes) == splat(v));
        if (any_lane(hit)) break;
    }
    for (; i < n; ++i) {
        if (x[i] == v) return i;
    }
    return n;
}

// Sum of n floats in double (4 + 4 double lanes, fixed order).
inline double sum(const float* x, std::size_t n) {
    V8d acc = {};   // lanes 0-3 and 4-7: the low and high halves of each 8-float group
    std::size_t i = 0;
    for (; i + kLanes <= n; i += kLanes) {
        const V8f e = load8(x + i);
        acc += __builtin_convertvector(e, V8d);   // one vcvtps2pd with AVX-512
    }
    double s = hsum(acc);
    for (; i < n; ++i) s += x[i];
    return s;
}

// load()'s single pass: dst = src and the two input checks.
struct CopyCheck {
    float max;          // -inf when n = 0
    std::size_t bad;    // values that are NaN or +inf
};
// kCopy = false: the checks alone (dst unused), for callers that read the
// logits where they are (compute_stats of a logits span).
template <bool kCopy>
inline CopyCheck scan_check(float* dst, const float* src, std::size_t n) {
    const float inf = std::numeric_limits<float>::infinity();
    V8f acc = splat(-inf), acc2 = acc;   // two chains: see max()
    V8i bad = {};
    std::size_t i = 0;
    for (; i + 2 * kLanes <= n; i += 2 * kLanes) {
        const V8f v = load8(src + i);
        const V8f u = load8(src + i + kLanes);
        if constexpr (kCopy) {
            store8(dst + i, v);
            store8(dst + i + kLanes, u);
        }
        bad -= ~(v < splat(inf));
        bad -= ~(u < splat(inf));
        acc = max8(acc, v);
        acc2 = max8(acc2, u);
    }
    acc = max8(acc, acc2);
    for (; i + kLanes <= n; i += kLanes) {
        const V8f v = load8(src + i);
        if constexpr (kCopy) store8(dst + i, v);
        bad -= ~(v < splat(inf));
        acc = max8(acc, v);
    }
    CopyCheck r{hmax(acc), 0};
    for (std::size_t j = 0; j < kLanes; ++j) r.bad += static_cast<std::size_t>(bad[j]);
    for (; i < n; ++i) {
        if constexpr (kCopy) dst[i] = src[i];
        r.bad += !(src[i] < inf);
        r.max = src[i] > r.max ? src[i] : r.max;
    }
    return r;
}
inline CopyCheck copy_check(float* dst, const float* src, std::size_t n) { return scan_check<true>(dst, src, n); }
inline CopyCheck check_only(const float* src, std::size_t n) { return scan_check<false>(nullptr, src, n); }

// Number of values that are NaN or +inf (what load() rejects).
inline std::size_t count_not_below_inf(const float* x, std::size_t n) {
    const V8f inf = splat(std::numeric_limits<float>::infinity());
    V8i bad = {};
    std::size_t i = 0;
    for (; i + kLanes <= n; i += kLanes) bad -= ~(load8(x + i) < inf);   // mask is -1 where x < inf
    std::size_t count = 0;
    for (std::size_t j = 0; j < kLanes; ++j) count += static_cast<std::size_t>(bad[j]);
    for (; i < n; ++i) count += !(x[i] < std::numeric_limits<float>::infinity());
    return count;
}

// e^x for x <= 0, lane-wise on a vector of floats F (8 or 16 lanes; I the
// int vector of the same width): the softmax case, x = z - max. Cody-Waite
// reduction x = n ln2 + r, |r| <= ln2/2 (n rounded with the 1.5·2^23
// trick), then the Cephes expf degree-6 polynomial; max relative error ~2
// ulp against std::exp (tested). x < -87.3 (including -inf) gives exactly
// 0, so banned tokens have probability exactly 0. Every lane gets the same
// operations whatever the width, so its bits do not depend on it.
template <class F, class I>
inline F exp_nonpositive_lanes(F x) {
    const F zero = {};
    const I keep = x >= zero - 87.3f;   // false for -inf (and NaN)
    const F xc = reinterpret_cast<F>(reinterpret_cast<I>(x) & keep);   // 0 where not kept
    const F magic = zero + 12582912.0f;   // 1.5 * 2^23: adding it rounds to an integer
    const F n = (xc * 1.44269504088896341f + magic) - magic;
    F r = xc - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    F p = zero + 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    const F y = p * r * r + r + 1.0f;
    const I bits = (__builtin_convertvector(n, I) + 127) << 23;
    const F e = y * reinterpret_cast<F>(bits);
    return reinterpret_cast<F>(reinterpret_cast<I>(e) & keep);
}
inline V8f exp_nonpositive8(V8f x) { return exp_nonpositive_lanes<V8f, V8i>(x); }
inline V16f exp_nonpositive16(V16f x) { return exp_nonpositive_lanes<V16f, V16i>(x); }

// The low and high eight floats of v as doubles: one vcvtps2pd each with
// AVX-512, where GCC 12 made __builtin_convertvector of a half two 4-lane
// converts and two inserts (perf annotate). The zero-masked form: the
// unmasked intrinsic passes an undefined merge source that GCC 12 warns
// about.
inline V8d widen8(V8f h) {
#if defined(__AVX512F__)
    return reinterpret_cast<V8d>(_mm512_maskz_cvtps_pd(0xFF, reinterpret_cast<__m256>(h)));
#else
    return __builtin_convertvector(h, V8d);
#endif
}
inline V8d low_eight(V16f v) { return widen8(__builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7)); }
inline V8d high_eight(V16f v) { return widen8(__builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15)); }


// Scalar twin of exp_nonpositive8 (same arithmetic) for tails and tests.
inline float exp_nonpositive(float x) {
    const V8f v = exp_nonpositive8(splat(x));
    return v[0];
}

// Bucket of each logit for top-p: out[i] = min((zmax - z[i]) * scale, last),
// truncated to an integer. -inf (and a NaN from -inf * 0) land in `last`.
inline void bucket_index(std::uint16_t* out, const float* z, std::size_t n, float zmax, float scale, float last) {
    const V8f zm = splat(zmax), sc = splat(scale), lastv = splat(last);
    std::size_t i = 0;
    for (; i + kLanes <= n; i += kLanes) {
        const V8f b = (zm - load8(z + i)) * sc;
        const V8i k = __builtin_convertvector(select(b < lastv, b, lastv), V8i);
        for (std::size_t j = 0; j < kLanes; ++j) out[i + j] = static_cast<std::uint16_t>(k[j]);
    }
    for (; i < n; ++i) {
        const float b = (zmax - z[i]) * scale;
        out[i] = static_cast<std::uint16_t>(b < last ? b : last);
    }
}

// First i in [from, n) with b[i] == v, or n. 16 keys per compare: the
// bucket path's edge bucket holds a few tokens among tens of thousands.
inline std::size_t find_u16(const std::uint16_t* b, std::size_t n, std::size_t from, std::uint16_t v) {
    using V16u = std::uint16_t __attribute__((vector_size(32)));
    using V4u64 = std::uint64_t __attribute__((vector_size(32)));
    V16u vv;
    for (std::size_t j = 0; j < 16; ++j) vv[j] = v;
    std::size_t i = from;
    for (; i < n && i % 16 != 0; ++i) {
        if (b[i] == v) return i;
    }
    for (; i + 16 <= n; i += 16) {
        V16u x;
        std::memcpy(&x, b + i, sizeof x);
        const V4u64 hit = reinterpret_cast<V4u64>(x == vv);
        if ((hit[0] | hit[1] | hit[2] | hit[3]) != 0) break;
    }
    for (; i < n; ++i) {
        if (b[i] == v) return i;
    }
    return n;
}

// In-place, order-preserving compaction of (ids, z, p) over [0, n): keeps
// index i when key[i] < edge, or when key[i] == edge and keep_edge(i) (called
// in index order, before i is overwritten). Returns the number kept. With
// AVX-512 a 16-token block without an edge key is one mask compare and three
// compress-stores; otherwise a branch-free scalar write cursor.
template <class KeepEdge>
inline std::size_t compact_below(std::int32_t* ids, float* z, float* p, const std::uint16_t* key, std::size_t n,
                                 std::uint16_t edge, KeepEdge keep_edge) {
    std::size_t w = 0, i = 0;
    auto one = [&](std::size_t j) {
        const bool keep = key[j] < edge || (key[j] == edge && keep_edge(j));
        ids[w] = ids[j];
        z[w] = z[j];
        p[w] = p[j];
        w += keep ? 1 : 0;
    };
#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__)
    const __m256i ev = _mm256_set1_epi16(static_cast<short>(edge));
    for (; i + 16 <= n; i += 16) {
        const __m256i k = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(key + i));
        if (_mm256_cmpeq_epi16_mask(k, ev) != 0) {
            for (std::size_t j = i; j < i + 16; ++j) one(j);
            continue;
        }
        const __mmask16 m = _mm256_cmplt_epu16_mask(k, ev);
        // Compress in registers, then a full 16-wide store: w <= i, so the
        // store stays inside [0, i + 16) and only overwrites read data.
        const __m512i vi = _mm512_maskz_compress_epi32(m, _mm512_loadu_si512(ids + i));
        const __m512 vz = _mm512_maskz_compress_ps(m, _mm512_loadu_ps(z + i));
        const __m512 vp = _mm512_maskz_compress_ps(m, _mm512_loadu_ps(p + i));
        _mm512_storeu_si512(ids + w, vi);
        _mm512_storeu_ps(z + w, vz);
        _mm512_storeu_ps(p + w, vp);
        w += static_cast<std::size_t>(__builtin_popcount(m));
    }
#endif
    for (; i < n; ++i) one(i);
    return w;
}

// One pass of top-p's bucket path (lib/sampling/top_p.cpp): the indices i
// in [0, n) with z[i] >= t, increasing, written to out (room for n + 16
// entries: whole 16-wide stores), and the least finite value (+inf when
// there is none; -inf entries skipped).
struct AtLeast {
    std::size_t count;
    float min_finite;
};
inline AtLeast indices_at_least(std::uint32_t* out, const float* z, std::size_t n, float t) {
    const float inf = std::numeric_limits<float>::infinity();
    std::size_t w = 0, i = 0;
    float least = inf;
#if defined(__AVX512F__)
    const __m512 tv = _mm512_set1_ps(t), ninf = _mm512_set1_ps(-inf);
    __m512 lo = _mm512_set1_ps(inf);
    __m512i idx = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const __m512i step = _mm512_set1_epi32(16);
    for (; i + 16 <= n; i += 16) {
        const __m512 v = _mm512_loadu_ps(z + i);
        lo = _mm512_mask_min_ps(lo, _mm512_cmp_ps_mask(v, ninf, _CMP_GT_OQ), lo, v);
        const __mmask16 ge = _mm512_cmp_ps_mask(v, tv, _CMP_GE_OQ);
        // Compressed in a register and stored whole (a compress-store to
        // memory is microcoded on Zen 4); the next store overwrites the
        // lanes past the count.
        _mm512_storeu_si512(out + w, _mm512_maskz_compress_epi32(ge, idx));
        w += static_cast<std::size_t>(__builtin_popcount(ge));
        idx = _mm512_add_epi32(idx, step);
    }
    alignas(64) float lanes[16];   // not _mm512_reduce_min_ps: GCC 12 warns on its undefined halves
    _mm512_store_ps(lanes, lo);
    for (float v : lanes) least = v < least ? v : least;
#endif
    for (; i < n; ++i) {
        out[w] = static_cast<std::uint32_t>(i);
        w += z[i] >= t ? 1 : 0;
        least = (z[i] > -inf && z[i] < least) ? z[i] : least;
    }
    return {w, least};
}

}  // namespace gpt2::sampling::vec
