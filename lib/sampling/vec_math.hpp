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

namespace gpt2::sampling::vec {

using V8f = float __attribute__((vector_size(32)));
using V8i = std::int32_t __attribute__((vector_size(32)));
using V4d = double __attribute__((vector_size(32)));
using V4f = float __attribute__((vector_size(16)));

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
inline float hmax(V8f v) {
    float m = v[0];
    for (std::size_t j = 1; j < kLanes; ++j) m = v[j] > m ? v[j] : m;
    return m;
}

// Max of n floats (-inf for n = 0). NaN-free input assumed.
inline float max(const float* x, std::size_t n) {
    V8f acc = splat(-std::numeric_limits<float>::infinity());
    std::size_t i = 0;
    for (; i + kLanes <= n; i += kLanes) acc = max8(acc, load8(x + i));
    float m = hmax(acc);
    for (; i < n; ++i) m = x[i] > m ? x[i] : m;
    return m;
}

// Max of N floats, N a multiple of 8 (the skip test of the block scans).
template <std::size_t N>
inline float max_fixed(const float* x) {
    static_assert(N % kLanes == 0);
    V8f acc = load8(x);
    for (std::size_t i = kLanes; i < N; i += kLanes) acc = max8(acc, load8(x + i));
    return hmax(acc);
}

// Min of the finite values (+inf when there are none); -inf entries skipped.
inline float min_finite(const float* x, std::size_t n) {
    const float inf = std::numeric_limits<float>::infinity();
    V8f acc = splat(inf);
    std::size_t i = 0;
    for (; i + kLanes <= n; i += kLanes) {
        const V8f v = load8(x + i);
        const V8f finite = select(v > splat(-inf), v, splat(inf));
        acc = select(finite < acc, finite, acc);
    }
    float m = inf;
    for (std::size_t j = 0; j < kLanes; ++j) m = acc[j] < m ? acc[j] : m;
    for (; i < n; ++i) m = (x[i] > -inf && x[i] < m) ? x[i] : m;
    return m;
}

// Sum of n floats in double (4 + 4 double lanes, fixed order).
inline double sum(const float* x, std::size_t n) {
    V4d acc_lo = {}, acc_hi = {};
    std::size_t i = 0;
    for (; i + kLanes <= n; i += kLanes) {
        const V8f e = load8(x + i);
        const V4f lo = {e[0], e[1], e[2], e[3]};
        const V4f hi = {e[4], e[5], e[6], e[7]};
        acc_lo += __builtin_convertvector(lo, V4d);
        acc_hi += __builtin_convertvector(hi, V4d);
    }
    const V4d acc = acc_lo + acc_hi;
    double s = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    for (; i < n; ++i) s += x[i];
    return s;
}

// load()'s single pass: dst = src, ids = 0..n-1, and the two input checks.
struct CopyCheck {
    float max;          // -inf when n = 0
    std::size_t bad;    // values that are NaN or +inf
};
inline CopyCheck copy_ids_check(float* dst, std::int32_t* ids, const float* src, std::size_t n) {
    const float inf = std::numeric_limits<float>::infinity();
    V8f acc = splat(-inf);
    V8i bad = {};
    V8i idx = {0, 1, 2, 3, 4, 5, 6, 7};
    std::size_t i = 0;
    for (; i + kLanes <= n; i += kLanes) {
        const V8f v = load8(src + i);
        store8(dst + i, v);
        std::memcpy(ids + i, &idx, sizeof idx);
        idx += 8;
        bad -= ~(v < splat(inf));
        acc = max8(acc, v);
    }
    CopyCheck r{hmax(acc), 0};
    for (std::size_t j = 0; j < kLanes; ++j) r.bad += static_cast<std::size_t>(bad[j]);
    for (; i < n; ++i) {
        dst[i] = src[i];
        ids[i] = static_cast<std::int32_t>(i);
        r.bad += !(src[i] < inf);
        r.max = src[i] > r.max ? src[i] : r.max;
    }
    return r;
}

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

// e^x for x <= 0 on 8 lanes (the softmax case, x = z - max). Cody-Waite
// reduction x = n ln2 + r, |r| <= ln2/2 (n rounded with the 1.5·2^23 trick),
// then the Cephes expf degree-6 polynomial; max relative error ~2 ulp against
// std::exp (tested). x < -87.3 (including -inf) gives exactly 0, so banned
// tokens have probability exactly 0.
inline V8f exp_nonpositive8(V8f x) {
    const V8i keep = x >= splat(-87.3f);   // false for -inf (and NaN)
    const V8f xc = select(keep, x, splat(0.0f));
    const V8f magic = splat(12582912.0f);   // 1.5 * 2^23: adding it rounds to an integer
    const V8f n = (xc * splat(1.44269504088896341f) + magic) - magic;
    V8f r = xc - n * splat(0.693359375f);
    r = r - n * splat(-2.12194440e-4f);
    V8f p = splat(1.9875691500e-4f);
    p = p * r + splat(1.3981999507e-3f);
    p = p * r + splat(8.3334519073e-3f);
    p = p * r + splat(4.1665795894e-2f);
    p = p * r + splat(1.6666665459e-1f);
    p = p * r + splat(5.0000001201e-1f);
    const V8f y = p * r * r + r + splat(1.0f);
    const V8i bits = (__builtin_convertvector(n, V8i) + 127) << 23;
    const V8f e = y * reinterpret_cast<V8f>(bits);
    return select(keep, e, splat(0.0f));
}

// Scalar twin of exp_nonpositive8 (same arithmetic) for tails and tests.
inline float exp_nonpositive(float x) {
    const V8f v = exp_nonpositive8(splat(x));
    return v[0];
}

// out[i] = exp(in[i] - m); returns the sum, accumulated in double lanes: a
// float sum over 50,257 terms drifted by ~2e-6 relative (measured).
inline double exp_shifted(float* out, const float* in, std::size_t n, float m) {
    V4d acc_lo = {}, acc_hi = {};
    const V8f mv = splat(m);
    std::size_t i = 0;
    for (; i + kLanes <= n; i += kLanes) {
        const V8f e = exp_nonpositive8(load8(in + i) - mv);
        store8(out + i, e);
        const V4f lo = {e[0], e[1], e[2], e[3]};
        const V4f hi = {e[4], e[5], e[6], e[7]};
        acc_lo += __builtin_convertvector(lo, V4d);
        acc_hi += __builtin_convertvector(hi, V4d);
    }
    const V4d acc = acc_lo + acc_hi;
    double sum = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    for (; i < n; ++i) {
        const float e = exp_nonpositive(in[i] - m);
        out[i] = e;
        sum += e;
    }
    return sum;
}

}  // namespace gpt2::sampling::vec
