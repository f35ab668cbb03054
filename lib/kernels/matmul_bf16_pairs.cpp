#include "kernels/matmul_bf16_pairs.hpp"

#include <bit>
#include <cstdint>

#include "kernels/cpu.hpp"
#include "kernels/matvec_panels.hpp"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define GPT2_HAVE_BF16_PAIRS 1
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#include <immintrin.h>
#define GPT2_BF16 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512bf16,fma")))
#endif

namespace gpt2::kernels::bf16_pairs {

#if defined(GPT2_HAVE_BF16_PAIRS)

bool available() { return cpu::has_avx512_bf16(); }

namespace {

constexpr int kWidth = 16;                  // F32 lanes (= pairs) per vector
constexpr int kKBlock = 256;                // rows of w per packed block (even)
constexpr int kPanelVecs = 4;               // vectors of columns per panel
constexpr int kTileRows = 6;                // rows of x per tile: 6 × 4 accumulators
constexpr int kPanelCols = kPanelVecs * kWidth;

std::uint32_t bits(float v) { return std::bit_cast<std::uint32_t>(v); }

// 16 bf16 values zero-extended to 32-bit lanes (the bits, not widened).
GPT2_BF16 __m512i load_u16x16(const std::uint16_t* p) {
    return _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
}

GPT2_BF16 __m512 dot_pairs(__m512 acc, __m512i x, __m512i w) {
    return _mm512_dpbf16_ps(acc, reinterpret_cast<__m512bh>(x), reinterpret_cast<__m512bh>(w));
}

// Packs rows [k0, k1) × NV vectors of columns from j: pair row p holds
// w[k0 + 2p, c] << 16 | w[k0 + 2p + 1, c]; an odd last row is stored after
// the pairs widened to F32 (its fma needs no partner). The rows come from
// the decode panels when there are any (each vector of columns one
// sequential run of 16-element rows there), else from w's rows, C_out apart.
template <int NV>
GPT2_BF16 void pack_panel(std::uint32_t* panel, const PairProduct& a, int j, int k0, int k1) {
    constexpr int P = NV * kWidth;
    const std::uint16_t* src[NV];   // vector v's columns at row k0
    std::int64_t row_stride = a.C_out;
    for (int v = 0; v < NV; ++v) src[v] = a.w + static_cast<std::int64_t>(k0) * a.C_out + j + v * kWidth;
    if (a.panels != nullptr) {
        row_stride = kPanelWidth;
        for (int v = 0; v < NV; ++v) src[v] = panel_element(a.panels, a.C_in, k0, j + v * kWidth);
    }
    const int n_pairs = (k1 - k0) / 2;
    for (int p = 0; p < n_pairs; ++p) {
        for (int v = 0; v < NV; ++v) {
            const std::uint16_t* even = src[v] + 2 * p * row_stride;
            const __m512i hi = _mm512_slli_epi32(load_u16x16(even), 16);
            _mm512_store_si512(panel + p * P + v * kWidth, _mm512_or_si512(hi, load_u16x16(even + row_stride)));
        }
    }
    if ((k1 - k0) % 2 != 0) {
        for (int v = 0; v < NV; ++v) {
            const std::uint16_t* last = src[v] + (k1 - 1 - k0) * row_stride;
            _mm512_store_si512(panel + n_pairs * P + v * kWidth, _mm512_slli_epi32(load_u16x16(last), 16));
        }
    }
}

// out[t0 .. t0+R, j .. j+NV·16) over rows [k0, k1) of w from the packed
// panel; `first`: start from the bias (or 0), else from the sums in out.
template <int R, int NV>
GPT2_BF16 void tile(const PairProduct& a, const std::uint32_t* panel, int t0, int j, int k0, int k1, bool first) {
    constexpr int P = NV * kWidth;
    __m512 acc[R][NV];
    for (int r = 0; r < R; ++r) {
        float* o = a.out + static_cast<std::int64_t>(t0 + r) * a.C_out + j;
        for (int v = 0; v < NV; ++v) {
            if (!first) acc[r][v] = _mm512_loadu_ps(o + v * kWidth);
            else acc[r][v] = a.bias ? _mm512_loadu_ps(a.bias + j + v * kWidth) : _mm512_setzero_ps();
        }
    }
    const std::int64_t ldp = pairs(a.C_in);
    const std::uint32_t* xp = a.x_pairs + static_cast<std::int64_t>(t0) * ldp + k0 / 2;
    const int n_pairs = (k1 - k0) / 2;
    for (int p = 0; p < n_pairs; ++p) {
        __m512i wv[NV];
        for (int v = 0; v < NV; ++v) wv[v] = _mm512_load_si512(panel + p * P + v * kWidth);
        for (int r = 0; r < R; ++r) {
            const __m512i xr = _mm512_set1_epi32(static_cast<int>(xp[r * ldp + p]));
            for (int v = 0; v < NV; ++v) acc[r][v] = dot_pairs(acc[r][v], xr, wv[v]);
        }
    }
    if ((k1 - k0) % 2 != 0) {
        __m512 wv[NV];
        for (int v = 0; v < NV; ++v) wv[v] = _mm512_load_ps(reinterpret_cast<const float*>(panel + n_pairs * P + v * kWidth));
        for (int r = 0; r < R; ++r) {
            const __m512 xr = _mm512_set1_ps(a.x[static_cast<std::int64_t>(t0 + r) * a.C_in + k1 - 1]);
            for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_fmadd_ps(xr, wv[v], acc[r][v]);
        }
    }
    for (int r = 0; r < R; ++r) {
        float* o = a.out + static_cast<std::int64_t>(t0 + r) * a.C_out + j;
        for (int v = 0; v < NV; ++v) _mm512_storeu_ps(o + v * kWidth, acc[r][v]);
    }
}

template <int NV>
GPT2_BF16 void panel_columns(const PairProduct& a, int j, std::uint32_t* panel) {
    for (int k0 = 0; k0 < a.C_in; k0 += kKBlock) {
        const int k1 = a.C_in < k0 + kKBlock ? a.C_in : k0 + kKBlock;
        pack_panel<NV>(panel, a, j, k0, k1);
        const bool first = k0 == 0;
        for (int t0 = 0; t0 < a.T; t0 += kTileRows) {
            switch (a.T - t0 < kTileRows ? a.T - t0 : kTileRows) {
                case 1: tile<1, NV>(a, panel, t0, j, k0, k1, first); break;
                case 2: tile<2, NV>(a, panel, t0, j, k0, k1, first); break;
                case 3: tile<3, NV>(a, panel, t0, j, k0, k1, first); break;
                case 4: tile<4, NV>(a, panel, t0, j, k0, k1, first); break;
                case 5: tile<5, NV>(a, panel, t0, j, k0, k1, first); break;
                default: tile<6, NV>(a, panel, t0, j, k0, k1, first); break;
            }
        }
    }
}

GPT2_BF16 void pack_rows_avx512(std::uint32_t* x_pairs, const float* x, int T, int C_in) {
    const int ldp = pairs(C_in);
    for (int t = 0; t < T; ++t) {
        const float* xt = x + static_cast<std::int64_t>(t) * C_in;
        std::uint32_t* pt = x_pairs + static_cast<std::int64_t>(t) * ldp;
        int p = 0;
        // x holds bf16 values: each pair is two high halves, k's on top.
        const __m512i hi_of_even = _mm512_set1_epi32(static_cast<int>(0xffff0000u));
        for (; 2 * p + 2 * kWidth <= C_in; p += kWidth) {
            const __m512i a = _mm512_loadu_si512(xt + 2 * p);            // k = 2p .. 2p+15
            const __m512i b = _mm512_loadu_si512(xt + 2 * p + kWidth);   // k = 2p+16 .. 2p+31
            // Pair q: the bf16 bits (a float's high half) of element 2q stay
            // on top, those of element 2q + 1 move to the low half.
            const __m512i idx_even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
            const __m512i idx_odd = _mm512_set_epi32(31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1);
            const __m512i even = _mm512_permutex2var_epi32(a, idx_even, b);
            const __m512i odd = _mm512_permutex2var_epi32(a, idx_odd, b);
            _mm512_storeu_si512(pt + p, _mm512_or_si512(_mm512_and_si512(even, hi_of_even), _mm512_srli_epi32(odd, 16)));
        }
        for (; p < ldp; ++p) {
            const std::uint32_t hi = bits(xt[2 * p]) & 0xffff0000u;
            const std::uint32_t lo = 2 * p + 1 < C_in ? bits(xt[2 * p + 1]) >> 16 : 0u;
            pt[p] = hi | lo;
        }
    }
}

GPT2_BF16 void columns_avx512(const PairProduct& a, int j0, int j1) {
    alignas(64) std::uint32_t panel[(kKBlock / 2 + 1) * kPanelCols];   // 33 KB
    int j = j0;
    for (; j + kPanelCols <= j1; j += kPanelCols) panel_columns<kPanelVecs>(a, j, panel);
    for (; j + kWidth <= j1; j += kWidth) panel_columns<1>(a, j, panel);
}

}  // namespace

void pack_rows(std::uint32_t* x_pairs, const float* x, int T, int C_in) { pack_rows_avx512(x_pairs, x, T, C_in); }
void columns(const PairProduct& a, int j0, int j1) { columns_avx512(a, j0, j1); }

#else

// Not x86-64: there is no vdpbf16ps, and matmul_half never calls the two below.
bool available() { return false; }
void pack_rows(std::uint32_t*, const float*, int, int) { __builtin_trap(); }
void columns(const PairProduct&, int, int) { __builtin_trap(); }

#endif

}  // namespace gpt2::kernels::bf16_pairs
