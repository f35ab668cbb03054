#pragma once
// Causal multi-head scaled dot-product attention over a KV cache
// (Vaswani et al. 2017, eq. 1, with a causal mask):
//   for query t (absolute position p = pos0 + t) and head h:
//     a[s] = softmax_s( q[t,h] · k[s,h] / sqrt(HS) ),  s = 0 .. p
//     out[t,h] = Σ_s a[s] v[s,h]
// Head h of a row occupies columns [h·HS, (h+1)·HS) of q, k, v and out.
//
// Every (t, h) pair is computed by one thread with a fixed order
// (simd::dot for the scores, kernels::softmax, then an fma sweep over s), so
// the result does not depend on the thread count or on how many queries are
// evaluated together (chunked prefill gives the same bits as prefill at once).
#include <cstdint>

namespace gpt2 {
class ThreadPool;
}

namespace gpt2::kernels {

// Where the cache keeps head h of position p (its HS values, contiguous):
// at h · head_stride + p · position_stride elements from the start.
struct KvLayout {
    std::int64_t position_stride;
    std::int64_t head_stride;
};
// Heads side by side in rows of row_stride elements (position-major, as in
// a fused qkv row).
inline KvLayout position_major(std::int64_t row_stride, int HS) { return {row_stride, HS}; }
// Each head's positions in one contiguous run, heads max_positions · HS
// apart (KvCache's layout, F32 and F16): decode then reads each head as one
// sequential stream, where position-major rows made it gather 16 rows × HS
// values a row apart (docs/benchmarks.md, eighth round).
inline KvLayout head_major(std::int64_t max_positions, int HS) { return {HS, max_positions * HS}; }

// out: [T, NH·HS] with row stride out_stride.
// q:   [T, NH·HS] with row stride q_stride (e.g. 3C inside a fused qkv row).
// k, v: the cache in `layout`, already holding the keys and values of
//       positions 0 .. pos0+T-1. The layout changes where values are read,
//       never the operations: the same bits either way.
void attention(float* out, int out_stride, const float* q, int q_stride, const float* k, const float* v,
               KvLayout layout, int T, int pos0, int NH, int HS, ThreadPool& pool);

// The same over a cache of binary16 values: exactly attention() over an F32
// cache holding the widened values. Decode widens them as it loads them;
// prefill (≥ 16 queries, which re-reads each row once per block of queries)
// widens the span once into F32 and runs the F32 kernel.
void attention_f16(float* out, int out_stride, const float* q, int q_stride, const std::uint16_t* k,
                   const std::uint16_t* v, KvLayout layout, int T, int pos0, int NH, int HS, ThreadPool& pool);

// The work of attention() for T queries after pos0 cached positions, in
// multiply-adds: per (query, head) and position, HS for the score and HS
// for the weighted sum, plus ~16 for the softmax. The pool's
// ThreadPool::kMinChunkWork keeps one query over a short context on the
// caller; a batch of sequences sums it to split them (forward.cpp).
std::int64_t attention_work(int T, int pos0, int NH, int HS);

// dst[i] = src[i] rounded to binary16 (to nearest, ties to even, as
// numeric::f32_to_f16), with the active level's conversion instructions.
void narrow_to_f16(std::uint16_t* dst, const float* src, std::int64_t n);

}  // namespace gpt2::kernels
