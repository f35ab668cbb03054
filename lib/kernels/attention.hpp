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

// out: [T, NH·HS] with row stride out_stride.
// q:   [T, NH·HS] with row stride q_stride (e.g. 3C inside a fused qkv row).
// k, v: [pos0 + T, NH·HS] with row stride kv_stride: the cache rows, already
//       holding the keys and values of positions 0 .. pos0+T-1.
void attention(float* out, int out_stride, const float* q, int q_stride, const float* k, const float* v,
               int kv_stride, int T, int pos0, int NH, int HS, ThreadPool& pool);

// The same over a cache of binary16 values laid out head-major: head h's
// keys (values) for positions 0, 1, ... are HS-value rows starting at
// k + h · head_stride (head_stride ≥ (pos0 + T) · HS), so that decode reads
// each head's span as one sequential stream. Exactly attention() over an F32
// cache holding the widened values: decode widens them as it loads them;
// prefill (≥ 16 queries, which re-reads each row once per block of queries)
// widens the span once into F32 rows and runs the F32 kernel.
void attention_f16(float* out, int out_stride, const float* q, int q_stride, const std::uint16_t* k,
                   const std::uint16_t* v, std::int64_t head_stride, int T, int pos0, int NH, int HS,
                   ThreadPool& pool);

// dst[i] = src[i] rounded to binary16 (to nearest, ties to even, as
// numeric::f32_to_f16), with the active level's conversion instructions.
void narrow_to_f16(std::uint16_t* dst, const float* src, std::int64_t n);

}  // namespace gpt2::kernels
