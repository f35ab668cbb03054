#include "kernels/matmul_q8.hpp"

#include <cmath>
#include <cstdint>

#include "kernels/cpu.hpp"
#include "thread_pool.hpp"

#if defined(__x86_64__)
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#include <immintrin.h>
#define GPT2_AVX2 __attribute__((target("avx2,fma,f16c")))
#define GPT2_VNNI __attribute__((target("avx512f,avx512vl,avx512vnni,avx2,fma,f16c")))
#endif

namespace gpt2::kernels {

namespace {

constexpr int kLanes = 8;                         // float accumulator lanes of every path
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

// ---- scalar ---------------------------------------------------------------

void scalar_range(const Q8Args& a, int n0, int n1) {
    const int n_blocks = a.K / kQ8Block;
    for (int t = 0; t < a.T; ++t) {
        const std::int8_t* xr = a.xq + static_cast<std::int64_t>(t) * a.K;
        const float* xsr = a.xs + static_cast<std::int64_t>(t) * n_blocks;
        for (int n = n0; n < n1; ++n) {
            const std::int8_t* wr = a.wq + static_cast<std::int64_t>(n) * a.K;
            const float* wsr = a.ws + static_cast<std::int64_t>(n) * n_blocks;
            float acc[kLanes] = {};
            for (int b = 0; b < n_blocks; ++b) {
                const float d = xsr[b] * wsr[b];
                for (int l = 0; l < kLanes; ++l) {
                    std::int32_t s = 0;
                    for (int i = 0; i < kBytesPerLane; ++i) {
                        const int k = b * kQ8Block + l * kBytesPerLane + i;
                        s += static_cast<std::int32_t>(xr[k]) * wr[k];
                    }
                    acc[l] = std::fma(static_cast<float>(s), d, acc[l]);
                }
            }
            float sum = reduce8(acc);
            if (a.bias) sum += a.bias[n];
            a.out[static_cast<std::int64_t>(t) * a.N + n] = sum;
        }
    }
}

#if defined(__x86_64__)
// ---- AVX2 / AVX512-VNNI -----------------------------------------------------
// The block sums: |x| (unsigned) times w with x's sign moved onto it.
struct Avx2Dot {
    GPT2_AVX2 static __m256i block(__m256i x, __m256i w) {
        const __m256i ax = _mm256_sign_epi8(x, x);
        const __m256i sw = _mm256_sign_epi8(w, x);
        const __m256i p16 = _mm256_maddubs_epi16(ax, sw);   // |pairs| ≤ 2·127·127: no saturation
        return _mm256_madd_epi16(p16, _mm256_set1_epi16(1));
    }
};
struct VnniDot {
    GPT2_VNNI static __m256i block(__m256i x, __m256i w) {
        const __m256i ax = _mm256_sign_epi8(x, x);
        const __m256i sw = _mm256_sign_epi8(w, x);
        return _mm256_dpbusd_epi32(_mm256_setzero_si256(), ax, sw);
    }
};

#define GPT2_Q8_KERNELS(NS, TGT, DOT)                                                                          \
    namespace NS {                                                                                             \
    TGT inline float reduce(__m256 v) {                                                                        \
        const __m128 q = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));                  \
        const __m128 d = _mm_add_ps(q, _mm_movehl_ps(q, q));                                                   \
        return _mm_cvtss_f32(_mm_add_ss(d, _mm_movehdup_ps(d)));                                               \
    }                                                                                                          \
    /* R rows of x × NN rows of w, each element over all blocks in order. */                                \
    template <int R, int NN>                                                                                   \
    TGT void tile(const Q8Args& a, int t0, int n0) {                                                          \
        const int n_blocks = a.K / kQ8Block;                                                                   \
        __m256 acc[R][NN];                                                                                     \
        for (int r = 0; r < R; ++r)                                                                            \
            for (int n = 0; n < NN; ++n) acc[r][n] = _mm256_setzero_ps();                                      \
        const std::int8_t* x0 = a.xq + static_cast<std::int64_t>(t0) * a.K;                                    \
        const float* xs0 = a.xs + static_cast<std::int64_t>(t0) * n_blocks;                                    \
        const std::int8_t* w0 = a.wq + static_cast<std::int64_t>(n0) * a.K;                                    \
        const float* ws0 = a.ws + static_cast<std::int64_t>(n0) * n_blocks;                                    \
        for (int b = 0; b < n_blocks; ++b) {                                                                   \
            __m256i xv[R];                                                                                     \
            for (int r = 0; r < R; ++r)                                                                        \
                xv[r] = _mm256_loadu_si256(                                                                    \
                    reinterpret_cast<const __m256i*>(x0 + static_cast<std::int64_t>(r) * a.K + b * kQ8Block)); \
            for (int n = 0; n < NN; ++n) {                                                                     \
                const __m256i wv = _mm256_loadu_si256(                                                         \
                    reinterpret_cast<const __m256i*>(w0 + static_cast<std::int64_t>(n) * a.K + b * kQ8Block)); \
                const float wsb = ws0[static_cast<std::int64_t>(n) * n_blocks + b];                            \
                for (int r = 0; r < R; ++r) {                                                                  \
                    const float d = xs0[static_cast<std::int64_t>(r) * n_blocks + b] * wsb;                    \
                    const __m256 s = _mm256_cvtepi32_ps(DOT::block(xv[r], wv));                                \
                    acc[r][n] = _mm256_fmadd_ps(s, _mm256_set1_ps(d), acc[r][n]);                              \
                }                                                                                              \
            }                                                                                                  \
        }                                                                                                      \
        for (int r = 0; r < R; ++r)                                                                            \
            for (int n = 0; n < NN; ++n) {                                                                     \
                float sum = reduce(acc[r][n]);                                                                 \
                if (a.bias) sum += a.bias[n0 + n];                                                             \
                a.out[static_cast<std::int64_t>(t0 + r) * a.N + n0 + n] = sum;                                 \
            }                                                                                                  \
    }                                                                                                          \
    template <int NN>                                                                                          \
    TGT void rows(const Q8Args& a, int n0) {                                                                   \
        int t = 0;                                                                                             \
        for (; t + kRows <= a.T; t += kRows) tile<kRows, NN>(a, t, n0);                                        \
        for (; t < a.T; ++t) tile<1, NN>(a, t, n0);                                                            \
    }                                                                                                          \
    TGT void range(const Q8Args& a, int n0, int n1) {                                                          \
        int n = n0;                                                                                            \
        if (a.T == 1) {                                                                                        \
            for (; n + kDecodeCols <= n1; n += kDecodeCols) tile<1, kDecodeCols>(a, 0, n);                     \
            for (; n < n1; ++n) tile<1, 1>(a, 0, n);                                                           \
            return;                                                                                            \
        }                                                                                                      \
        for (; n + kCols <= n1; n += kCols) rows<kCols>(a, n);                                                 \
        for (; n < n1; ++n) rows<1>(a, n);                                                                     \
    }                                                                                                          \
    }

// AVX2: 16 ymm registers: 2 × 4 accumulators + 2 x + w + temporaries.
namespace avx2_sizes {
constexpr int kRows = 2, kCols = 4, kDecodeCols = 4;
}
// AVX-512 VL: 32 ymm registers: 4 × 4 accumulators.
namespace vnni_sizes {
constexpr int kRows = 4, kCols = 4, kDecodeCols = 8;
}
namespace q8avx2 {
using namespace avx2_sizes;
}
namespace q8vnni {
using namespace vnni_sizes;
}
GPT2_Q8_KERNELS(q8avx2, GPT2_AVX2, Avx2Dot)
GPT2_Q8_KERNELS(q8vnni, GPT2_VNNI, VnniDot)
#undef GPT2_Q8_KERNELS
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
    for (int b = 0; b < K / kQ8Block; ++b) {
        const float* xb = x + b * kQ8Block;
        float amax = 0.0f;
        for (int i = 0; i < kQ8Block; ++i) amax = std::fmax(amax, std::fabs(xb[i]));
        const float s = amax / 127.0f;
        const float inv = amax > 0.0f ? 127.0f / amax : 0.0f;
        scales[b] = s;
        for (int i = 0; i < kQ8Block; ++i) {
            float v = std::nearbyint(xb[i] * inv);
            v = std::fmin(127.0f, std::fmax(-127.0f, v));
            q[b * kQ8Block + i] = static_cast<std::int8_t>(v);
        }
    }
}

void quantize_q8(std::int8_t* q, float* scales, const float* x, int T, int K, ThreadPool& pool) {
    const int n_blocks = K / kQ8Block;
    pool.parallel_for(T, 1, [&](std::int64_t t0, std::int64_t t1, int) {
        for (std::int64_t t = t0; t < t1; ++t)
            quantize_q8_row(q + t * K, scales + t * n_blocks, x + t * K, K);
    });
}

void matmul_q8(float* out, const std::int8_t* xq, const float* xs, const std::int8_t* wq, const float* ws,
               const float* bias, int T, int K, int N, ThreadPool& pool) {
    const Q8Args a{out, xq, xs, wq, ws, bias, T, K, N};
    const RangeFn fn = pick(nullptr);
    pool.parallel_for(N, 8, [&](std::int64_t n0, std::int64_t n1, int) {
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
