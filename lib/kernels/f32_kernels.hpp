#pragma once
// The F32 kernels of one instruction-set level, as a table of plain
// functions. kernels/f32_kernels.inc holds their code, written once;
// f32_scalar.cpp, f32_avx2.cpp and f32_avx512.cpp compile it three times
// with per-file -m flags (lib/CMakeLists.txt) and GPT2_SIMD_LEVEL, each into
// its own namespace. The public kernels (matmul.cpp, attention.cpp,
// layer_norm.cpp, softmax.cpp, gelu.cpp, residual.cpp) look the table up once
// per call with kernels::cpu::active() and keep the thread pool and the
// scratch buffers on their side, so the per-level translation units contain
// kernel code only (no std templates whose out-of-line copies could merge
// across levels at link time).
//
// Why whole translation units per level rather than target attributes (as
// matmul_half.cpp does): the F32 kernels are written on kernels/simd.hpp's
// Vec type with free operators and templates (simd::exp); a per-file -m flag
// gives every one of those inline functions the level's instructions without
// annotating each, and keeps the code identical to the single-width version
// it replaces (same bits at each level).
#include <cstdint>

#include "kernels/cpu.hpp"

namespace gpt2::kernels::f32 {

// matmul (see matmul.hpp): out [T, C_out] = x [T, C_in] · w [C_in, C_out] + bias.
struct MatmulArgs {
    float* out;
    const float* x;
    const float* w;
    const float* bias;
    int T, C_in, C_out;
    // w repacked in column panels (kernels/matvec_panels.hpp), or nullptr.
    const float* panels;
    // The sweep with T > 1 accumulates in this buffer of T · C_out floats
    // (column-major by vector, see matmul_sweep), then copies to out.
    float* sweep_buf;
};

// matmul_transposed: out [T, N] = x [T, C] · w [N, C]ᵀ.
struct DotArgs {
    float* out;
    const float* x;
    const float* w;
    int T, C, N;
};

// attention (see attention.hpp), the per-call constants.
struct AttentionArgs {
    float* out;
    int out_stride;
    const float* q;
    int q_stride;
    // The cache: k and v for an F32 cache, k_f16 and v_f16 (binary16) for
    // an F16 one (attend_f16); the other pair is null. Head h of position p
    // at h · kv_head_stride + p · kv_stride (attention.hpp).
    const float* k;
    const float* v;
    const std::uint16_t* k_f16;
    const std::uint16_t* v_f16;
    std::int64_t kv_stride;
    std::int64_t kv_head_stride;
    int pos0, HS;
    float scale;
};

// Without the panel copy (MatmulArgs::panels), products with at most this
// many rows of x take the sweep over rows of w (w read once, contiguously);
// more rows take the packed panels. All give the same bits.
inline constexpr int kSweepMaxRows = 16;

// Whether a T-row product takes the sweep (F32 and 16-bit alike). With the
// panel copy every T ≥ 2 takes the register tiles over the panels instead:
// they read sequential runs and beat the sweep at every batch size
// (bench_kernels BM_Matmul 768 × 3072, one thread, T = 2 / 5 / 9 / 16:
// 20 / 43 / 63 / 84 GFLOP/s -> 32 / 71-76 / 78 / 88).
inline bool takes_sweep(int T, bool has_panels) { return T <= kSweepMaxRows && !has_panels; }

// Rows of w per k-block when the tiles read the panels (four panels × 32 KB
// in L2 for F32 on AVX-512). GPT-2 124M F32 prefill, one thread, gpt2 bench
// pp128 / pp512: 128 rows 561-567 / 525 tok/s, 256 rows 581-587 / 540-544,
// 512 rows 597-598 / 550-553, 768 rows 590-605 / 546-554.
inline constexpr int kPanelKBlock = 512;

// The sweeps over rows of w prefetch, in software, the rows this far ahead of
// the group of rows they multiply (one prefetch per cache line). The hardware
// prefetchers alone follow the sweep's several interleaved row streams
// poorly when the rows are short: measured on bench_kernels BM_Matvec /
// BM_MatvecHalf, c_proj's 3072 × 768 decode product (1.5-3 KB rows) rose
// from 6.8 to ~9 GB/s in BF16 on one thread (the probe's rate) and from
// 10.3 to ~12 GB/s on two; the long-row shapes gain little and lose nothing.
inline constexpr int kPrefetchRows = 8;

// Elements of type T per 64-byte cache line: one prefetch per line.
template <typename T>
inline constexpr int kLineElems = 64 / static_cast<int>(sizeof(T));

// Prefetches (for reading, into all cache levels) the cache line at p in each
// of R rows `stride` elements apart.
template <int R, typename T>
inline void prefetch_rows(const T* p, std::int64_t stride) {
    for (int r = 0; r < R; ++r) __builtin_prefetch(p + r * stride, 0, 3);
}

// The buffer of the sweep's partial sums for a T-row product with C_out
// columns (T · C_out floats when 2 ≤ T ≤ kSweepMaxRows, else none needed):
// one per calling thread, grown as needed and never shrunk, so decode
// allocates nothing. Shared by the F32 and 16-bit products.
float* sweep_buffer(int T, int C_out);

struct Kernels {
    cpu::Isa isa;
    int width;            // floats per vector
    int prefill_grain;    // columns per prefill panel (parallel_for grain)
    int dot_grain;        // rows of w per logits tile (parallel_for grain)
    // Columns [j0, j1) of every row: the sweep over rows of w for decode and
    // small batches (T ≤ kSweepMaxRows), the packed panels above.
    void (*matmul_sweep)(const MatmulArgs& a, int j0, int j1);
    void (*matmul_prefill)(const MatmulArgs& a, int j0, int j1);
    // Rows [n0, n1) of w against every row of x.
    void (*dot_columns)(const DotArgs& a, int n0, int n1);
    // Query t, heads [h0, h1); scores: scratch of (pos0 + t + 1)·(h1 - h0) floats.
    // Heads side by side in a row (kv_head_stride == HS) are swept together
    // position by position; head-major heads take their scores head by head
    // and their weighted sums in blocks of heads. The bits are the same.
    void (*attend)(const AttentionArgs& a, int t, int h0, int h1, float* scores);
    // Queries [t0, t0 + R), R ≤ query_block, head h, the same bits per query
    // as attend(); scores: scratch of R · (pos0 + t0 + R) floats.
    void (*attend_queries)(const AttentionArgs& a, int t0, int R, int h, float* scores);
    int query_block;
    // attend() over an F16 cache (k_f16, v_f16): the same bits as attend()
    // over an F32 cache holding the widened values.
    void (*attend_f16)(const AttentionArgs& a, int t, int h0, int h1, float* scores);
    // rows × width binary16 values (rows src_stride apart) widened into dst
    // (rows dst_stride apart); exact.
    void (*widen_f16_rows)(float* dst, std::int64_t dst_stride, const std::uint16_t* src, std::int64_t src_stride,
                           int rows, int width);
    // n floats rounded to binary16, to nearest, ties to even.
    void (*narrow_to_f16)(std::uint16_t* dst, const float* src, std::int64_t n);
    void (*layer_norm)(float* out, const float* x, const float* weight, const float* bias, int T, int C, float eps);
    void (*softmax)(float* out, const float* x, int n);
    void (*gelu)(float* out, const float* x, std::int64_t n);
    void (*residual_add)(float* x, const float* y, std::int64_t n);
    // The sum of n floats, in an order of the level's choosing: the loop of
    // the read-bandwidth probe (read_bandwidth.hpp), not a numeric kernel.
    float (*read_sum)(const float* p, std::int64_t n);
};

// One table per level (defined in f32_<level>.cpp); the AVX tables exist only
// on x86-64.
const Kernels& kernels_scalar();
const Kernels& kernels_avx2();
const Kernels& kernels_avx512();

// The table of `isa` (kernels::cpu::active() for the kernels' calls).
const Kernels& kernels_for(cpu::Isa isa);
inline const Kernels& active() { return kernels_for(cpu::active()); }

}  // namespace gpt2::kernels::f32
