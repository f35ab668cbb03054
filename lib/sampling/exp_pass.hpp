#pragma once
// One vectorised pass of e_i = exp(z_i − m) over logits, accumulating what
// the caller asks for. compute_stats / compute_entropy (stats.cpp),
// raw_choice (raw_choice.cpp) and Candidates::compute_probs all sum through
// this one loop, so a caller
// that needs several of them from the same logits (compare: the chosen
// token's raw probability and the raw entropy) can take them from one pass
// and still get the bits of the separate calls.
//
// The sums: S = Σ e_i in 8 double lanes (lane j takes e_{8q+j} in order;
// vec::hsum's fixed tree at the end; the tail added after), the entropy's
// W = Σ e_i·(z_i − m) over terms with e_i > 0 in two 8-double accumulators
// (see exp_pass); support #{e_i > 0}; above #{z_i > t}.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstring>

#include "gpt2/sampling/candidates.hpp"
#include "gpt2/sampling/stats.hpp"
#include "sampling/vec_math.hpp"

namespace gpt2::sampling::detail {

struct ExpPass {
    double sum = 0.0;        // S
    double weighted = 0.0;   // W (kEntropy)
    std::size_t support = 0;   // (kEntropy)
    std::size_t above = 0;     // (kAbove)
};

// kStore: write e_i to out (compute_stats' histograms read them; else out
// is not touched). kEntropy: W and support. kAbove: the count of z_i > t.
// The flags change what is accumulated, never how S is.
//
// Sixteen logits per step, as one vector of 16 floats for the exp (one
// AVX-512 register; two of 8 elsewhere, the same bits per lane) and two
// of 8 doubles for the sums, each widened by one vcvtps2pd (vec::widen8):
// S's lanes take the low then the high eight, so lane j still adds
// e_{8q+j} in order; W has two accumulators, A for elements 16q..16q+7
// and B for 16q+8..16q+15, W = hsum(A + B). With 8 floats per step GCC 12
// widened each half through two 4-lane converts and two inserts:
// raw_choice_with_entropy (now raw_p_with_entropy) on the default model's logits 42.5 -> 31.4 us
// (docs/benchmarks.md, fourteenth round).
template <bool kStore, bool kEntropy, bool kAbove>
ExpPass exp_pass(float* out, const float* z, std::size_t n, float m, float t = 0.0f) {
    using V8d = vec::V8d;
    V8d acc = {}, w_a = {}, w_b = {};
    vec::V16i support = {}, above = {};
    std::size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        vec::V16f zv;
        std::memcpy(&zv, z + i, sizeof zv);
        const vec::V16f x = zv - m;
        const vec::V16f e = vec::exp_nonpositive16(x);
        if constexpr (kStore) std::memcpy(out + i, &e, sizeof e);
        if constexpr (kAbove) above -= zv > t;   // the mask is -1 where z > t
        const V8d d_lo = vec::low_eight(e), d_hi = vec::high_eight(e);
        acc += d_lo;
        acc += d_hi;
        if constexpr (kEntropy) {
            const vec::V16i live = e > 0.0f;
            support -= live;   // the mask is -1 where e > 0
            // x = -inf where e = 0 (banned tokens): 0 · -inf would be NaN, so
            // those lanes multiply 0 by 0 instead and add +0 (no change).
            const vec::V16f xs = reinterpret_cast<vec::V16f>(reinterpret_cast<vec::V16i>(x) & live);
            // Products of two floats: exact in double, so a fused
            // multiply-add gives the same sums.
            w_a += d_lo * vec::low_eight(xs);
            w_b += d_hi * vec::high_eight(xs);
        }
    }
    for (; i + vec::kLanes <= n; i += vec::kLanes) {   // one step of 8 more (S's order; W into A)
        const vec::V8f zv = vec::load8(z + i);
        const vec::V8f x = zv - vec::splat(m);
        const vec::V8f e = vec::exp_nonpositive8(x);
        if constexpr (kStore) vec::store8(out + i, e);
        if constexpr (kAbove) {
            const vec::V8i gt = zv > vec::splat(t);
            for (std::size_t j = 0; j < vec::kLanes; ++j) above[j] -= gt[j];
        }
        const V8d d = vec::widen8(e);
        acc += d;
        if constexpr (kEntropy) {
            const vec::V8i live = e > vec::splat(0.0f);
            for (std::size_t j = 0; j < vec::kLanes; ++j) support[j] -= live[j];
            const vec::V8f xs = vec::select(live, x, vec::splat(0.0f));
            w_a += d * vec::widen8(xs);
        }
    }
    ExpPass r;
    r.sum = vec::hsum(acc);
    for (std::size_t j = 0; j < 16; ++j) {
        r.support += static_cast<std::size_t>(support[j]);
        r.above += static_cast<std::size_t>(above[j]);
    }
    double wt = vec::hsum(w_a + w_b);
    for (; i < n; ++i) {
        const float x = z[i] - m;
        const float e = vec::exp_nonpositive(x);
        if constexpr (kStore) out[i] = e;
        if constexpr (kAbove) r.above += z[i] > t ? 1 : 0;
        r.sum += e;
        if (kEntropy && e > 0.0f) {
            wt += static_cast<double>(e) * static_cast<double>(x);
            ++r.support;
        }
    }
    if constexpr (kEntropy) r.weighted = wt;
    return r;
}

// The sums a Candidates kept from compute_probs()' kEntropy pass
// (Candidates::exp_sums, loaded_exp_sums), as that pass returned them.
inline ExpPass kept_pass(const Candidates::ExpSums& s) {
    ExpPass r;
    r.sum = s.sum;
    r.weighted = s.weighted;
    r.support = s.support;
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
