#pragma once
// One vectorised pass of e_i = exp(z_i − m) over logits, accumulating what
// the caller asks for. compute_stats / compute_entropy (stats.cpp) and
// raw_choice (raw_choice.cpp) all sum through this one loop, so a caller
// that needs several of them from the same logits (compare: the chosen
// token's raw probability and the raw entropy) can take them from one pass
// and still get the bits of the separate calls.
//
// The sums: S = Σ e_i in 8 double lanes (lane j takes e_{8q+j} in order;
// vec::hsum's fixed tree at the end; the tail added after), the entropy's
// W = Σ e_i·(z_i − m) over terms with e_i > 0 in 4 double lanes; support
// #{e_i > 0}; above #{z_i > t}.
#include <algorithm>
#include <cmath>
#include <cstddef>

#include "gpt2/sampling/stats.hpp"
#include "sampling/vec_math.hpp"

#if defined(__AVX__)
#include <immintrin.h>
#endif

namespace gpt2::sampling::detail {

struct ExpPass {
    double sum = 0.0;        // S
    double weighted = 0.0;   // W (kEntropy)
    std::size_t support = 0;   // (kEntropy)
    std::size_t above = 0;     // (kAbove)
};

using V4d = double __attribute__((vector_size(32)));
// The low and high four floats of v as doubles. With AVX one vcvtps2pd each:
// GCC 12 compiles __builtin_convertvector of a half into 2-lane converts and
// inserts (perf annotate).
inline V4d lo_half(vec::V8f v) {
#if defined(__AVX__)
    return reinterpret_cast<V4d>(_mm256_cvtps_pd(_mm256_castps256_ps128(reinterpret_cast<__m256>(v))));
#else
    return __builtin_convertvector(__builtin_shufflevector(v, v, 0, 1, 2, 3), V4d);
#endif
}
inline V4d hi_half(vec::V8f v) {
#if defined(__AVX__)
    return reinterpret_cast<V4d>(_mm256_cvtps_pd(_mm256_extractf128_ps(reinterpret_cast<__m256>(v), 1)));
#else
    return __builtin_convertvector(__builtin_shufflevector(v, v, 4, 5, 6, 7), V4d);
#endif
}

// kStore: write e_i to out (compute_stats' histograms read them; else out
// is not touched). kEntropy: W and support. kAbove: the count of z_i > t.
// The flags change what is accumulated, never how S is.
template <bool kStore, bool kEntropy, bool kAbove>
ExpPass exp_pass(float* out, const float* z, std::size_t n, float m, float t = 0.0f) {
    // 4-lane double halves throughout (acc_lo/acc_hi are the 8 double lanes
    // split in two): the 8-lane double vectors needed inserts and shuffles
    // that cost more than the arithmetic (perf).
    V4d acc_lo = {}, acc_hi = {};
    V4d w = {};
    vec::V8i support = {}, above = {};
    const vec::V8f mv = vec::splat(m);
    const vec::V8f tv = vec::splat(t);
    std::size_t i = 0;
    for (; i + vec::kLanes <= n; i += vec::kLanes) {
        const vec::V8f zv = vec::load8(z + i);
        const vec::V8f x = zv - mv;
        const vec::V8f e = vec::exp_nonpositive8(x);
        if constexpr (kStore) vec::store8(out + i, e);
        if constexpr (kAbove) above -= zv > tv;   // the mask is -1 where z > t
        const V4d e_lo = lo_half(e), e_hi = hi_half(e);
        acc_lo += e_lo;
        acc_hi += e_hi;
        if constexpr (kEntropy) {
            const vec::V8i live = e > vec::splat(0.0f);
            support -= live;   // the mask is -1 where e > 0
            // x = -inf where e = 0 (banned tokens): 0 · -inf would be NaN, so
            // those lanes multiply 0 by 0 instead and add +0 (no change).
            const vec::V8f xs = vec::select(live, x, vec::splat(0.0f));
            // Products of two floats: exact in double, so a fused multiply-add
            // gives the same sums. Elements i..i+3, then i+4..i+7.
            w += e_lo * lo_half(xs);
            w += e_hi * hi_half(xs);
        }
    }
    const vec::V8d acc = {acc_lo[0], acc_lo[1], acc_lo[2], acc_lo[3], acc_hi[0], acc_hi[1], acc_hi[2], acc_hi[3]};
    ExpPass r;
    r.sum = vec::hsum(acc);
    double part[4] = {w[0], w[1], w[2], w[3]};
    for (std::size_t j = 0; j < vec::kLanes; ++j) {
        r.support += static_cast<std::size_t>(support[j]);
        r.above += static_cast<std::size_t>(above[j]);
    }
    for (; i < n; ++i) {
        const float x = z[i] - m;
        const float e = vec::exp_nonpositive(x);
        if constexpr (kStore) out[i] = e;
        if constexpr (kAbove) r.above += z[i] > t ? 1 : 0;
        r.sum += e;
        if (kEntropy && e > 0.0f) {
            part[i % 4] += static_cast<double>(e) * static_cast<double>(x);
            ++r.support;
        }
    }
    if constexpr (kEntropy) r.weighted = (part[0] + part[1]) + (part[2] + part[3]);
    return r;
}

// The entropy of softmax(z) from a kEntropy pass. With p_i = e_i / S,
// H = -Σ p log p = ln S - W / S: one vectorised exp pass replaces n
// logarithms; terms with e_i = 0 (z_i = -inf or underflow) contribute
// nothing.
inline EntropyStats entropy_of(const ExpPass& e) {
    const double h = std::max(0.0, std::log(e.sum) - e.weighted / e.sum);
    return {h, h / std::log(2.0), std::exp(h)};
}

}  // namespace gpt2::sampling::detail
