// The weight-format kernels (16-bit and q8) against their naive twins
// (lib/kernels/reference.cpp) over sizes with remainders, on every
// instruction set this CPU supports (kernels::cpu::set_active), plus their
// exactness contracts: 16-bit equals the F32 kernel on the widened matrix
// bit for bit; q8 is bit-identical across instruction sets, thread counts
// and T.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "kernels/cpu.hpp"
#include "kernels/matmul.hpp"
#include "kernels/matmul_bf16_pairs.hpp"
#include "kernels/matmul_half.hpp"
#include "kernels/matmul_q8.hpp"
#include "kernels/matvec_panels.hpp"
#include "kernels/reference.hpp"
#include "numeric/half.hpp"
#include "support/isa.hpp"
#include "thread_pool.hpp"

namespace gpt2::kernels {
namespace {

std::vector<float> random_vector(std::size_t n, unsigned seed, float scale = 1.0f) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> dist(0.0f, scale);
    std::vector<float> v(n);
    for (float& x : v) x = dist(rng);
    return v;
}

std::vector<std::uint16_t> to_half(const std::vector<float>& v, Half h) {
    std::vector<std::uint16_t> out(v.size());
    if (h == Half::kBF16) numeric::f32_to_bf16(v.data(), out.data(), v.size());
    else numeric::f32_to_f16(v.data(), out.data(), v.size());
    return out;
}

std::vector<float> widened(const std::vector<std::uint16_t>& v, Half h) {
    std::vector<float> out(v.size());
    if (h == Half::kBF16) numeric::bf16_to_f32(v.data(), out.data(), v.size());
    else numeric::f16_to_f32(v.data(), out.data(), v.size());
    return out;
}

using test::IsaScope;
std::vector<cpu::Isa> isas() { return test::available_isas(); }

TEST(KernelFormats, CpuLevelsAreOrderedAndCapped) {
    EXPECT_LE(static_cast<int>(cpu::active()), static_cast<int>(cpu::detected()));
    IsaScope scope(cpu::Isa::kScalar);
    EXPECT_EQ(cpu::active(), cpu::Isa::kScalar);
    EXPECT_FALSE(cpu::has_avx512_vnni());
    EXPECT_STREQ(q8_kernel_name(), "scalar");
    cpu::set_active(cpu::Isa::kAvx512);
    EXPECT_EQ(cpu::active(), cpu::detected());
}

TEST(KernelFormats, WidenHalfIsExact) {
    for (Half h : {Half::kF16, Half::kBF16}) {
        // Every bit pattern, so subnormals, infinities and NaNs included.
        std::vector<std::uint16_t> all(65536);
        for (std::size_t i = 0; i < all.size(); ++i) all[i] = static_cast<std::uint16_t>(i);
        const std::vector<float> want = widened(all, h);
        for (cpu::Isa isa : isas()) {
            IsaScope scope(isa);
            for (std::int64_t n : {std::int64_t{65536}, std::int64_t{65535}, std::int64_t{7}}) {
                std::vector<float> got(static_cast<std::size_t>(n));
                widen_half(got.data(), all.data(), h, n);
                for (std::int64_t i = 0; i < n; ++i) {
                    const float g = got[static_cast<std::size_t>(i)], w = want[static_cast<std::size_t>(i)];
                    if (std::isnan(w)) ASSERT_TRUE(std::isnan(g)) << i;
                    else ASSERT_EQ(g, w) << cpu::isa_name(isa) << " bits " << i;
                }
            }
        }
    }
}

// BF16 weights multiply bf16-rounded activations (matmul_half.hpp).
std::vector<float> rounded_to_bf16(const std::vector<float>& v) {
    std::vector<float> out(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) out[i] = numeric::round_to_bf16_flush_subnormals(v[i]);
    return out;
}

// 16-bit matmul: bit-identical to the F32 kernel on the widened matrix (and,
// for BF16, the bf16-rounded x) at the same level, and (the per-element fma
// sequence does not depend on the width) to the F32 kernel at any level;
// near the twin. With AVX512_BF16, T > 16 at the AVX-512 level takes the
// vdpbf16ps kernel: C_in 301 ends in an unpaired row after a full k-block,
// C_out 257 and 300 leave 16-column vectors and a scalar tail after the
// 64-column panels.
TEST(KernelFormats, MatmulHalfEqualsWidenedF32AndNaive) {
    ThreadPool pool(2, 0);   // split every job, whatever its size
    for (Half h : {Half::kF16, Half::kBF16}) {
        for (int T : {1, 2, 7, 13, 16, 17, 29}) {   // the sweep and the packed panels
            for (int C_in : {1, 17, 300, 301}) {
                for (int C_out : {1, 15, 33, 257, 300}) {
                    const auto x = random_vector(static_cast<std::size_t>(T) * C_in, 1);
                    const auto x_eff = h == Half::kBF16 ? rounded_to_bf16(x) : x;
                    const auto w16 = to_half(random_vector(static_cast<std::size_t>(C_in) * C_out, 2, 0.1f), h);
                    const auto w32 = widened(w16, h);
                    const auto b = random_vector(static_cast<std::size_t>(C_out), 3);
                    std::vector<float> f32(static_cast<std::size_t>(T) * C_out), naive(f32.size());
                    matmul(f32.data(), x_eff.data(), w32.data(), b.data(), T, C_in, C_out, pool);
                    reference::matmul_half(naive.data(), x.data(), w16.data(), h == Half::kBF16, b.data(), T, C_in,
                                           C_out);
                    for (cpu::Isa isa : isas()) {
                        IsaScope scope(isa);
                        std::vector<float> got(f32.size()), f32_here(f32.size());
                        matmul_half(got.data(), x.data(), w16.data(), h, b.data(), T, C_in, C_out, pool);
                        matmul(f32_here.data(), x_eff.data(), w32.data(), b.data(), T, C_in, C_out, pool);
                        ASSERT_EQ(got, f32_here) << cpu::isa_name(isa) << " T=" << T << " C_in=" << C_in
                                                 << " C_out=" << C_out;
                        ASSERT_EQ(f32_here, f32) << cpu::isa_name(isa);
                        for (std::size_t i = 0; i < got.size(); ++i)
                            ASSERT_NEAR(got[i], naive[i], 1e-5 * std::sqrt(static_cast<double>(C_in)) * 4) << i;
                    }
                }
            }
        }
    }
}

// The vdpbf16ps kernel called directly (matmul_half may route around it):
// the bits of the F32 fma chain on bf16-rounded x and widened w, for a
// GPT-2 shape (two k-blocks of 256 rows), odd C_in and a partial last
// k-block. Skipped where the CPU has no AVX512_BF16.
TEST(KernelFormats, Bf16PairsKernelEqualsTheFmaChain) {
    if (!bf16_pairs::available()) GTEST_SKIP() << "no AVX512_BF16 on this CPU";
    ThreadPool one(1);
    for (int C_in : {768, 301, 2, 1}) {
        const int T = 23, C_out = 208;   // 3 panels of 64 + one 16-column vector
        const auto x = rounded_to_bf16(random_vector(static_cast<std::size_t>(T) * C_in, 7));
        const auto w16 = to_half(random_vector(static_cast<std::size_t>(C_in) * C_out, 8, 0.1f), Half::kBF16);
        const auto w32 = widened(w16, Half::kBF16);
        const auto b = random_vector(static_cast<std::size_t>(C_out), 9);
        std::vector<std::uint32_t> pairs(static_cast<std::size_t>(T) * bf16_pairs::pairs(C_in));
        bf16_pairs::pack_rows(pairs.data(), x.data(), T, C_in);
        std::vector<std::uint16_t> panels(static_cast<std::size_t>(panel_elements(C_in, C_out)));
        pack_panels(panels.data(), w16.data(), sizeof(std::uint16_t), C_in, C_out);
        for (const float* bias : {b.data(), static_cast<const float*>(nullptr)}) {
            // From w's rows, and from the decode panels.
            for (const std::uint16_t* from_panels : {static_cast<const std::uint16_t*>(nullptr),
                                                    static_cast<const std::uint16_t*>(panels.data())}) {
                std::vector<float> got(static_cast<std::size_t>(T) * C_out, -1.0f), want(got.size());
                bf16_pairs::columns({got.data(), x.data(), pairs.data(), w16.data(), bias, T, C_in, C_out, from_panels},
                                    0, C_out);
                matmul(want.data(), x.data(), w32.data(), bias, T, C_in, C_out, one);
                ASSERT_EQ(got, want) << "C_in=" << C_in << (bias ? " bias" : " no bias")
                                     << (from_panels ? " panels" : " rows");
            }
        }
    }
}

TEST(KernelFormats, MatmulHalfLongReductionAndThreads) {
    const int T = 9, C_in = 700, C_out = 130;
    const auto x = random_vector(static_cast<std::size_t>(T) * C_in, 4);
    const auto w16 = to_half(random_vector(static_cast<std::size_t>(C_in) * C_out, 5, 0.05f), Half::kBF16);
    ThreadPool one(1), three(3, 0);   // split every job, whatever its size
    std::vector<float> a(static_cast<std::size_t>(T) * C_out), b(a.size()), naive(a.size());
    matmul_half(a.data(), x.data(), w16.data(), Half::kBF16, nullptr, T, C_in, C_out, one);
    matmul_half(b.data(), x.data(), w16.data(), Half::kBF16, nullptr, T, C_in, C_out, three);
    reference::matmul_half(naive.data(), x.data(), w16.data(), true, nullptr, T, C_in, C_out);
    EXPECT_EQ(a, b);
    for (std::size_t i = 0; i < a.size(); ++i) ASSERT_NEAR(a[i], naive[i], 2e-5) << i;
    // A row alone (decode path) gives the bits it gets inside the batch.
    std::vector<float> row(static_cast<std::size_t>(C_out));
    matmul_half(row.data(), x.data() + 4 * C_in, w16.data(), Half::kBF16, nullptr, 1, C_in, C_out, three);
    for (int j = 0; j < C_out; ++j) ASSERT_EQ(row[static_cast<std::size_t>(j)], a[4 * static_cast<std::size_t>(C_out) + j]);
}

// A [K, N] F32 matrix as the Model holds it for each format: F32 panels,
// and the F16 and BF16 roundings of w (index 0 F16, 1 BF16) with their
// panels. Pad values are poisoned (-1, 0xffff): pack_panels must write
// every element.
struct PanelCopies {
    std::vector<float> w_panels;
    std::vector<std::uint16_t> w16[2];
    std::vector<std::uint16_t> h_panels[2];

    PanelCopies(const std::vector<float>& w, int K, int N) {
        const auto n_packed = static_cast<std::size_t>(panel_elements(K, N));
        w_panels.assign(n_packed, -1.0f);
        pack_panels(w_panels.data(), w.data(), sizeof(float), K, N);
        for (Half h : {Half::kF16, Half::kBF16}) {
            const int i = h == Half::kBF16 ? 1 : 0;
            w16[i] = to_half(w, h);
            h_panels[i].assign(n_packed, 0xffff);
            pack_panels(h_panels[i].data(), w16[i].data(), sizeof(std::uint16_t), K, N);
        }
    }
};

// Products over the decode panels: decode (T = 1, matvec_panels) and the
// register tiles of batches and prefill (matmul's and matmul_half's
// `panels`; with AVX512_BF16, the vdpbf16ps kernel packing its pairs from the
// panels) give the bits of the row-major paths (decode and the sweep, T ≤ 16;
// the packed prefill, T > 16), for F32, F16 and BF16, on every instruction
// set, for widths with partial panels and vectors, a partial last row tile,
// K across k-blocks, with and without a bias, and across thread counts.
TEST(KernelFormats, ProductsFromPanelsEqualTheRowMajorPaths) {
    ThreadPool one(1), three(3, 0);   // three: split every job, whatever its size
    for (int K : {1, 17, 300, 768}) {
        for (int N : {1, 15, 16, 33, 72, 257, 300}) {
            for (int T : {1, 2, 5, 9, 17, 23}) {
                const auto x = random_vector(static_cast<std::size_t>(T) * K, 21);
                const auto w = random_vector(static_cast<std::size_t>(K) * N, 22, 0.1f);
                const auto b = random_vector(static_cast<std::size_t>(N), 23);
                const PanelCopies pc(w, K, N);
                const auto& [w_panels, w16, h_panels] = pc;
                for (cpu::Isa isa : isas()) {
                    IsaScope scope(isa);
                    for (const float* bias : {b.data(), static_cast<const float*>(nullptr)}) {
                        for (ThreadPool* pool : {&one, &three}) {
                            std::vector<float> want(static_cast<std::size_t>(T) * N), got(want.size(), -7.0f);
                            matmul(want.data(), x.data(), w.data(), bias, T, K, N, *pool);
                            if (T == 1) matvec_panels(got.data(), x.data(), w_panels.data(), bias, K, N, *pool);
                            else matmul(got.data(), x.data(), w.data(), bias, T, K, N, *pool, w_panels.data());
                            ASSERT_EQ(got, want) << cpu::isa_name(isa) << " T=" << T << " K=" << K << " N=" << N
                                                 << (bias ? " bias" : "") << " threads=" << pool->size();
                            for (Half h : {Half::kF16, Half::kBF16}) {
                                const int i = h == Half::kBF16 ? 1 : 0;
                                std::fill(got.begin(), got.end(), -7.0f);
                                matmul_half(want.data(), x.data(), w16[i].data(), h, bias, T, K, N, *pool);
                                if (T == 1)
                                    matvec_panels_half(got.data(), x.data(), h_panels[i].data(), h, bias, K, N, *pool);
                                else
                                    matmul_half(got.data(), x.data(), w16[i].data(), h, bias, T, K, N, *pool,
                                                h_panels[i].data());
                                ASSERT_EQ(got, want) << (i ? "BF16 " : "F16 ") << cpu::isa_name(isa) << " T=" << T
                                                     << " K=" << K << " N=" << N << (bias ? " bias" : "")
                                                     << " threads=" << pool->size();
                            }
                        }
                    }
                }
            }
        }
    }
}

// The panel layout itself: panels[p][k][c] = W[k][16p + c], zeros past N.
TEST(KernelFormats, PackPanelsLayout) {
    const int K = 3, N = 20;   // two panels, the second with 4 columns
    std::vector<float> w(static_cast<std::size_t>(K) * N);
    for (std::size_t i = 0; i < w.size(); ++i) w[i] = static_cast<float>(i + 1);
    std::vector<float> p(static_cast<std::size_t>(panel_elements(K, N)), -1.0f);
    ASSERT_EQ(p.size(), 2u * K * kPanelWidth);
    pack_panels(p.data(), w.data(), sizeof(float), K, N);
    for (int panel = 0; panel < 2; ++panel)
        for (int k = 0; k < K; ++k)
            for (int c = 0; c < kPanelWidth; ++c) {
                const int j = panel * kPanelWidth + c;
                const float want = j < N ? w[static_cast<std::size_t>(k) * N + j] : 0.0f;
                ASSERT_EQ(p[(static_cast<std::size_t>(panel) * K + k) * kPanelWidth + c], want) << panel << " " << k << " " << c;
            }
}

// Logits kernel: near the twin on every ISA; bit-identical to the F32
// kernel at the same level (both reduce in simd::dot's order for that
// level's width: the F32 kernels dispatch on cpu::active() too); rows
// independent of T and threads.
TEST(KernelFormats, MatmulTransposedHalf) {
    ThreadPool one(1), two(2, 0);   // split every job, whatever its size
    for (Half h : {Half::kF16, Half::kBF16}) {
        for (int T : {1, 3, 5, 6, 9, 70}) {   // 5, 9: compare's batches (AVX-512 row tiles 5 + 4)
            for (int C : {1, 15, 64, 97}) {
                for (int N : {1, 9, 133}) {
                    const auto x = random_vector(static_cast<std::size_t>(T) * C, 9);
                    const auto w16 = to_half(random_vector(static_cast<std::size_t>(N) * C, 10), h);
                    const auto w32 = widened(w16, h);
                    std::vector<float> naive(static_cast<std::size_t>(T) * N);
                    reference::matmul_transposed_half(naive.data(), x.data(), w16.data(), h == Half::kBF16, T, C, N);
                    for (cpu::Isa isa : isas()) {
                        IsaScope scope(isa);
                        std::vector<float> got(naive.size()), got1(naive.size()), f32(naive.size());
                        matmul_transposed_half(got.data(), x.data(), w16.data(), h, T, C, N, two);
                        matmul_transposed_half(got1.data(), x.data(), w16.data(), h, T, C, N, one);
                        matmul_transposed(f32.data(), x.data(), w32.data(), T, C, N, two);
                        ASSERT_EQ(got, got1);
                        ASSERT_EQ(got, f32) << cpu::isa_name(isa) << " T=" << T << " C=" << C << " N=" << N;
                        for (std::size_t i = 0; i < got.size(); ++i)
                            ASSERT_NEAR(got[i], naive[i], 1e-5 * std::sqrt(static_cast<double>(C)) * 4) << i;
                        std::vector<float> row(static_cast<std::size_t>(N));
                        for (int t = 0; t < T; ++t) {   // every row, wherever its tile put it
                            matmul_transposed_half(row.data(), x.data() + static_cast<std::size_t>(t) * C, w16.data(),
                                                   h, 1, C, N, two);
                            for (int n = 0; n < N; ++n)
                                ASSERT_EQ(row[static_cast<std::size_t>(n)], got[static_cast<std::size_t>(t) * N + n])
                                    << cpu::isa_name(isa) << " T=" << T << " C=" << C << " N=" << N << " t=" << t;
                        }
                    }
                }
            }
        }
    }
}

TEST(KernelFormats, QuantizeQ8RowHandComputed) {
    // Block max |x| = 31.75 → scale 0.25 (exact), 1/scale·... = 4; x·4
    // rounded to nearest, ties to even.
    std::vector<float> x(32, 0.0f);
    x[0] = 31.75f;     // 127
    x[1] = -15.875f;   // -63.5 → -64
    x[2] = 0.125f;     // 0.5 → 0
    x[3] = 0.375f;     // 1.5 → 2
    x[4] = -31.75f;    // -127
    x[5] = 1.0f;       // 4
    std::vector<std::int8_t> q(32);
    float s = 0.0f;
    quantize_q8_row(q.data(), &s, x.data(), 32);
    EXPECT_EQ(s, 0.25f);
    EXPECT_EQ(q[0], 127);
    EXPECT_EQ(q[1], -64);
    EXPECT_EQ(q[2], 0);
    EXPECT_EQ(q[3], 2);
    EXPECT_EQ(q[4], -127);
    EXPECT_EQ(q[5], 4);
    EXPECT_EQ(q[6], 0);
    // A zero block: scale 0, q 0 (no division by zero).
    std::vector<float> zeros(32, 0.0f);
    quantize_q8_row(q.data(), &s, zeros.data(), 32);
    EXPECT_EQ(s, 0.0f);
    for (std::int8_t v : q) EXPECT_EQ(v, 0);
}

TEST(KernelFormats, QuantizeQ8ErrorIsAtMostHalfAStep) {
    const int K = 32 * 24;
    const auto x = random_vector(K, 21, 3.0f);
    std::vector<std::int8_t> q(K);
    std::vector<float> s(K / 32), back(K);
    quantize_q8_row(q.data(), s.data(), x.data(), K);
    dequantize_q8_row(back.data(), q.data(), s.data(), K);
    for (int k = 0; k < K; ++k) {
        ASSERT_LE(std::fabs(back[static_cast<std::size_t>(k)] - x[static_cast<std::size_t>(k)]),
                  0.5f * s[static_cast<std::size_t>(k / 32)] * 1.0001f) << k;
        ASSERT_GE(q[static_cast<std::size_t>(k)], -127);
    }
}

TEST(KernelFormats, MatmulQ8MatchesNaiveAndIsBitIdenticalEverywhere) {
    ThreadPool one(1), two(2, 0), three(3, 0);   // split every job, whatever its size
    for (int T : {1, 2, 5, 9}) {
        for (int K : {32, 96, 768}) {
            for (int N : {1, 7, 8, 9, 33, 130}) {
                const auto x = random_vector(static_cast<std::size_t>(T) * K, 31);
                const auto w = random_vector(static_cast<std::size_t>(N) * K, 32, 0.05f);
                const auto bias = random_vector(static_cast<std::size_t>(N), 33);
                const int nb = K / 32;
                std::vector<std::int8_t> xq(x.size()), wq(w.size());
                std::vector<float> xs(static_cast<std::size_t>(T) * nb), ws(static_cast<std::size_t>(N) * nb);
                quantize_q8(xq.data(), xs.data(), x.data(), T, K, two);
                for (int n = 0; n < N; ++n)
                    quantize_q8_row(wq.data() + static_cast<std::size_t>(n) * K, ws.data() + static_cast<std::size_t>(n) * nb,
                                    w.data() + static_cast<std::size_t>(n) * K, K);
                std::vector<float> naive(static_cast<std::size_t>(T) * N);
                reference::matmul_q8(naive.data(), xq.data(), xs.data(), wq.data(), ws.data(), bias.data(), T, K, N);
                std::vector<float> first;
                for (cpu::Isa isa : isas()) {
                    IsaScope scope(isa);
                    for (ThreadPool* pool : {&one, &three}) {
                        std::vector<float> got(naive.size());
                        matmul_q8(got.data(), xq.data(), xs.data(), wq.data(), ws.data(), bias.data(), T, K, N, *pool);
                        if (first.empty()) first = got;
                        ASSERT_EQ(got, first) << q8_kernel_name() << " T=" << T << " K=" << K << " N=" << N;
                        for (std::size_t i = 0; i < got.size(); ++i)
                            ASSERT_NEAR(got[i], naive[i], 1e-5 * (1.0 + std::fabs(naive[i]))) << i;
                    }
                    // Row by row (decode) equals the batch.
                    for (int t = 0; t < T; ++t) {
                        std::vector<float> row(static_cast<std::size_t>(N));
                        matmul_q8(row.data(), xq.data() + static_cast<std::size_t>(t) * K,
                                  xs.data() + static_cast<std::size_t>(t) * nb, wq.data(), ws.data(), bias.data(), 1, K,
                                  N, two);
                        for (int n = 0; n < N; ++n)
                            ASSERT_EQ(row[static_cast<std::size_t>(n)], first[static_cast<std::size_t>(t) * N + n]);
                    }
                }
            }
        }
    }
}

}  // namespace
}  // namespace gpt2::kernels
