// The kernels alone, at GPT-2-124M sizes: matrix-vector (decode) and
// matrix-matrix (prefill) products, the logits product against wte, and a
// STREAM-like read of the same bytes as the roofline reference.
//
//   build/release/bin/bench_kernels --benchmark_filter=Matvec
//
// Counters: GB_per_s (bytes of the weight matrix read per second) for the
// memory-bound kernels, GFLOP_per_s for the compute-bound ones.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <bit>
#include <random>
#include <vector>

#include "huge_pages.hpp"
#include "kernels/attention.hpp"
#include "kernels/matmul.hpp"
#include "kernels/matmul_half.hpp"
#include "kernels/matmul_q8.hpp"
#include "kernels/matvec_panels.hpp"
#include "numeric/half.hpp"
#include "thread_pool.hpp"

namespace {

// Weights live in huge pages, as Model::load keeps them for decode
// (huge_pages.hpp): on 4 KB pages one core reads 15-20% slower.
template <typename T>
using HugeVector = std::vector<T, gpt2::HugePageAllocator<T>>;

HugeVector<float> huge_copy(const std::vector<float>& v) { return {v.begin(), v.end()}; }

std::vector<float> random_vector(std::size_t n) {
    std::mt19937 rng(42);
    std::normal_distribution<float> dist(0.0f, 0.02f);
    std::vector<float> v(n);
    for (float& x : v) x = dist(rng);
    return v;
}

// Sums a buffer larger than the caches: the read bandwidth a memory-bound
// kernel can hope for (split over the pool like the kernels).
void BM_StreamRead(benchmark::State& state) {
    const std::size_t n = 256u << 20 >> 2;   // 256 MB of floats
    const HugeVector<float> data(n, 1.0f);
    gpt2::ThreadPool pool(static_cast<int>(state.range(0)));
    std::vector<double> sums(static_cast<std::size_t>(pool.size()) * 8, 0.0);
    for (auto _ : state) {
        pool.parallel_for(static_cast<std::int64_t>(n), 1024, [&](std::int64_t b, std::int64_t e, int t) {
            float acc[16] = {};
            for (std::int64_t i = b; i + 16 <= e; i += 16)
                for (int k = 0; k < 16; ++k) acc[k] += data[static_cast<std::size_t>(i + k)];
            double s = 0;
            for (float a : acc) s += a;
            sums[static_cast<std::size_t>(t) * 8] = s;
        });
        benchmark::DoNotOptimize(sums.data());
    }
    state.counters["GB_per_s"] = benchmark::Counter(static_cast<double>(n) * 4 / 1e9,
                                                    benchmark::Counter::kIsIterationInvariantRate);
}

// x[1, C_in] · W[C_in, C_out]: decode's c_fc (768 → 3072) and c_proj (3072 → 768).
void BM_Matvec(benchmark::State& state) {
    const int C_in = static_cast<int>(state.range(0)), C_out = static_cast<int>(state.range(1));
    gpt2::ThreadPool pool(static_cast<int>(state.range(2)));
    // Several matrices, cycled, so that W is not in cache (like 12 layers).
    constexpr int kCopies = 8;
    std::vector<HugeVector<float>> w;
    for (int i = 0; i < kCopies; ++i) w.push_back(huge_copy(random_vector(static_cast<std::size_t>(C_in) * C_out)));
    const auto x = random_vector(static_cast<std::size_t>(C_in));
    const auto b = random_vector(static_cast<std::size_t>(C_out));
    std::vector<float> out(static_cast<std::size_t>(C_out));
    int i = 0;
    for (auto _ : state) {
        gpt2::kernels::matmul(out.data(), x.data(), w[static_cast<std::size_t>(i)].data(), b.data(), 1, C_in, C_out, pool);
        i = (i + 1) % kCopies;
        benchmark::DoNotOptimize(out.data());
    }
    state.counters["GB_per_s"] = benchmark::Counter(static_cast<double>(C_in) * C_out * 4 / 1e9,
                                                    benchmark::Counter::kIsIterationInvariantRate);
}

// Decode over column panels (kernels/matvec_panels.hpp, what Model::load
// gives decode): the BM_Matvec / BM_MatvecHalf shapes, F32 (format 0), BF16
// (1) or F16 (2), counting the bytes of the weights read.
void BM_MatvecPanels(benchmark::State& state) {
    const int C_in = static_cast<int>(state.range(0)), C_out = static_cast<int>(state.range(1));
    const int format = static_cast<int>(state.range(2));
    gpt2::ThreadPool pool(static_cast<int>(state.range(3)));
    const std::size_t elem = format == 0 ? 4 : 2;
    const auto n = static_cast<std::size_t>(gpt2::kernels::panel_elements(C_in, C_out));
    // Enough copies (≥ 100 MB) that the panels stream from memory, not from the L3.
    const int kCopies = std::max(8, static_cast<int>(100e6 / static_cast<double>(n * elem)));
    std::vector<HugeVector<float>> w32;
    std::vector<HugeVector<std::uint16_t>> w16;
    const auto w = random_vector(n);
    const std::uint16_t base = format == 1 ? 0x3c80 : 0x2400;   // ~0.02, as in BM_MatvecHalf
    for (int c = 0; c < kCopies; ++c) {
        if (format == 0) {
            w32.push_back(huge_copy(w));
        } else {
            w16.emplace_back(n);
            for (std::size_t i = 0; i < n; ++i) w16.back()[i] = static_cast<std::uint16_t>(base + (i * 37) % 64);
        }
    }
    const auto x = random_vector(static_cast<std::size_t>(C_in));
    const auto b = random_vector(static_cast<std::size_t>(C_out));
    std::vector<float> out(static_cast<std::size_t>(C_out));
    const auto half = format == 1 ? gpt2::kernels::Half::kBF16 : gpt2::kernels::Half::kF16;
    int i = 0;
    for (auto _ : state) {
        const auto c = static_cast<std::size_t>(i);
        if (format == 0) gpt2::kernels::matvec_panels(out.data(), x.data(), w32[c].data(), b.data(), C_in, C_out, pool);
        else gpt2::kernels::matvec_panels_half(out.data(), x.data(), w16[c].data(), half, b.data(), C_in, C_out, pool);
        i = (i + 1) % kCopies;
        benchmark::DoNotOptimize(out.data());
    }
    state.counters["GB_per_s"] = benchmark::Counter(static_cast<double>(C_in) * C_out * static_cast<double>(elem) / 1e9,
                                                    benchmark::Counter::kIsIterationInvariantRate);
}

// The 16-bit decode product (BF16 or F16 weights, widened in the kernel):
// the same shapes as BM_Matvec, counting the 2 bytes per weight read.
void BM_MatvecHalf(benchmark::State& state) {
    const int C_in = static_cast<int>(state.range(0)), C_out = static_cast<int>(state.range(1));
    const auto format = state.range(2) == 0 ? gpt2::kernels::Half::kBF16 : gpt2::kernels::Half::kF16;
    gpt2::ThreadPool pool(static_cast<int>(state.range(3)));
    // Enough copies (≥ 100 MB) that W streams from memory, not from the L3.
    const std::size_t n = static_cast<std::size_t>(C_in) * C_out;
    const int kCopies = std::max(8, static_cast<int>(100e6 / (2.0 * static_cast<double>(n))));
    // Weights of magnitude ~0.02 in either format (the exponent bits of
    // 0.0156 with a varying mantissa).
    const std::uint16_t base = format == gpt2::kernels::Half::kBF16 ? 0x3c80 : 0x2400;
    std::vector<HugeVector<std::uint16_t>> w(static_cast<std::size_t>(kCopies), HugeVector<std::uint16_t>(n));
    for (auto& m : w)
        for (std::size_t i = 0; i < n; ++i) m[i] = static_cast<std::uint16_t>(base + (i * 37) % 64);
    const auto x = random_vector(static_cast<std::size_t>(C_in));
    const auto b = random_vector(static_cast<std::size_t>(C_out));
    std::vector<float> out(static_cast<std::size_t>(C_out));
    int i = 0;
    for (auto _ : state) {
        gpt2::kernels::matmul_half(out.data(), x.data(), w[static_cast<std::size_t>(i)].data(), format, b.data(), 1,
                                   C_in, C_out, pool);
        i = (i + 1) % kCopies;
        benchmark::DoNotOptimize(out.data());
    }
    state.counters["GB_per_s"] = benchmark::Counter(static_cast<double>(n) * 2 / 1e9,
                                                    benchmark::Counter::kIsIterationInvariantRate);
}

// The q8 decode product: x[1, K] quantized, times Wq[N, K] with its block
// scales (quantized from random weights). Counts the bytes of Wq and scales.
void BM_MatvecQ8(benchmark::State& state) {
    const int K = static_cast<int>(state.range(0)), N = static_cast<int>(state.range(1));
    gpt2::ThreadPool pool(static_cast<int>(state.range(2)));
    // Enough copies (≥ 100 MB) that Wq streams from memory, not from the L3.
    const int kCopies = std::max(8, static_cast<int>(100e6 / (static_cast<double>(N) * K)));
    const int nb = K / gpt2::kernels::kQ8Block;
    std::vector<HugeVector<std::int8_t>> wq(static_cast<std::size_t>(kCopies),
                                           HugeVector<std::int8_t>(static_cast<std::size_t>(N) * K));
    std::vector<HugeVector<float>> ws(static_cast<std::size_t>(kCopies), HugeVector<float>(static_cast<std::size_t>(N) * nb));
    const auto w = random_vector(static_cast<std::size_t>(N) * K);
    for (int c = 0; c < kCopies; ++c)
        for (int n = 0; n < N; ++n)
            gpt2::kernels::quantize_q8_row(wq[static_cast<std::size_t>(c)].data() + static_cast<std::size_t>(n) * K,
                                           ws[static_cast<std::size_t>(c)].data() + static_cast<std::size_t>(n) * nb,
                                           w.data() + static_cast<std::size_t>(n) * K, K);
    const auto x = random_vector(static_cast<std::size_t>(K));
    std::vector<std::int8_t> xq(static_cast<std::size_t>(K));
    std::vector<float> xs(static_cast<std::size_t>(nb));
    gpt2::kernels::quantize_q8_row(xq.data(), xs.data(), x.data(), K);
    std::vector<float> out(static_cast<std::size_t>(N));
    int i = 0;
    for (auto _ : state) {
        const auto c = static_cast<std::size_t>(i);
        gpt2::kernels::matmul_q8(out.data(), xq.data(), xs.data(), wq[c].data(), ws[c].data(), nullptr, 1, K, N, pool);
        i = (i + 1) % kCopies;
        benchmark::DoNotOptimize(out.data());
    }
    state.counters["GB_per_s"] = benchmark::Counter(static_cast<double>(N) * K * 1.125 / 1e9,
                                                    benchmark::Counter::kIsIterationInvariantRate);
}

// The logits: x[1, 768] · wte[50257, 768]ᵀ.
void BM_LogitsDecode(benchmark::State& state) {
    const int C = 768, V = 50257;
    const bool half = state.range(0) == 1;   // 0: F32, 1: BF16
    gpt2::ThreadPool pool(static_cast<int>(state.range(1)));
    const auto w = huge_copy(random_vector(static_cast<std::size_t>(V) * C));
    HugeVector<std::uint16_t> w16(half ? w.size() : 0);
    for (std::size_t i = 0; i < w16.size(); ++i)
        w16[i] = static_cast<std::uint16_t>(std::bit_cast<std::uint32_t>(w[i]) >> 16);   // truncation: any bits do
    const auto x = random_vector(static_cast<std::size_t>(C));
    std::vector<float> out(static_cast<std::size_t>(V));
    for (auto _ : state) {
        if (half)
            gpt2::kernels::matmul_transposed_half(out.data(), x.data(), w16.data(), gpt2::kernels::Half::kBF16, 1, C,
                                                  V, pool);
        else
            gpt2::kernels::matmul_transposed(out.data(), x.data(), w.data(), 1, C, V, pool);
        benchmark::DoNotOptimize(out.data());
    }
    state.counters["GB_per_s"] = benchmark::Counter(static_cast<double>(V) * C * (half ? 2 : 4) / 1e9,
                                                    benchmark::Counter::kIsIterationInvariantRate);
}

// The logits of a small batch (`gpt2 compare`: 9 strategies decoded
// together, 8 once one has stopped): x[T, C] · wte[V, C]ᵀ, C = 192 (the
// bundled default model, an F16 checkpoint) and 768 (124M); wte in F32
// (dtype 0), BF16 (1) or F16 (2), in huge pages as the Model keeps it.
void BM_LogitsBatch(benchmark::State& state) {
    const int V = 50257;
    const int C = static_cast<int>(state.range(0));
    const int dtype = static_cast<int>(state.range(1));
    const int T = static_cast<int>(state.range(3));
    const bool half = dtype != 0;
    const auto kind = dtype == 1 ? gpt2::kernels::Half::kBF16 : gpt2::kernels::Half::kF16;
    gpt2::ThreadPool pool(static_cast<int>(state.range(2)));
    const HugeVector<float> w = huge_copy(random_vector(static_cast<std::size_t>(V) * C));
    HugeVector<std::uint16_t> w16(half ? w.size() : 0);
    for (std::size_t i = 0; i < w16.size(); ++i)
        w16[i] = dtype == 1 ? gpt2::numeric::f32_to_bf16(w[i]) : gpt2::numeric::f32_to_f16(w[i]);
    const auto x = random_vector(static_cast<std::size_t>(T) * C);
    std::vector<float> out(static_cast<std::size_t>(T) * V);
    for (auto _ : state) {
        if (half)
            gpt2::kernels::matmul_transposed_half(out.data(), x.data(), w16.data(), kind, T, C, V, pool);
        else
            gpt2::kernels::matmul_transposed(out.data(), x.data(), w.data(), T, C, V, pool);
        benchmark::DoNotOptimize(out.data());
    }
    state.counters["GFLOP_per_s"] = benchmark::Counter(2.0 * T * V * C / 1e9, benchmark::Counter::kIsIterationInvariantRate);
}

// x[T, C_in] · W[C_in, C_out] for prefill, W row-major (panels:0, matmul
// packs each block itself) or repacked in the decode panels (panels:1, the
// Model's path: kernels/matvec_panels.hpp). The iterations cycle through
// enough copies of W to exceed twice the L3 (64 MB), so W comes from memory,
// as in a forward pass over all the layers.
void BM_Matmul(benchmark::State& state) {
    const int T = static_cast<int>(state.range(0));
    const int C_in = static_cast<int>(state.range(1)), C_out = static_cast<int>(state.range(2));
    const bool panels = state.range(3) == 1;
    gpt2::ThreadPool pool(static_cast<int>(state.range(4)));
    const std::size_t n = static_cast<std::size_t>(C_in) * C_out;
    const std::size_t copies = std::max<std::size_t>(1, (std::size_t{64} << 20) / (n * sizeof(float)) + 1);
    std::vector<std::vector<float>> w(copies), w_panels(copies);
    for (std::size_t i = 0; i < copies; ++i) {
        w[i] = random_vector(n);
        if (!panels) continue;
        w_panels[i].resize(static_cast<std::size_t>(gpt2::kernels::panel_elements(C_in, C_out)));
        gpt2::kernels::pack_panels(w_panels[i].data(), w[i].data(), sizeof(float), C_in, C_out);
    }
    const auto x = random_vector(static_cast<std::size_t>(T) * C_in);
    std::vector<float> out(static_cast<std::size_t>(T) * C_out);
    std::size_t i = 0;
    for (auto _ : state) {
        gpt2::kernels::matmul(out.data(), x.data(), w[i].data(), nullptr, T, C_in, C_out, pool,
                              panels ? w_panels[i].data() : nullptr);
        benchmark::DoNotOptimize(out.data());
        i = (i + 1) % copies;
    }
    state.counters["GFLOP_per_s"] = benchmark::Counter(2.0 * T * C_in * C_out / 1e9,
                                                       benchmark::Counter::kIsIterationInvariantRate);
}

// Small batches (compare: 8-9 lanes) with F16 weights from the Model's
// decode panels, as BM_Matmul panels:1: x[T, C_in] · W[C_in, C_out], W
// cycling through copies past twice the L3 so it comes from memory.
void BM_MatmulHalfPanels(benchmark::State& state) {
    const int T = static_cast<int>(state.range(0));
    const int C_in = static_cast<int>(state.range(1)), C_out = static_cast<int>(state.range(2));
    gpt2::ThreadPool pool(static_cast<int>(state.range(3)));
    const std::size_t n = static_cast<std::size_t>(C_in) * C_out;
    const std::size_t copies = std::max<std::size_t>(1, (std::size_t{64} << 20) / (n * sizeof(std::uint16_t)) + 1);
    std::vector<std::vector<std::uint16_t>> w(copies), w_panels(copies);
    for (std::size_t i = 0; i < copies; ++i) {
        const auto wf = random_vector(n);
        w[i].resize(n);
        for (std::size_t e = 0; e < n; ++e) w[i][e] = gpt2::numeric::f32_to_f16(0.02f * wf[e]);
        w_panels[i].resize(static_cast<std::size_t>(gpt2::kernels::panel_elements(C_in, C_out)));
        gpt2::kernels::pack_panels(w_panels[i].data(), w[i].data(), sizeof(std::uint16_t), C_in, C_out);
    }
    const auto x = random_vector(static_cast<std::size_t>(T) * C_in);
    const auto b = random_vector(static_cast<std::size_t>(C_out));
    std::vector<float> out(static_cast<std::size_t>(T) * C_out);
    std::size_t i = 0;
    for (auto _ : state) {
        gpt2::kernels::matmul_half(out.data(), x.data(), w[i].data(), gpt2::kernels::Half::kF16, b.data(), T, C_in,
                                   C_out, pool, w_panels[i].data());
        benchmark::DoNotOptimize(out.data());
        i = (i + 1) % copies;
    }
    state.counters["GFLOP_per_s"] = benchmark::Counter(2.0 * T * static_cast<double>(n) / 1e9,
                                                       benchmark::Counter::kIsIterationInvariantRate);
}

// compare's layer products on the default model: 9 rows of x against a
// 16-bit W of kjv-small's shapes (192 -> 576 qkv, 768 -> 192 MLP down).
// W (~220-290 KB) stays in L2: this measures the small-batch sweep's
// arithmetic, not memory.
void BM_MatmulHalfBatch(benchmark::State& state) {
    const int T = 9;
    const int C_in = static_cast<int>(state.range(0)), C_out = static_cast<int>(state.range(1));
    gpt2::ThreadPool pool(static_cast<int>(state.range(2)));
    const std::size_t n = static_cast<std::size_t>(C_in) * C_out;
    std::vector<std::uint16_t> w(n);
    for (std::size_t i = 0; i < n; ++i) w[i] = static_cast<std::uint16_t>(0x2400 + (i * 37) % 64);   // F16 ~0.02
    const auto x = random_vector(static_cast<std::size_t>(T) * C_in);
    const auto b = random_vector(static_cast<std::size_t>(C_out));
    std::vector<float> out(static_cast<std::size_t>(T) * C_out);
    for (auto _ : state) {
        gpt2::kernels::matmul_half(out.data(), x.data(), w.data(), gpt2::kernels::Half::kF16, b.data(), T, C_in,
                                   C_out, pool);
        benchmark::DoNotOptimize(out.data());
    }
    state.counters["GFLOP_per_s"] = benchmark::Counter(2.0 * T * static_cast<double>(n) / 1e9,
                                                       benchmark::Counter::kIsIterationInvariantRate);
}

// Prefill products with 16-bit weights (GPT-2 124M's MLP shapes): BF16 takes
// the vdpbf16ps kernel where the CPU has AVX512_BF16, F16 the F16C-widening
// packed panels. GFLOP/s against the CPU's peak (docs/benchmarks.md).
void BM_MatmulHalf(benchmark::State& state) {
    const int T = static_cast<int>(state.range(0));
    const int C_in = static_cast<int>(state.range(1)), C_out = static_cast<int>(state.range(2));
    const auto h = state.range(3) == 0 ? gpt2::kernels::Half::kBF16 : gpt2::kernels::Half::kF16;
    gpt2::ThreadPool pool(static_cast<int>(state.range(4)));
    const std::size_t n = static_cast<std::size_t>(C_in) * C_out;
    std::vector<std::uint16_t> w(n);
    const auto wf = random_vector(n);
    for (std::size_t i = 0; i < n; ++i)
        w[i] = h == gpt2::kernels::Half::kBF16 ? gpt2::numeric::f32_to_bf16(0.02f * wf[i]) : gpt2::numeric::f32_to_f16(0.02f * wf[i]);
    const auto x = random_vector(static_cast<std::size_t>(T) * C_in);
    const auto b = random_vector(static_cast<std::size_t>(C_out));
    std::vector<float> out(static_cast<std::size_t>(T) * C_out);
    for (auto _ : state) {
        gpt2::kernels::matmul_half(out.data(), x.data(), w.data(), h, b.data(), T, C_in, C_out, pool);
        benchmark::DoNotOptimize(out.data());
    }
    state.counters["GFLOP_per_s"] = benchmark::Counter(2.0 * T * static_cast<double>(n) / 1e9,
                                                       benchmark::Counter::kIsIterationInvariantRate);
}

// Causal attention of T new queries over a cache of pos0 + T positions (12 heads
// of 64, head-major as KvCache keeps it).
void BM_Attention(benchmark::State& state) {
    const int T = static_cast<int>(state.range(0)), pos0 = static_cast<int>(state.range(1));
    const int NH = 12, HS = 64, C = NH * HS;
    gpt2::ThreadPool pool(static_cast<int>(state.range(2)));
    const auto q = random_vector(static_cast<std::size_t>(T) * C);
    const auto k = random_vector(static_cast<std::size_t>(pos0 + T) * C);
    const auto v = random_vector(static_cast<std::size_t>(pos0 + T) * C);
    std::vector<float> out(static_cast<std::size_t>(T) * C);
    for (auto _ : state) {
        gpt2::kernels::attention(out.data(), C, q.data(), C, k.data(), v.data(),
                                 gpt2::kernels::head_major(pos0 + T, HS), T, pos0, NH, HS, pool);
        benchmark::DoNotOptimize(out.data());
    }
}

// Decode attention as a 12-layer step meets it: one query over pos0 + 1
// cached positions, the 12 layers' caches visited in turn (2 × 3 MB each at
// context 1024, 72 MB in all), so that they stream from memory as in the
// model, where BM_Attention's single cache stays in the L3. Counts the bytes
// of keys and values read. rows:1 lays the caches out position-major
// (rows of heads side by side) instead of KvCache's head-major layout.
// HS:64 is GPT-2 124M (12 heads, 12 layers); HS:32 the bundled default
// model (6 heads, 6 layers, caches of its n_ctx 256 positions as a Session
// keeps them), at the short contexts of `gpt2 compare`, whose `lanes`
// sequences (9) each have their own caches, visited lane by lane within a
// layer as the batched pass does.
void BM_AttentionLayers(benchmark::State& state) {
    const int pos0 = static_cast<int>(state.range(0));
    const bool f16 = state.range(2) == 1;   // the cache as binary16 (attention_f16)
    const bool rows = state.range(3) == 1;
    const int HS = static_cast<int>(state.range(4));
    const int lanes = static_cast<int>(state.range(5));
    const int NH = HS == 32 ? 6 : 12, C = NH * HS, kLayers = NH;
    const int capacity = HS == 32 ? std::max(256, pos0 + 1) : pos0 + 1;
    gpt2::ThreadPool pool(static_cast<int>(state.range(1)));
    const auto q = random_vector(static_cast<std::size_t>(C));
    std::vector<std::vector<float>> k, v;
    std::vector<std::vector<std::uint16_t>> k16, v16;
    const std::size_t n = static_cast<std::size_t>(capacity) * C;
    for (int l = 0; l < kLayers * lanes; ++l) {
        k.push_back(random_vector(n));
        v.push_back(random_vector(n));
        if (f16) {
            k16.emplace_back(n);
            v16.emplace_back(n);
            gpt2::kernels::narrow_to_f16(k16.back().data(), k.back().data(), static_cast<std::int64_t>(n));
            gpt2::kernels::narrow_to_f16(v16.back().data(), v.back().data(), static_cast<std::int64_t>(n));
            k.back() = {};
            v.back() = {};
        }
    }
    std::vector<float> out(static_cast<std::size_t>(C));
    const gpt2::kernels::KvLayout layout =
        rows ? gpt2::kernels::position_major(C, HS) : gpt2::kernels::head_major(capacity, HS);
    int l = 0;
    for (auto _ : state) {
        const auto i = static_cast<std::size_t>(l);
        if (f16)
            gpt2::kernels::attention_f16(out.data(), C, q.data(), C, k16[i].data(), v16[i].data(), layout, 1, pos0, NH,
                                         HS, pool);
        else gpt2::kernels::attention(out.data(), C, q.data(), C, k[i].data(), v[i].data(), layout, 1, pos0, NH, HS, pool);
        l = (l + 1) % (kLayers * lanes);
        benchmark::DoNotOptimize(out.data());
    }
    state.counters["GB_per_s"] = benchmark::Counter(2.0 * (pos0 + 1) * C * (f16 ? 2 : 4) / 1e9,
                                                    benchmark::Counter::kIsIterationInvariantRate);
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
// The compute roofline of one core: 12 independent 512-bit vfmadd231ps
// (F32: 32 flops each) or vdpbf16ps (BF16 pairs: 64 flops each) per loop
// iteration on registers only, written in assembly so that the compiler
// can neither merge the chains nor spill them. BM_Matmul / BM_MatmulHalf
// report their GFLOP/s against these (docs/benchmarks.md).
void BM_PeakFlops(benchmark::State& state) {
    const bool bf16 = state.range(0) == 1;
    if (!__builtin_cpu_supports("avx512f") || (bf16 && !__builtin_cpu_supports("avx512bf16"))) {
        state.SkipWithError("needs AVX-512 (and AVX512_BF16 for the bf16 loop)");
        return;
    }
    constexpr long kIterations = 1 << 20;
    for (auto _ : state) {
        long n = kIterations;
#define GPT2_TWELVE(op)                                                                                      \
    op " %%zmm0, %%zmm1, %%zmm2\n" op " %%zmm0, %%zmm1, %%zmm3\n" op " %%zmm0, %%zmm1, %%zmm4\n" op          \
       " %%zmm0, %%zmm1, %%zmm5\n" op " %%zmm0, %%zmm1, %%zmm6\n" op " %%zmm0, %%zmm1, %%zmm7\n" op            \
       " %%zmm0, %%zmm1, %%zmm8\n" op " %%zmm0, %%zmm1, %%zmm9\n" op " %%zmm0, %%zmm1, %%zmm10\n" op           \
       " %%zmm0, %%zmm1, %%zmm11\n" op " %%zmm0, %%zmm1, %%zmm12\n" op " %%zmm0, %%zmm1, %%zmm13\n"
        if (bf16)
            __asm__ volatile("vpxord %%zmm0, %%zmm0, %%zmm0\n vpxord %%zmm1, %%zmm1, %%zmm1\n"
                             "1:\n" GPT2_TWELVE("vdpbf16ps") "dec %0\n jnz 1b\n"
                             : "+r"(n)::"xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8",
                               "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "cc");
        else
            __asm__ volatile("vpxord %%zmm0, %%zmm0, %%zmm0\n vpxord %%zmm1, %%zmm1, %%zmm1\n"
                             "1:\n" GPT2_TWELVE("vfmadd231ps") "dec %0\n jnz 1b\n"
                             : "+r"(n)::"xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8",
                               "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "cc");
#undef GPT2_TWELVE
    }
    const double flops_per_iteration = 12.0 * (bf16 ? 64 : 32);
    state.counters["GFLOP_per_s"] = benchmark::Counter(kIterations * flops_per_iteration / 1e9,
                                                       benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_PeakFlops)->ArgName("bf16")->Arg(0)->Arg(1)->UseRealTime();
#endif

}  // namespace

BENCHMARK(BM_StreamRead)->ArgName("threads")->Arg(1)->Arg(2)->UseRealTime();
BENCHMARK(BM_Matvec)->ArgNames({"C_in", "C_out", "threads"})
    ->ArgsProduct({{768}, {2304, 3072}, {1, 2}})->Args({3072, 768, 1})->Args({3072, 768, 2})->UseRealTime();
BENCHMARK(BM_MatvecHalf)->ArgNames({"C_in", "C_out", "bf16_f16", "threads"})
    ->ArgsProduct({{768}, {2304, 3072}, {0, 1}, {1, 2}})->ArgsProduct({{3072}, {768}, {0, 1}, {1, 2}})->UseRealTime();
BENCHMARK(BM_MatvecPanels)->ArgNames({"C_in", "C_out", "format", "threads"})
    ->ArgsProduct({{768}, {2304, 3072}, {0, 1, 2}, {1, 2}})->ArgsProduct({{3072}, {768}, {0, 1, 2}, {1, 2}})->UseRealTime();
BENCHMARK(BM_MatvecQ8)->ArgNames({"K", "N", "threads"})
    ->ArgsProduct({{768}, {2304, 3072}, {1, 2}})->Args({3072, 768, 1})->Args({3072, 768, 2})->UseRealTime();
BENCHMARK(BM_LogitsDecode)->ArgNames({"bf16", "threads"})->ArgsProduct({{0, 1}, {1, 2}})->UseRealTime();
BENCHMARK(BM_LogitsBatch)->ArgNames({"C", "dtype", "threads", "T"})
    ->ArgsProduct({{192, 768}, {0, 1, 2}, {1, 2}, {9}})->ArgsProduct({{192, 768}, {2}, {1}, {8}})
    ->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Matmul)->ArgNames({"T", "C_in", "C_out", "panels", "threads"})
    ->ArgsProduct({{2, 3, 4, 5, 9, 16}, {768}, {3072}, {0, 1}, {1, 2}})
    ->ArgsProduct({{128, 512}, {768}, {3072}, {0, 1}, {1, 2}})
    ->ArgsProduct({{128}, {768}, {2304, 768}, {0, 1}, {1}})
    ->ArgsProduct({{128}, {3072}, {768}, {0, 1}, {1}})
    ->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_MatmulHalfPanels)->ArgNames({"T", "C_in", "C_out", "threads"})
    ->ArgsProduct({{8, 9}, {768}, {3072}, {1, 2}})->ArgsProduct({{8, 9}, {3072}, {768}, {1}})
    ->ArgsProduct({{8, 9}, {192}, {576, 768}, {1}})->ArgsProduct({{8, 9}, {768}, {192}, {1}})->UseRealTime();
BENCHMARK(BM_MatmulHalfBatch)->ArgNames({"C_in", "C_out", "threads"})
    ->Args({192, 576, 1})->Args({768, 192, 1})->Args({192, 576, 2})->Args({768, 192, 2})->UseRealTime();
BENCHMARK(BM_MatmulHalf)->ArgNames({"T", "C_in", "C_out", "bf16_f16", "threads"})
    ->ArgsProduct({{128, 512}, {768}, {3072}, {0, 1}, {1, 2}})->Args({512, 3072, 768, 0, 1})
    ->Args({512, 3072, 768, 1, 1})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_AttentionLayers)
    ->ArgNames({"pos0", "threads", "f16", "rows", "HS", "lanes"})
    ->ArgsProduct({{511, 1023}, {1, 2}, {0, 1}, {0, 1}, {64}, {1}})
    ->ArgsProduct({{15, 39, 127}, {1}, {0, 1}, {0}, {64}, {1}})
    ->ArgsProduct({{15, 39, 127, 254}, {1}, {0, 1}, {0, 1}, {32}, {1, 9}})
    ->UseRealTime();
BENCHMARK(BM_Attention)->ArgNames({"T", "pos0", "threads"})
    ->ArgsProduct({{1}, {127, 1023}, {1, 2}})->Args({512, 0, 1})->Args({512, 0, 2})->UseRealTime();
