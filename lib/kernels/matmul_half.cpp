#include "kernels/matmul_half.hpp"

#include <cstdint>
#include <cstring>
#include <vector>

#include "kernels/cpu.hpp"
#include "kernels/streams.hpp"
#include "kernels/f32_kernels.hpp"
#include "kernels/matmul_bf16_pairs.hpp"
#include "kernels/matvec_panels.hpp"
#include "numeric/half.hpp"
#include "thread_pool.hpp"

#include "kernels/target.hpp"
#if defined(__x86_64__)
#include "kernels/keep_in_register.hpp"
#include "kernels/reduce_tree.hpp"
#endif

namespace gpt2::kernels {

namespace {

using f32::kPrefetchRows;
using f32::prefetch_rows;
constexpr int kLineHalves = f32::kLineElems<std::uint16_t>;

// A k-block of the prefill path (as kernels/f32_kernels.inc): a panel of columns
// × kKBlock rows of w stays in L2 while the row tiles of x pass by; from
// the decode panels, blocks of f32::kPanelKBlock rows.
constexpr int kKBlock = 256;
using f32::kPanelKBlock;

struct HalfArgs {
    float* out;
    const float* x;
    const std::uint16_t* w;
    const float* bias;
    int T, C_in, C_out;
    float* sweep_buf;   // T · C_out floats: the sweep's partial sums when T > 1
    const std::uint16_t* panels;   // w in column panels (matvec_panels.hpp), or nullptr
};

struct HalfDotArgs {
    float* out;
    const float* x;
    const std::uint16_t* w;
    int T, C, N;
};

// One lane, exact: the tails of every ISA and the whole scalar fallback.
// Tile sizes as the scalar level of kernels/f32_kernels.inc.
struct Scalar {
    using Reg = float;
    static constexpr int kWidth = 1, kTileRows = 4, kTileVecs = 1;
    static constexpr int kDotRows = 2, kDotCols = 4, kDotDecodeStreams = 2;
    static constexpr int kSweepGroup = 4, kDecodeSweepRows = 4;
    static Reg load(const float* p) { return *p; }
    static Reg zero() { return 0.0f; }
    static Reg set1(float x) { return x; }
    static void store(float* p, Reg v) { *p = v; }
    static Reg fma(Reg a, Reg b, Reg c) { return __builtin_fmaf(a, b, c); }
    static float reduce_add(Reg a) { return a; }
    static Reg reduce_add_each(const Reg (&a)[1]) { return a[0]; }
    template <Half H>
    static Reg load_half(const std::uint16_t* p) {
        if constexpr (H == Half::kBF16) {
            const std::uint32_t bits = static_cast<std::uint32_t>(*p) << 16;
            float f;
            std::memcpy(&f, &bits, sizeof f);
            return f;
        } else {
            return numeric::f16_to_f32(*p);
        }
    }
};

namespace scalar_isa {
#define GPT2_TGT
using VT = Scalar;
#include "kernels/matmul_half_impl.inc"
#undef GPT2_TGT
}  // namespace scalar_isa

#if defined(__x86_64__)
// 8 lanes; reduce_add is simd.hpp's AVX2 tree (same bits as simd::dot there).
struct Avx2 {
    using Reg = __m256;
    static constexpr int kWidth = 8, kTileRows = 4, kTileVecs = 2;
    static constexpr int kDotRows = 2, kDotCols = 4, kDotDecodeStreams = 2;
    static constexpr int kSweepGroup = 4;   // 8 w + 4 sums + a broadcast of 16 registers
    static constexpr int kDecodeSweepRows = 4;
    GPT2_AVX2 static Reg load(const float* p) { return _mm256_loadu_ps(p); }
    GPT2_AVX2 static Reg zero() { return _mm256_setzero_ps(); }
    GPT2_AVX2 static Reg set1(float x) { return _mm256_set1_ps(x); }
    GPT2_AVX2 static void store(float* p, Reg v) { _mm256_storeu_ps(p, v); }
    GPT2_AVX2 static Reg fma(Reg a, Reg b, Reg c) { return _mm256_fmadd_ps(a, b, c); }
    GPT2_AVX2 static float reduce_add(Reg a) {
        const __m128 q = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
        const __m128 d = _mm_add_ps(q, _mm_movehl_ps(q, q));
        return _mm_cvtss_f32(_mm_add_ss(d, _mm_movehdup_ps(d)));
    }
    GPT2_AVX2 static Reg reduce_add_each(const Reg (&a)[8]) { return tree::add_each(a); }
    GPT2_AVX2 static void store_fours(float* dst, std::int64_t stride, Reg v) { tree::store_fours(dst, stride, v); }
    template <Half H>
    GPT2_AVX2 static Reg load_half(const std::uint16_t* p) {
        const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
        if constexpr (H == Half::kBF16) return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
        else return _mm256_cvtph_ps(h);
    }
};

// 16 lanes; reduce_add is simd.hpp's AVX-512 tree.
struct Avx512 {
    using Reg = __m512;
    static constexpr int kWidth = 16, kTileRows = 6, kTileVecs = 4;
    // kDotRows 5: 5 × 4 accumulators + 5 x + 1 w vectors; compare's 9 rows
    // take two tiles (5 + 4) instead of three (4 + 4 + 1).
    // Decode logits: a thread's rows of wte in 4 equal parts, one row of
    // each per tile: four sequential streams. Eight adjacent rows
    // interleaved streamed at 9.5-10 GB/s on one Zen 4 thread, one row
    // after the other (32 ahead) at 13-17, four parts at 17.5-20
    // (bench_kernels BM_LogitsDecode bf16; gpt2 bench F16 tg64 one thread
    // 68-70 -> 81-85 tok/s in A/B rounds; kernels/f32_kernels.inc
    // kDotDecodeStreams; the decode logits have no software prefetch, see
    // dot_columns there).
    static constexpr int kDotRows = 5, kDotCols = 4, kDotDecodeStreams = 4;
    static constexpr int kSweepGroup = 5;   // 8 w + 5 sums; 9 rows: 5 + 4
    // Decode sweeps 8 rows of w per pass over out (4 before): on a Zen 4
    // the 768-row products (qkv, c_fc) went from 11-15 to 15-17 GB/s on
    // one thread (bench_kernels BM_MatvecHalf, 4 interleaved runs); c_proj
    // (3072 × 768) stayed at 9-11.
    static constexpr int kDecodeSweepRows = 8;
    GPT2_AVX512 static Reg load(const float* p) { return _mm512_loadu_ps(p); }
    GPT2_AVX512 static Reg zero() { return _mm512_setzero_ps(); }
    GPT2_AVX512 static Reg set1(float x) { return _mm512_set1_ps(x); }
    GPT2_AVX512 static void store(float* p, Reg v) { _mm512_storeu_ps(p, v); }
    GPT2_AVX512 static Reg fma(Reg a, Reg b, Reg c) { return _mm512_fmadd_ps(a, b, c); }
    GPT2_AVX512 static float reduce_add(Reg a) {
        const __m256 h = _mm256_add_ps(_mm512_castps512_ps256(a),
                                       _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(a), 1)));
        const __m128 q = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
        const __m128 d = _mm_add_ps(q, _mm_movehl_ps(q, q));
        return _mm_cvtss_f32(_mm_add_ss(d, _mm_movehdup_ps(d)));
    }
    GPT2_AVX512 static Reg reduce_add_each(const Reg (&a)[16]) { return tree::add_each(a); }
    GPT2_AVX512 static void store_fours(float* dst, std::int64_t stride, Reg v) { tree::store_fours(dst, stride, v); }
    GPT2_AVX512 static void store_four_sums(float* dst, const Reg (&a)[4]) { _mm_storeu_ps(dst, tree::add_four(a)); }
    template <Half H>
    GPT2_AVX512 static Reg load_half(const std::uint16_t* p) {
        const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
        if constexpr (H == Half::kBF16) return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
        else return _mm512_cvtph_ps(h);
    }
};

namespace avx2_isa {
#define GPT2_TGT GPT2_AVX2
using VT = Avx2;
#include "kernels/matmul_half_impl.inc"
#undef GPT2_TGT
}  // namespace avx2_isa

namespace avx512_isa {
#define GPT2_TGT GPT2_AVX512
using VT = Avx512;
#include "kernels/matmul_half_impl.inc"
#undef GPT2_TGT
}  // namespace avx512_isa
#endif

using ColumnsFn = void (*)(const HalfArgs&, int, int);
using DotFn = void (*)(const HalfDotArgs&, int, int);
using WidenFn = void (*)(float*, const std::uint16_t*, std::int64_t);

// The kernel set of one instruction set, for both 16-bit formats.
template <Half H>
struct KernelSet {
    ColumnsFn sweep, prefill;   // T ≤ f32::kSweepMaxRows, and longer
    DotFn dot;
    WidenFn widen;
    int width;
};

template <Half H>
KernelSet<H> kernels_for(cpu::Isa isa) {
    switch (isa) {
#if defined(__x86_64__)
        case cpu::Isa::kAvx512:
            return {&avx512_isa::columns_sweep<H>, &avx512_isa::columns_prefill<H>, &avx512_isa::dot_columns<H>,
                    &avx512_isa::widen<H>, Avx512::kWidth};
        case cpu::Isa::kAvx2:
            return {&avx2_isa::columns_sweep<H>, &avx2_isa::columns_prefill<H>, &avx2_isa::dot_columns<H>,
                    &avx2_isa::widen<H>, Avx2::kWidth};
#endif
        default:
            return {&scalar_isa::columns_sweep<H>, &scalar_isa::columns_prefill<H>, &scalar_isa::dot_columns<H>,
                    &scalar_isa::widen<H>, 1};
    }
}

// BF16 prefill with AVX512_BF16: vdpbf16ps on the 16-column vectors, the
// last (C_out mod 16) columns by the AVX-512 kernel (same bits).
void bf16_pairs_prefill(const HalfArgs& a, const std::uint32_t* x_pairs, ThreadPool& pool) {
    const bf16_pairs::PairProduct p{a.out, a.x, x_pairs, a.w, a.bias, a.T, a.C_in, a.C_out, a.panels};
    const std::int64_t work = std::int64_t{a.T} * a.C_in * a.C_out;
    pool.parallel_for(a.C_out, 64, work, [&](std::int64_t j0, std::int64_t j1, int) {
        const int jv = static_cast<int>(j0 + (j1 - j0) / 16 * 16);
        bf16_pairs::columns(p, static_cast<int>(j0), jv);
#if defined(__x86_64__)
        if (jv < j1) avx512_isa::columns_prefill<Half::kBF16>(a, jv, static_cast<int>(j1));
#endif
    });
}

template <Half H>
void matmul_impl(const HalfArgs& a, ThreadPool& pool) {
    const bool sweep = f32::takes_sweep(a.T, a.panels != nullptr);
    if constexpr (H == Half::kBF16) {
        if (!sweep && bf16_pairs::available()) {
            thread_local std::vector<std::uint32_t> x_pairs;
            const std::size_t need = static_cast<std::size_t>(a.T) * static_cast<std::size_t>(bf16_pairs::pairs(a.C_in));
            if (x_pairs.size() < need) x_pairs.resize(need);
            bf16_pairs::pack_rows(x_pairs.data(), a.x, a.T, a.C_in);
            return bf16_pairs_prefill(a, x_pairs.data(), pool);
        }
    }
    const KernelSet<H> k = kernels_for<H>(cpu::active());
    const ColumnsFn fn = sweep ? k.sweep : k.prefill;
    // Partition boundaries only affect speed: each element's operation
    // sequence does not depend on the tile it falls in.
    const std::int64_t grain = sweep ? k.width : 4 * k.width;
    const std::int64_t work = std::int64_t{a.T} * a.C_in * a.C_out;   // multiply-adds (see ThreadPool::kMinChunkWork)
    pool.parallel_for(a.C_out, grain, work, [&](std::int64_t j0, std::int64_t j1, int) {
        fn(a, static_cast<int>(j0), static_cast<int>(j1));
    });
}

template <Half H>
void dot_impl(const HalfDotArgs& a, ThreadPool& pool) {
    const DotFn fn = kernels_for<H>(cpu::active()).dot;
    const std::int64_t work = std::int64_t{a.T} * a.C * a.N;   // multiply-adds
    pool.parallel_for(a.N, 8, work, [&](std::int64_t n0, std::int64_t n1, int) {
        fn(a, static_cast<int>(n0), static_cast<int>(n1));
    });
}

}  // namespace

const float* rounded_to_bf16(const float* x, std::int64_t n) {
    thread_local std::vector<float> buf;
    if (buf.size() < static_cast<std::size_t>(n)) buf.resize(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) buf[static_cast<std::size_t>(i)] = numeric::round_to_bf16_flush_subnormals(x[i]);
    return buf.data();
}

void matmul_half(float* out, const float* x, const std::uint16_t* w, Half h, const float* bias, int T, int C_in,
                 int C_out, ThreadPool& pool, const std::uint16_t* panels) {
    float* sweep_buf = f32::takes_sweep(T, panels != nullptr) ? f32::sweep_buffer(T, C_out) : nullptr;
    HalfArgs a{out, x, w, bias, T, C_in, C_out, sweep_buf, panels};
    if (h == Half::kBF16) {
        a.x = rounded_to_bf16(x, std::int64_t{T} * C_in);
        matmul_impl<Half::kBF16>(a, pool);
    } else {
        matmul_impl<Half::kF16>(a, pool);
    }
}

void matmul_transposed_half(float* out, const float* x, const std::uint16_t* w, Half h, int T, int C, int N,
                            ThreadPool& pool) {
    const HalfDotArgs a{out, x, w, T, C, N};
    if (h == Half::kBF16) dot_impl<Half::kBF16>(a, pool);
    else dot_impl<Half::kF16>(a, pool);
}

void widen_half(float* dst, const std::uint16_t* src, Half h, std::int64_t n) {
    if (h == Half::kBF16) kernels_for<Half::kBF16>(cpu::active()).widen(dst, src, n);
    else kernels_for<Half::kF16>(cpu::active()).widen(dst, src, n);
}

}  // namespace gpt2::kernels
