#include "kernels/matmul_q8.hpp"

#include <cmath>
#include <cstdint>
#include <cstring>

#include "kernels/cpu.hpp"
#include "kernels/streams.hpp"
#include "thread_pool.hpp"

#include "kernels/target.hpp"

namespace gpt2::kernels {

namespace {

constexpr int kLanes = 8;                         // int32 lanes of one block's sum
constexpr int kBytesPerLane = kQ8Block / kLanes;  // 4 int8 products per int32 lane

struct Q8Args {
    float* out;
    const std::int8_t* xq;
    const float* xs;
    const std::int8_t* wq;
    const float* ws;
    const float* bias;
    int T, K, N;
};

// The fixed 8-lane reduction (the AVX2 tree of kernels/simd.hpp):
// q[i] = a[i] + a[i+4]; d0 = q0 + q2, d1 = q1 + q3; d0 + d1.
float reduce8(const float* a) {
    float q[4];
    for (int i = 0; i < 4; ++i) q[i] = a[i] + a[i + 4];
    const float d0 = q[0] + q[2], d1 = q[1] + q[3];
    return d0 + d1;
}

// The accumulation order every path follows (so that all give the same bits):
// 16 float lanes, two sets of 8. Block b's 8 int32 lane sums (lane l: inputs
// 4l .. 4l+3 of the block) go, converted to float, into set b % 2 with
// acc = fma(sum, xs[b]·ws[b], acc), blocks in increasing order. At the end
// the two sets are added lane by lane and the 8 lanes reduced by reduce8.
// Two sets because a 512-bit register holds two blocks (64 bytes, one cache
// line of a weight row): the AVX-512 path does one fma per pair of blocks.

// ---- scalar ---------------------------------------------------------------

void scalar_range(const Q8Args& a, int n0, int n1) {
    const int n_blocks = a.K / kQ8Block;
    for (int t = 0; t < a.T; ++t) {
        const std::int8_t* xr = a.xq + static_cast<std::int64_t>(t) * a.K;
        const float* xsr = a.xs + static_cast<std::int64_t>(t) * n_blocks;
        for (int n = n0; n < n1; ++n) {
            const std::int8_t* wr = a.wq + static_cast<std::int64_t>(n) * a.K;
            const float* wsr = a.ws + static_cast<std::int64_t>(n) * n_blocks;
            float acc[2][kLanes] = {};
            for (int b = 0; b < n_blocks; ++b) {
                const float d = xsr[b] * wsr[b];
                for (int l = 0; l < kLanes; ++l) {
                    std::int32_t s = 0;
                    for (int i = 0; i < kBytesPerLane; ++i) {
                        const int k = b * kQ8Block + l * kBytesPerLane + i;
                        s += static_cast<std::int32_t>(xr[k]) * wr[k];
                    }
                    acc[b % 2][l] = std::fma(static_cast<float>(s), d, acc[b % 2][l]);
                }
            }
            float lanes[kLanes];
            for (int l = 0; l < kLanes; ++l) lanes[l] = acc[0][l] + acc[1][l];
            float sum = reduce8(lanes);
            if (a.bias) sum += a.bias[n];
            a.out[static_cast<std::int64_t>(t) * a.N + n] = sum;
        }
    }
}

#if defined(__x86_64__)
// The driver of one instruction set's tiles over columns [n0, n1) (kRows,
// kCols, kDecodeStreams and tile<R, NN> from the enclosing namespace): more
// rows walk kRows × kCols tiles of adjacent weight rows; decode splits the
// columns into kDecodeStreams equal parts and walks them side by side, one
// row of each part per tile, so that each part is its own sequential stream
// (adjacent rows read together are one strided stream, which the prefetchers
// follow poorly; see kDecodeStreams). A macro because each copy needs its
// namespace's target attribute.
#define GPT2_Q8_RANGE(TGT)                                                            \
    template <int NN>                                                                 \
    TGT void rows(const Q8Args& a, int n0) {                                          \
        int t = 0;                                                                    \
        for (; t + kRows <= a.T; t += kRows) tile<kRows, NN>(a, t, n0);               \
        for (; t < a.T; ++t) tile<1, NN>(a, t, n0);                                   \
    }                                                                                 \
    TGT void range(const Q8Args& a, int n0, int n1) {                                 \
        if (a.T == 1) {                                                               \
            for_each_stream_tile<kDecodeStreams>(                                     \
                n0, n1, [&](int n, int part) { tile<1, kDecodeStreams>(a, 0, n, part); }, \
                [&](int n) { tile<1, 1>(a, 0, n); });                                 \
            return;                                                                   \
        }                                                                             \
        int n = n0;                                                                   \
        for (; n + kCols <= n1; n += kCols) rows<kCols>(a, n);                        \
        for (; n < n1; ++n) rows<1>(a, n);                                            \
    }

// ---- AVX2 -------------------------------------------------------------------
namespace q8avx2 {

// 16 ymm registers: R × NN × 2 accumulators (even and odd blocks) + temporaries.
// Decode: rows are only K bytes (768 for most products), and reading 4
// adjacent ones interleaved, a line from each in turn, streamed at 9-10 GB/s
// on a Zen 3 where one row after the other streams at 12-13 (one thread; a
// plain sequential read: ~16). Two rows from the two halves of the columns
// are two sequential streams (see the VNNI path's kDecodeStreams).
constexpr int kRows = 2, kCols = 2, kDecodeStreams = 2;
// Software prefetch of the tile kPrefetchTiles further on (NN rows per
// tile), as in the VNNI path below. Measured on a Zen 3 (K = 768 and 3072,
// one thread): 4 tiles ahead ~5-10% faster than 0 or 1; 8 no better.
constexpr int kPrefetchTiles = 4;

GPT2_AVX2 inline float reduce(__m256 v) {
    const __m128 q = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    const __m128 d = _mm_add_ps(q, _mm_movehl_ps(q, q));
    return _mm_cvtss_f32(_mm_add_ss(d, _mm_movehdup_ps(d)));
}

// One block's 8 lane sums: |x| (unsigned) times w with x's sign moved onto it.
GPT2_AVX2 inline __m256 block_sums(__m256i x, __m256i w) {
    const __m256i ax = _mm256_sign_epi8(x, x);
    const __m256i sw = _mm256_sign_epi8(w, x);
    const __m256i p16 = _mm256_maddubs_epi16(ax, sw);   // |pairs| ≤ 2·127·127: no saturation
    return _mm256_cvtepi32_ps(_mm256_madd_epi16(p16, _mm256_set1_epi16(1)));
}

// R rows of x × NN rows of w (rows n0, n0 + row_step, ...), each element over
// all blocks in order. Two blocks (one 64-byte line of a weight row) per
// step, so that the two accumulator sets are fixed registers (with b % 2 as
// an index the compiler kept them on the stack, a load and a store around
// every fma).
template <int R, int NN>
GPT2_AVX2 void tile(const Q8Args& a, int t0, int n0, int row_step = 1) {
    const int n_blocks = a.K / kQ8Block;
    __m256 even[R][NN], odd[R][NN];
    for (int r = 0; r < R; ++r)
        for (int n = 0; n < NN; ++n) even[r][n] = odd[r][n] = _mm256_setzero_ps();
    const std::int8_t* x0 = a.xq + static_cast<std::int64_t>(t0) * a.K;
    const float* xs0 = a.xs + static_cast<std::int64_t>(t0) * n_blocks;
    const std::int8_t* w0 = a.wq + static_cast<std::int64_t>(n0) * a.K;
    const float* ws0 = a.ws + static_cast<std::int64_t>(n0) * n_blocks;
    const auto x_at = [&](int r, int b) {
        return _mm256_loadu_si256(
            reinterpret_cast<const __m256i*>(x0 + static_cast<std::int64_t>(r) * a.K + b * kQ8Block));
    };
    const auto d_at = [&](int r, int n, int b) {
        return _mm256_set1_ps(xs0[static_cast<std::int64_t>(r) * n_blocks + b] *
                              ws0[static_cast<std::int64_t>(n) * row_step * n_blocks + b]);
    };
    // Each weight stream prefetches kPrefetchTiles of its rows ahead: NN
    // rows per tile when they are adjacent, one when they are parts apart.
    const std::int64_t ahead = kPrefetchTiles * (row_step == 1 ? NN : 1) * static_cast<std::int64_t>(a.K);
    int b = 0;
    for (; b + 2 <= n_blocks; b += 2) {
        __m256i xe[R], xo[R];
        for (int r = 0; r < R; ++r) {
            xe[r] = x_at(r, b);
            xo[r] = x_at(r, b + 1);
        }
        for (int n = 0; n < NN; ++n) {
            const std::int8_t* wp = w0 + static_cast<std::int64_t>(n) * row_step * a.K + b * kQ8Block;
            _mm_prefetch(reinterpret_cast<const char*>(wp + ahead), _MM_HINT_T0);
            const __m256i we = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wp));
            const __m256i wo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wp + kQ8Block));
            for (int r = 0; r < R; ++r) {
                even[r][n] = _mm256_fmadd_ps(block_sums(xe[r], we), d_at(r, n, b), even[r][n]);
                odd[r][n] = _mm256_fmadd_ps(block_sums(xo[r], wo), d_at(r, n, b + 1), odd[r][n]);
            }
        }
    }
    if (b < n_blocks) {   // an odd block count: the last block is even
        for (int n = 0; n < NN; ++n) {
            const __m256i we = _mm256_loadu_si256(
                reinterpret_cast<const __m256i*>(w0 + static_cast<std::int64_t>(n) * row_step * a.K + b * kQ8Block));
            for (int r = 0; r < R; ++r)
                even[r][n] = _mm256_fmadd_ps(block_sums(x_at(r, b), we), d_at(r, n, b), even[r][n]);
        }
    }
    for (int r = 0; r < R; ++r)
        for (int n = 0; n < NN; ++n) {
            float sum = reduce(_mm256_add_ps(even[r][n], odd[r][n]));
            if (a.bias) sum += a.bias[n0 + n * row_step];
            a.out[static_cast<std::int64_t>(t0 + r) * a.N + n0 + n * row_step] = sum;
        }
}

GPT2_Q8_RANGE(GPT2_AVX2)

}  // namespace q8avx2

// ---- AVX-512 VNNI -------------------------------------------------------------
// A pair of blocks per 512-bit register: int32 lanes 0-7 hold block b's lane
// sums and lanes 8-15 block b+1's, which is exactly the two accumulator sets.
// vpdpbusd multiplies unsigned by signed bytes: |x| times w with x's sign
// moved onto it (a masked negate: AVX-512 has no 512-bit vpsignb; w is never
// -128, so negating it is exact).
namespace q8vnni {

// 32 zmm registers: R × NN accumulators + R × 3 x registers + temporaries.
//
// Decode reads kDecodeStreams rows at a time, one from each of as many equal
// parts of the columns: that many sequential streams, each prefetched 4 KB
// ahead. Measured on a Zen 4 (one thread, weights streamed from memory):
// 4 adjacent rows interleaved with next-tile prefetch ~10 / 13 GB/s (K × N
// = 768 × 2304 / 3072 × 768); one row after the other 15-21 / 15-22 with
// any prefetch distance from 0 to 24 KB; two rows from the two halves
// (BM_MatvecQ8, 3 interleaved runs) 15-19 against one row's 12-14.5, and
// gpt2 bench q8 tg128 +12-40% on one thread (A/B in one window); three
// parts measured like two, four less.
constexpr int kRows = 4, kCols = 4, kDecodeStreams = 2;
// Prefill's software prefetch: the next tile's weight rows (the same
// offset, NN rows further), because the tile reads NN adjacent rows as NN
// interleaved streams, which the hardware prefetchers follow poorly.
constexpr int kPrefetchTiles = 1;
constexpr std::int64_t kDecodePrefetchBytes = 4096;

GPT2_VNNI inline float reduce(__m512 v) {
    const __m256 h = _mm256_add_ps(_mm512_castps512_ps256(v), _mm512_extractf32x8_ps(v, 1));
    const __m128 q = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
    const __m128 d = _mm_add_ps(q, _mm_movehl_ps(q, q));
    return _mm_cvtss_f32(_mm_add_ss(d, _mm_movehdup_ps(d)));
}

// [s[0] × 8, s[1] × 8]: the scales of a pair of blocks, one per lane set.
GPT2_VNNI inline __m512 pair_scales(const float* s) {
    double two;
    std::memcpy(&two, s, sizeof two);
    const __m512i halves = _mm512_set_epi32(1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0);
    return _mm512_permutexvar_ps(halves, _mm512_castpd_ps(_mm512_set1_pd(two)));
}

// R rows of x × NN rows of w (rows n0, n0 + row_step, ...).
template <int R, int NN>
GPT2_VNNI void tile(const Q8Args& a, int t0, int n0, int row_step = 1) {
    const int n_blocks = a.K / kQ8Block;
    __m512 acc[R][NN];
    for (int r = 0; r < R; ++r)
        for (int n = 0; n < NN; ++n) acc[r][n] = _mm512_setzero_ps();
    const std::int8_t* x0 = a.xq + static_cast<std::int64_t>(t0) * a.K;
    const float* xs0 = a.xs + static_cast<std::int64_t>(t0) * n_blocks;
    const std::int8_t* w0 = a.wq + static_cast<std::int64_t>(n0) * a.K;
    const float* ws0 = a.ws + static_cast<std::int64_t>(n0) * n_blocks;
    const __m512i zero = _mm512_setzero_si512();
    // Separate streams (decode: one row, or rows parts apart) read 4 KB
    // ahead each; adjacent rows the next tile.
    const std::int64_t ahead =
        (R == 1 && (NN == 1 || row_step > 1)) ? kDecodePrefetchBytes : kPrefetchTiles * NN * std::int64_t{a.K};
    int b = 0;
    for (; b + 2 <= n_blocks; b += 2) {
        __m512i ax[R];
        __mmask64 negative[R];
        __m512 xs[R];
        for (int r = 0; r < R; ++r) {
            const __m512i xv = _mm512_loadu_si512(x0 + static_cast<std::int64_t>(r) * a.K + b * kQ8Block);
            ax[r] = _mm512_abs_epi8(xv);
            negative[r] = _mm512_movepi8_mask(xv);
            xs[r] = pair_scales(xs0 + static_cast<std::int64_t>(r) * n_blocks + b);
        }
        for (int n = 0; n < NN; ++n) {
            const std::int8_t* wp = w0 + static_cast<std::int64_t>(n) * row_step * a.K + b * kQ8Block;
            _mm_prefetch(reinterpret_cast<const char*>(wp + ahead), _MM_HINT_T0);
            const __m512i wv = _mm512_loadu_si512(wp);
            const __m512 ws = pair_scales(ws0 + static_cast<std::int64_t>(n) * row_step * n_blocks + b);
            for (int r = 0; r < R; ++r) {
                const __m512i sw = _mm512_mask_sub_epi8(wv, negative[r], zero, wv);
                const __m512 sums = _mm512_cvtepi32_ps(_mm512_dpbusd_epi32(zero, ax[r], sw));
                acc[r][n] = _mm512_fmadd_ps(sums, _mm512_mul_ps(xs[r], ws), acc[r][n]);
            }
        }
    }
    if (b < n_blocks) {   // an odd block count: the last block goes to set 0 (lanes 0-7)
        constexpr __mmask64 kLow32 = 0xffffffffu;
        for (int r = 0; r < R; ++r) {
            const __m512i xv = _mm512_maskz_loadu_epi8(kLow32, x0 + static_cast<std::int64_t>(r) * a.K + b * kQ8Block);
            const __m512i ax = _mm512_abs_epi8(xv);
            const __mmask64 negative = _mm512_movepi8_mask(xv);
            const float xsb = xs0[static_cast<std::int64_t>(r) * n_blocks + b];
            for (int n = 0; n < NN; ++n) {
                const __m512i wv =
                    _mm512_maskz_loadu_epi8(kLow32, w0 + static_cast<std::int64_t>(n) * row_step * a.K + b * kQ8Block);
                const __m512i sw = _mm512_mask_sub_epi8(wv, negative, zero, wv);
                const __m512 sums = _mm512_cvtepi32_ps(_mm512_dpbusd_epi32(zero, ax, sw));
                const float d = xsb * ws0[static_cast<std::int64_t>(n) * row_step * n_blocks + b];
                acc[r][n] = _mm512_mask3_fmadd_ps(sums, _mm512_set1_ps(d), acc[r][n], 0x00ff);
            }
        }
    }
    for (int r = 0; r < R; ++r)
        for (int n = 0; n < NN; ++n) {
            float sum = reduce(acc[r][n]);
            if (a.bias) sum += a.bias[n0 + n * row_step];
            a.out[static_cast<std::int64_t>(t0 + r) * a.N + n0 + n * row_step] = sum;
        }
}

GPT2_Q8_RANGE(GPT2_VNNI)

}  // namespace q8vnni
#undef GPT2_Q8_RANGE
#endif

using RangeFn = void (*)(const Q8Args&, int, int);

RangeFn pick(const char** name) {
#if defined(__x86_64__)
    if (cpu::has_avx512_vnni()) {
        if (name) *name = "avx512-vnni";
        return &q8vnni::range;
    }
    if (cpu::active() >= cpu::Isa::kAvx2) {
        if (name) *name = "avx2";
        return &q8avx2::range;
    }
#endif
    if (name) *name = "scalar";
    return &scalar_range;
}

}  // namespace

void quantize_q8_row(std::int8_t* q, float* scales, const float* x, int K) {
    // Comparisons instead of std::fmax/std::fmin: the same results (a NaN
    // input is skipped by the max and clamps to -127, as with fmax/fmin) but
    // no libm call per element, so the loops vectorise.
    for (int b = 0; b < K / kQ8Block; ++b) {
        const float* xb = x + b * kQ8Block;
        float amax = 0.0f;
        for (int i = 0; i < kQ8Block; ++i) {
            const float m = std::fabs(xb[i]);
            amax = m > amax ? m : amax;
        }
        const float s = amax / 127.0f;
        const float inv = amax > 0.0f ? 127.0f / amax : 0.0f;
        scales[b] = s;
        for (int i = 0; i < kQ8Block; ++i) {
            float v = std::nearbyint(xb[i] * inv);
            v = v >= -127.0f ? v : -127.0f;
            v = v <= 127.0f ? v : 127.0f;
            q[b * kQ8Block + i] = static_cast<std::int8_t>(v);
        }
    }
}

void quantize_q8(std::int8_t* q, float* scales, const float* x, int T, int K, ThreadPool& pool) {
    const int n_blocks = K / kQ8Block;
    const std::int64_t work = std::int64_t{T} * K;   // element operations
    pool.parallel_for(T, 1, work, [&](std::int64_t t0, std::int64_t t1, int) {
        for (std::int64_t t = t0; t < t1; ++t)
            quantize_q8_row(q + t * K, scales + t * n_blocks, x + t * K, K);
    });
}

void matmul_q8(float* out, const std::int8_t* xq, const float* xs, const std::int8_t* wq, const float* ws,
               const float* bias, int T, int K, int N, ThreadPool& pool) {
    const Q8Args a{out, xq, xs, wq, ws, bias, T, K, N};
    const RangeFn fn = pick(nullptr);
    const std::int64_t work = std::int64_t{T} * K * N;   // multiply-adds (small products stay on the caller)
    pool.parallel_for(N, 8, work, [&](std::int64_t n0, std::int64_t n1, int) {
        fn(a, static_cast<int>(n0), static_cast<int>(n1));
    });
}

void dequantize_q8_row(float* dst, const std::int8_t* wq, const float* ws, int K) {
    for (int k = 0; k < K; ++k) dst[k] = static_cast<float>(wq[k]) * ws[k / kQ8Block];
}

const char* q8_kernel_name() {
    const char* name = "scalar";
    (void)pick(&name);
    return name;
}

}  // namespace gpt2::kernels
