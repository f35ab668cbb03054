#include "kernels/matvec_panels.hpp"

#include <cstring>

#include "kernels/cpu.hpp"
#include "kernels/streams.hpp"
#include "numeric/half.hpp"
#include "thread_pool.hpp"

#include "kernels/target.hpp"

namespace gpt2::kernels {

namespace {

enum class Elem { kF32, kF16, kBF16 };

struct PanelArgs {
    float* out;
    const float* x;
    const void* w;   // the panels
    const float* bias;
    int K, N;
};

// Software prefetch distance along a panel, on top of the hardware
// prefetchers. Measured on a Zen 4 (one thread, weights from memory): 1, 2
// and 4 KB ahead within noise of each other in a prototype of this kernel;
// the q8 decode's single row stream (matmul_q8.cpp) ran ~10% slower
// without its prefetch.
constexpr std::int64_t kPrefetchBytes = 2048;

// A thread's panels are walked as kStreams sequential streams, one panel from
// each of as many equal parts at a time (kernels/streams.hpp). Measured on a
// Zen 4 (one thread, weights in huge pages): two adjacent panels read 16-bit
// weights at 16-23 GB/s (BM_MatvecPanels, K = 768) and 27-29 (K = 3072);
// two panels from the two halves 23-30 and 28-31, four from four quarters
// 22-25, four adjacent 19-21. gpt2 bench tg128 one thread, two A/B rounds:
// F16 87/82 -> 104/101 tok/s, BF16 89/89 -> 101/103, F32 50/49 -> 55/52;
// the AVX2 path (GPT2_ISA=avx2) F16 88/87 -> 101/99.
constexpr int kStreams = 2;

template <Elem E>
constexpr std::int64_t kElemBytes = E == Elem::kF32 ? 4 : 2;

template <Elem E>
const char* element_address(const void* w, std::int64_t i) {
    return static_cast<const char*>(w) + i * kElemBytes<E>;
}

// The panel's accumulators start at the bias (0 past N or without one);
// only columns below N are stored.
void initial_sums(const PanelArgs& a, int p, float* init) {
    for (int c = 0; c < kPanelWidth; ++c) {
        const int j = p * kPanelWidth + c;
        init[c] = (j < a.N && a.bias) ? a.bias[j] : 0.0f;
    }
}

void store_sums(const PanelArgs& a, int p, const float* sums) {
    const int j0 = p * kPanelWidth;
    const int n = a.N - j0 < kPanelWidth ? a.N - j0 : kPanelWidth;
    std::memcpy(a.out + j0, sums, static_cast<std::size_t>(n) * sizeof(float));
}

// ---- scalar -----------------------------------------------------------------

template <Elem E>
float widen(const void* w, std::int64_t i) {
    if constexpr (E == Elem::kF32) return static_cast<const float*>(w)[i];
    else if constexpr (E == Elem::kF16) return numeric::f16_to_f32(static_cast<const std::uint16_t*>(w)[i]);
    else return numeric::bf16_to_f32(static_cast<const std::uint16_t*>(w)[i]);
}

template <Elem E>
void scalar_range(const PanelArgs& a, int p0, int p1) {
    for (int p = p0; p < p1; ++p) {
        float acc[kPanelWidth];
        initial_sums(a, p, acc);
        const std::int64_t base = static_cast<std::int64_t>(p) * a.K * kPanelWidth;
        for (int k = 0; k < a.K; ++k)
            for (int c = 0; c < kPanelWidth; ++c)
                acc[c] = __builtin_fmaf(a.x[k], widen<E>(a.w, base + std::int64_t{k} * kPanelWidth + c), acc[c]);
        store_sums(a, p, acc);
    }
}

#if defined(__x86_64__)
// ---- AVX-512: a panel row is one vector -------------------------------------

template <Elem E>
GPT2_AVX512 inline __m512 load_row_avx512(const void* w, std::int64_t i) {
    const char* p = element_address<E>(w, i);
    if constexpr (E == Elem::kF32) {
        return _mm512_loadu_ps(p);
    } else {
        const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
        if constexpr (E == Elem::kF16) return _mm512_cvtph_ps(h);
        else return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
    }
}

// NP panels, p, p + step, ...: NP fma chains (AVX-512: 4-cycle latency, ~1
// fma per cycle on a Zen 4, and two chains already outrun memory).
template <Elem E, int NP>
GPT2_AVX512 void panels_avx512(const PanelArgs& a, int p, int step = 1) {
    constexpr int kRowsPerLine = static_cast<int>(64 / (kPanelWidth * kElemBytes<E>));
    __m512 acc[NP];
    for (int i = 0; i < NP; ++i) {
        alignas(64) float init[kPanelWidth];
        initial_sums(a, p + i * step, init);
        acc[i] = _mm512_load_ps(init);
    }
    const std::int64_t panel = std::int64_t{a.K} * kPanelWidth;
    const std::int64_t base = static_cast<std::int64_t>(p) * panel;
    for (int k = 0; k < a.K; ++k) {
        const __m512 xk = _mm512_set1_ps(a.x[k]);
        for (int i = 0; i < NP; ++i) {
            const std::int64_t at = base + i * step * panel + std::int64_t{k} * kPanelWidth;
            if (k % kRowsPerLine == 0) _mm_prefetch(element_address<E>(a.w, at) + kPrefetchBytes, _MM_HINT_T0);
            acc[i] = _mm512_fmadd_ps(xk, load_row_avx512<E>(a.w, at), acc[i]);
        }
    }
    for (int i = 0; i < NP; ++i) {
        alignas(64) float sums[kPanelWidth];
        _mm512_store_ps(sums, acc[i]);
        store_sums(a, p + i * step, sums);
    }
}

template <Elem E>
GPT2_AVX512 void range_avx512(const PanelArgs& a, int p0, int p1) {
    for_each_stream_tile<kStreams>(
        p0, p1, [&](int p, int part) { panels_avx512<E, kStreams>(a, p, part); },
        [&](int p) { panels_avx512<E, 1>(a, p); });
}

// ---- AVX2: a panel row is two vectors ---------------------------------------

template <Elem E>
GPT2_AVX2 inline __m256 load_half_row_avx2(const void* w, std::int64_t i) {
    const char* p = element_address<E>(w, i);
    if constexpr (E == Elem::kF32) {
        return _mm256_loadu_ps(reinterpret_cast<const float*>(p));
    } else {
        const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
        if constexpr (E == Elem::kF16) return _mm256_cvtph_ps(h);
        else return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
    }
}

template <Elem E, int NP>
GPT2_AVX2 void panels_avx2(const PanelArgs& a, int p, int step = 1) {
    constexpr int kRowsPerLine = static_cast<int>(64 / (kPanelWidth * kElemBytes<E>));
    __m256 acc[NP][2];
    for (int i = 0; i < NP; ++i) {
        alignas(32) float init[kPanelWidth];
        initial_sums(a, p + i * step, init);
        acc[i][0] = _mm256_load_ps(init);
        acc[i][1] = _mm256_load_ps(init + 8);
    }
    const std::int64_t panel = std::int64_t{a.K} * kPanelWidth;
    const std::int64_t base = static_cast<std::int64_t>(p) * panel;
    for (int k = 0; k < a.K; ++k) {
        const __m256 xk = _mm256_set1_ps(a.x[k]);
        for (int i = 0; i < NP; ++i) {
            const std::int64_t at = base + i * step * panel + std::int64_t{k} * kPanelWidth;
            if (k % kRowsPerLine == 0) _mm_prefetch(element_address<E>(a.w, at) + kPrefetchBytes, _MM_HINT_T0);
            acc[i][0] = _mm256_fmadd_ps(xk, load_half_row_avx2<E>(a.w, at), acc[i][0]);
            acc[i][1] = _mm256_fmadd_ps(xk, load_half_row_avx2<E>(a.w, at + 8), acc[i][1]);
        }
    }
    for (int i = 0; i < NP; ++i) {
        alignas(32) float sums[kPanelWidth];
        _mm256_store_ps(sums, acc[i][0]);
        _mm256_store_ps(sums + 8, acc[i][1]);
        store_sums(a, p + i * step, sums);
    }
}

template <Elem E>
GPT2_AVX2 void range_avx2(const PanelArgs& a, int p0, int p1) {
    for_each_stream_tile<kStreams>(
        p0, p1, [&](int p, int part) { panels_avx2<E, kStreams>(a, p, part); },
        [&](int p) { panels_avx2<E, 1>(a, p); });
}
#endif

using RangeFn = void (*)(const PanelArgs&, int, int);

template <Elem E>
RangeFn pick() {
#if defined(__x86_64__)
    if (cpu::active() >= cpu::Isa::kAvx512) return &range_avx512<E>;
    if (cpu::active() >= cpu::Isa::kAvx2) return &range_avx2<E>;
#endif
    return &scalar_range<E>;
}

template <Elem E>
void run(const PanelArgs& a, ThreadPool& pool) {
    const RangeFn fn = pick<E>();
    const int n_panels = (a.N + kPanelWidth - 1) / kPanelWidth;
    const std::int64_t work = std::int64_t{a.K} * a.N;   // multiply-adds (small products stay on the caller)
    pool.parallel_for(n_panels, 1, work, [&](std::int64_t p0, std::int64_t p1, int) {
        fn(a, static_cast<int>(p0), static_cast<int>(p1));
    });
}

}  // namespace

void pack_panels(void* dst, const void* w, std::size_t elem_bytes, std::int64_t K, std::int64_t N) {
    auto* d = static_cast<char*>(dst);
    const auto* s = static_cast<const char*>(w);
    const std::int64_t n_panels = (N + kPanelWidth - 1) / kPanelWidth;
    const auto row_bytes = static_cast<std::size_t>(kPanelWidth) * elem_bytes;
    // Panel by panel, so the copy is written in order (the reads are a
    // constant stride, which the prefetchers follow): ~2x faster than row by
    // row into scattered panels.
    for (std::int64_t p = 0; p < n_panels; ++p) {
        for (std::int64_t k = 0; k < K; ++k) {
            char* out = d + static_cast<std::size_t>((p * K + k) * kPanelWidth) * elem_bytes;
            const std::int64_t j0 = p * kPanelWidth;
            const std::int64_t n = N - j0 < kPanelWidth ? N - j0 : kPanelWidth;
            std::memcpy(out, s + static_cast<std::size_t>(k * N + j0) * elem_bytes, static_cast<std::size_t>(n) * elem_bytes);
            if (n < kPanelWidth) std::memset(out + n * static_cast<std::int64_t>(elem_bytes), 0, row_bytes - static_cast<std::size_t>(n) * elem_bytes);
        }
    }
}

void matvec_panels(float* out, const float* x, const float* panels, const float* bias, int K, int N,
                   ThreadPool& pool) {
    run<Elem::kF32>(PanelArgs{out, x, panels, bias, K, N}, pool);
}

void matvec_panels_half(float* out, const float* x, const std::uint16_t* panels, Half h, const float* bias, int K,
                        int N, ThreadPool& pool) {
    if (h == Half::kBF16) run<Elem::kBF16>(PanelArgs{out, rounded_to_bf16(x, K), panels, bias, K, N}, pool);
    else run<Elem::kF16>(PanelArgs{out, x, panels, bias, K, N}, pool);
}

}  // namespace gpt2::kernels
