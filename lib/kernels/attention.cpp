#include "kernels/attention.hpp"

#include <cmath>
#include <cstdint>
#include <vector>

#include "kernels/simd.hpp"
#include "kernels/softmax.hpp"
#include "thread_pool.hpp"

namespace gpt2::kernels {

namespace {

using simd::Vec;

// o[0 .. n) = fma(a, v[i], o[i]) for every i: one step of the weighted sum.
inline void axpy(float* o, float a, const float* v, int n) {
    const int n_vec = n - n % Vec::kWidth;
    const Vec va = Vec::set1(a);
    for (int c = 0; c < n_vec; c += Vec::kWidth) fma(va, Vec::load(v + c), Vec::load(o + c)).store(o + c);
    for (int c = n_vec; c < n; ++c) o[c] = std::fma(a, v[c], o[c]);
}

struct AttentionArgs {
    float* out;
    int out_stride;
    const float* q;
    int q_stride;
    const float* k;
    const float* v;
    int kv_stride;
    int pos0, HS;
    float scale;
};

// Query t, heads [h0, h1). The cache is swept row by row (position s outer,
// heads inner) so that each row's keys and values for these heads are read
// as one contiguous run, not HS floats per row and head: a decode step at
// context 1024 reads 2 × 3 MB per layer, and head-major sweeps (3 KB
// strides) ran ~5x slower than this. Per (t, h) the order of operations is
// fixed: score s = simd::dot · scale, kernels::softmax over s, then
// out = Σ_s fma in increasing s from 0, whatever h0/h1.
void attend(const AttentionArgs& a, int t, int h0, int h1, std::vector<float>& scores) {
    const int n = a.pos0 + t + 1;   // causal: positions 0 .. pos0 + t
    const int G = h1 - h0;
    const std::size_t un = static_cast<std::size_t>(n);
    if (scores.size() < un * static_cast<std::size_t>(G)) scores.resize(un * static_cast<std::size_t>(G));
    const float* qt = a.q + static_cast<std::int64_t>(t) * a.q_stride + h0 * a.HS;

    for (int s = 0; s < n; ++s) {
        const float* ks = a.k + static_cast<std::int64_t>(s) * a.kv_stride + h0 * a.HS;
        for (int g = 0; g < G; ++g)
            scores[static_cast<std::size_t>(g) * un + static_cast<std::size_t>(s)] =
                simd::dot(qt + g * a.HS, ks + g * a.HS, a.HS) * a.scale;
    }
    for (int g = 0; g < G; ++g) {
        float* sg = scores.data() + static_cast<std::size_t>(g) * un;
        softmax(sg, sg, n);
    }

    float* ot = a.out + static_cast<std::int64_t>(t) * a.out_stride + h0 * a.HS;
    for (int c = 0; c < G * a.HS; ++c) ot[c] = 0.0f;
    for (int s = 0; s < n; ++s) {
        const float* vs = a.v + static_cast<std::int64_t>(s) * a.kv_stride + h0 * a.HS;
        for (int g = 0; g < G; ++g)
            axpy(ot + g * a.HS, scores[static_cast<std::size_t>(g) * un + static_cast<std::size_t>(s)], vs + g * a.HS,
                 a.HS);
    }
}

}  // namespace

void attention(float* out, int out_stride, const float* q, int q_stride, const float* k, const float* v,
               int kv_stride, int T, int pos0, int NH, int HS, ThreadPool& pool) {
    const AttentionArgs a{out, out_stride, q, q_stride, k, v, kv_stride, pos0, HS,
                          1.0f / std::sqrt(static_cast<float>(HS))};
    // Tasks are (query, head) pairs, task = i·NH + h. Query t costs
    // O(pos0 + t), so the queries are visited in the order t = 0, T-1, 1,
    // T-2, ... (i ↦ t) to give contiguous task ranges (the pool's static
    // partition) about equal work. A thread handles its range as runs of
    // heads of one query.
    const std::int64_t n_tasks = static_cast<std::int64_t>(T) * NH;
    pool.parallel_for(n_tasks, 1, [&](std::int64_t begin, std::int64_t end, int) {
        thread_local std::vector<float> scores;   // [heads in the run, positions], reused
        std::int64_t task = begin;
        while (task < end) {
            const int i = static_cast<int>(task / NH);
            const int h0 = static_cast<int>(task % NH);
            const int h1 = static_cast<int>(std::min<std::int64_t>(NH, h0 + (end - task)));
            const int t = (i % 2 == 0) ? i / 2 : T - 1 - i / 2;
            attend(a, t, h0, h1, scores);
            task += h1 - h0;
        }
    });
}

}  // namespace gpt2::kernels
