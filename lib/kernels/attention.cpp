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

// out[0 .. HS) = Σ_s a[s] · v[s·stride + 0 .. HS), s = 0 .. n-1.
void weighted_sum(float* out, const float* a, const float* v, std::int64_t stride, int n, int HS) {
    const int h_vec = HS - HS % Vec::kWidth;
    int c = 0;
    // Four vectors per sweep over s (64 floats for AVX-512) keep the loads of
    // one cache row together.
    for (; c + 4 * Vec::kWidth <= h_vec; c += 4 * Vec::kWidth) {
        Vec acc0 = Vec::zero(), acc1 = Vec::zero(), acc2 = Vec::zero(), acc3 = Vec::zero();
        for (int s = 0; s < n; ++s) {
            const float* vs = v + s * stride + c;
            const Vec as = Vec::set1(a[s]);
            acc0 = fma(as, Vec::load(vs), acc0);
            acc1 = fma(as, Vec::load(vs + Vec::kWidth), acc1);
            acc2 = fma(as, Vec::load(vs + 2 * Vec::kWidth), acc2);
            acc3 = fma(as, Vec::load(vs + 3 * Vec::kWidth), acc3);
        }
        acc0.store(out + c);
        acc1.store(out + c + Vec::kWidth);
        acc2.store(out + c + 2 * Vec::kWidth);
        acc3.store(out + c + 3 * Vec::kWidth);
    }
    for (; c < h_vec; c += Vec::kWidth) {
        Vec acc = Vec::zero();
        for (int s = 0; s < n; ++s) acc = fma(Vec::set1(a[s]), Vec::load(v + s * stride + c), acc);
        acc.store(out + c);
    }
    for (; c < HS; ++c) {
        float acc = 0.0f;
        for (int s = 0; s < n; ++s) acc = std::fma(a[s], v[s * stride + c], acc);
        out[c] = acc;
    }
}

}  // namespace

void attention(float* out, int out_stride, const float* q, int q_stride, const float* k, const float* v,
               int kv_stride, int T, int pos0, int NH, int HS, ThreadPool& pool) {
    const float scale = 1.0f / std::sqrt(static_cast<float>(HS));
    const std::int64_t n_tasks = static_cast<std::int64_t>(T) * NH;
    pool.parallel_for(n_tasks, 1, [&](std::int64_t begin, std::int64_t end, int) {
        // Scratch for one row of scores, reused across calls on this thread.
        thread_local std::vector<float> scores;
        if (scores.size() < static_cast<std::size_t>(pos0 + T)) scores.resize(static_cast<std::size_t>(pos0 + T));
        for (std::int64_t task = begin; task < end; ++task) {
            // Query p of the causal triangle costs O(p): the tasks are ordered
            // t = 0, T-1, 1, T-2, ... so that contiguous ranges (the static
            // partition) carry about equal work.
            const int i = static_cast<int>(task / NH);
            const int h = static_cast<int>(task % NH);
            const int t = (i % 2 == 0) ? i / 2 : T - 1 - i / 2;
            const int n = pos0 + t + 1;
            const float* qh = q + static_cast<std::int64_t>(t) * q_stride + h * HS;
            const float* kh = k + h * HS;
            for (int s = 0; s < n; ++s) {
                scores[static_cast<std::size_t>(s)] =
                    simd::dot(qh, kh + static_cast<std::int64_t>(s) * kv_stride, HS) * scale;
            }
            softmax(scores.data(), scores.data(), n);
            weighted_sum(out + static_cast<std::int64_t>(t) * out_stride + h * HS, scores.data(), v + h * HS,
                         kv_stride, n, HS);
        }
    });
}

}  // namespace gpt2::kernels
