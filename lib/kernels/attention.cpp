#include "kernels/attention.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "kernels/f32_kernels.hpp"
#include "thread_pool.hpp"

// The per-(query, head) loops are in f32_kernels.inc (attend), compiled per
// instruction set; this file picks the active level once per call, schedules
// the tasks and owns the score scratch.
namespace gpt2::kernels {

namespace {
// From this many new queries on (prefill), attention goes head by head in
// blocks of queries (see below); decode and small batches go query by query.
constexpr int kBlockedMinQueries = 16;

// The i-th of n items in the order 0, n-1, 1, n-2, ...: items whose cost
// grows with their index (a query's causal span), paired so that the pool's
// contiguous ranges get about equal work.
std::int64_t balanced(std::int64_t i, std::int64_t n) { return (i % 2 == 0) ? i / 2 : n - 1 - i / 2; }

using AttendFn = void (*)(const f32::AttentionArgs& a, int t, int h0, int h1, float* scores);

// Decode and small batches: tasks are (query, head) pairs, task = i·NH + h.
// Query t costs O(pos0 + t), so the queries are visited in the order t = 0,
// T-1, 1, T-2, ... (i ↦ t) to give contiguous task ranges (the pool's static
// partition) about equal work. A thread handles its range as runs of heads
// of one query.
void query_by_query(const f32::AttentionArgs& a, AttendFn attend, int T, int NH, std::int64_t work,
                    ThreadPool& pool) {
    pool.parallel_for(static_cast<std::int64_t>(T) * NH, 1, work, [&](std::int64_t begin, std::int64_t end, int) {
        thread_local std::vector<float> scores;   // [heads in the run, positions], reused
        std::int64_t task = begin;
        while (task < end) {
            const int i = static_cast<int>(task / NH);
            const int h0 = static_cast<int>(task % NH);
            const int h1 = static_cast<int>(std::min<std::int64_t>(NH, h0 + (end - task)));
            const int t = static_cast<int>(balanced(i, T));
            const std::size_t need = static_cast<std::size_t>(a.pos0 + t + 1) * static_cast<std::size_t>(h1 - h0);
            if (scores.size() < need) scores.resize(need);
            attend(a, t, h0, h1, scores.data());
            task += h1 - h0;
        }
    });
}
}  // namespace

std::int64_t attention_work(int T, int pos0, int NH, int HS) {
    const std::int64_t positions = static_cast<std::int64_t>(T) * pos0 + static_cast<std::int64_t>(T) * (T + 1) / 2;
    return positions * NH * (2 * HS + 16);
}

void attention(float* out, int out_stride, const float* q, int q_stride, const float* k, const float* v,
               KvLayout layout, int T, int pos0, int NH, int HS, ThreadPool& pool) {
    const auto attend = f32::active().attend;
    const f32::AttentionArgs a{out,     out_stride, q,  q_stride, k, v, nullptr, nullptr, layout.position_stride,
                               layout.head_stride, pos0, HS, 1.0f / std::sqrt(static_cast<float>(HS))};
    const std::int64_t work = attention_work(T, pos0, NH, HS);
    if (T >= kBlockedMinQueries) {
        // Prefill: tasks are (head, block of query_block queries), head by
        // head, so that a head's keys and values (2 · positions · HS floats,
        // 256 KB at 512 positions) stay in L2 while its queries pass, each
        // row read serving a block of queries at once (attend_queries).
        // Query by query, every query swept all heads' rows out of L3:
        // measured in docs/benchmarks.md (bench_kernels BM_Attention, T = 512).
        const auto attend_queries = f32::active().attend_queries;
        const int QB = f32::active().query_block;
        const std::int64_t n_blocks = (T + QB - 1) / QB;
        pool.parallel_for(NH * n_blocks, 1, work, [&](std::int64_t begin, std::int64_t end, int) {
            thread_local std::vector<float> scores;   // [queries of the block, positions], reused
            for (std::int64_t task = begin; task < end; ++task) {
                const int h = static_cast<int>(task / n_blocks);
                const std::int64_t i = task % n_blocks;
                const int t0 = static_cast<int>(balanced(i, n_blocks) * QB);
                const int R = std::min(QB, T - t0);
                const std::size_t need = static_cast<std::size_t>(R) * static_cast<std::size_t>(pos0 + t0 + R);
                if (scores.size() < need) scores.resize(need);
                attend_queries(a, t0, R, h, scores.data());
            }
        });
        return;
    }
    query_by_query(a, attend, T, NH, work, pool);
}

void attention_f16(float* out, int out_stride, const float* q, int q_stride, const std::uint16_t* k,
                   const std::uint16_t* v, KvLayout layout, int T, int pos0, int NH, int HS, ThreadPool& pool) {
    const f32::Kernels& kernels = f32::active();
    const int n = pos0 + T;
    if (T >= kBlockedMinQueries) {
        // Prefill: widen the span once, head-major, and run the F32 kernel.
        thread_local std::vector<float> widened;   // [2, NH, n, HS], reused
        const std::int64_t head_size = static_cast<std::int64_t>(n) * HS;
        const std::size_t size = static_cast<std::size_t>(head_size) * static_cast<std::size_t>(NH);
        if (widened.size() < 2 * size) widened.resize(2 * size);
        float* k32 = widened.data();
        float* v32 = widened.data() + size;
        pool.parallel_for(2 * static_cast<std::int64_t>(NH), 1, 2 * static_cast<std::int64_t>(NH) * head_size,
                          [&](std::int64_t begin, std::int64_t end, int) {
                              for (std::int64_t task = begin; task < end; ++task) {
                                  const bool is_v = task >= NH;
                                  const std::int64_t h = is_v ? task - NH : task;
                                  kernels.widen_f16_rows((is_v ? v32 : k32) + h * head_size, HS,
                                                         (is_v ? v : k) + h * layout.head_stride,
                                                         layout.position_stride, n, HS);
                              }
                          });
        attention(out, out_stride, q, q_stride, k32, v32, head_major(n, HS), T, pos0, NH, HS, pool);
        return;
    }
    const f32::AttentionArgs a{out,    out_stride, q,  q_stride, nullptr, nullptr, k, v, layout.position_stride,
                               layout.head_stride, pos0, HS, 1.0f / std::sqrt(static_cast<float>(HS))};
    query_by_query(a, kernels.attend_f16, T, NH, attention_work(T, pos0, NH, HS), pool);
}

void narrow_to_f16(std::uint16_t* dst, const float* src, std::int64_t n) { f32::active().narrow_to_f16(dst, src, n); }

}  // namespace gpt2::kernels
