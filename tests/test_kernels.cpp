// Each fast F32 kernel against its naive twin (lib/kernels/reference.cpp)
// over sizes with remainders (not multiples of the SIMD width or the tiles),
// plus the exactness contracts the forward pass relies on: rows independent
// of T, results independent of the thread count. Every kernel test runs at
// every instruction-set level this CPU has (kernels::cpu::set_active): the
// F32 kernels are compiled per level and dispatched at run time
// (kernels/f32_kernels.hpp).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "kernels/attention.hpp"
#include "kernels/cpu.hpp"
#include "support/isa.hpp"
#include "kernels/f32_kernels.hpp"
#include "kernels/gelu.hpp"
#include "kernels/layer_norm.hpp"
#include "kernels/matmul.hpp"
#include "kernels/reference.hpp"
#include "kernels/residual.hpp"
#include "kernels/softmax.hpp"
#include "numeric/half.hpp"
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

// The instruction sets to test: every level up to what the CPU has.
std::vector<cpu::Isa> isas() { return test::available_isas(); }

// Runs each test with cpu::active() capped to the parameter, restored after.
class Kernels : public ::testing::TestWithParam<cpu::Isa> {
protected:
    void SetUp() override { saved_ = cpu::set_active(GetParam()); }
    void TearDown() override { cpu::set_active(saved_); }

private:
    cpu::Isa saved_ = cpu::Isa::kScalar;
};

INSTANTIATE_TEST_SUITE_P(Isa, Kernels, ::testing::ValuesIn(isas()),
                         [](const ::testing::TestParamInfo<cpu::Isa>& info) { return cpu::isa_name(info.param); });

// The dispatcher hands out the table compiled for the active level.
TEST_P(Kernels, ActiveTableIsTheActiveLevel) {
    EXPECT_EQ(cpu::active(), GetParam());
    const f32::Kernels& k = f32::active();
    EXPECT_EQ(k.isa, GetParam());
    EXPECT_EQ(k.width, GetParam() == cpu::Isa::kAvx512 ? 16 : GetParam() == cpu::Isa::kAvx2 ? 8 : 1);
}

TEST(ThreadPool, ParallelForCoversEveryIndexOnceInGrainAlignedRanges) {
    for (int n_threads : {1, 2, 3, 5}) {
        ThreadPool pool(n_threads);
        for (std::int64_t n : {1, 7, 16, 100, 1000}) {
            for (std::int64_t grain : {1, 16, 64}) {
                std::vector<int> hits(static_cast<std::size_t>(n), 0);
                pool.parallel_for(n, grain, [&](std::int64_t b, std::int64_t e, int) {
                    EXPECT_EQ(b % grain, 0);
                    for (std::int64_t i = b; i < e; ++i) ++hits[static_cast<std::size_t>(i)];
                });
                for (int h : hits) ASSERT_EQ(h, 1) << "n=" << n << " grain=" << grain << " threads=" << n_threads;
            }
        }
    }
}

// A job given its size runs as one range on the caller when it is below
// min_chunk_work() per range, and is split again when it is large enough
// (or when the pool splits everything, min_chunk_work 0).
TEST(ThreadPool, SmallJobsStayOnTheCaller) {
    ThreadPool pool(2);
    ASSERT_EQ(pool.min_chunk_work(), ThreadPool::kMinChunkWork);
    const auto ranges = [&](ThreadPool& p, std::int64_t work) {
        std::vector<std::pair<std::int64_t, std::int64_t>> seen(2, {-1, -1});
        std::vector<std::thread::id> who(2);
        p.parallel_for(1000, 1, work, [&](std::int64_t b, std::int64_t e, int chunk) {
            seen[static_cast<std::size_t>(chunk)] = {b, e};
            who[static_cast<std::size_t>(chunk)] = std::this_thread::get_id();
        });
        return std::make_pair(seen, who);
    };
    const auto [small, small_who] = ranges(pool, 2 * ThreadPool::kMinChunkWork - 1);
    EXPECT_EQ(small[0], std::make_pair(std::int64_t{0}, std::int64_t{1000}));
    EXPECT_EQ(small[1].first, -1);
    EXPECT_EQ(small_who[0], std::this_thread::get_id());
    const auto [large, large_who] = ranges(pool, 2 * ThreadPool::kMinChunkWork);
    EXPECT_EQ(large[0], std::make_pair(std::int64_t{0}, std::int64_t{500}));
    EXPECT_EQ(large[1], std::make_pair(std::int64_t{500}, std::int64_t{1000}));
    const auto [unknown, unknown_who] = ranges(pool, -1);   // no size given: split as before
    EXPECT_EQ(unknown[1], std::make_pair(std::int64_t{500}, std::int64_t{1000}));
    ThreadPool always(2, 0);
    const auto [tiny, tiny_who] = ranges(always, 1);
    EXPECT_EQ(tiny[1], std::make_pair(std::int64_t{500}, std::int64_t{1000}));
}

TEST(ThreadPool, RunCallsEveryChunkOnce) {
    ThreadPool pool(3, 0);
    for (int round = 0; round < 100; ++round) {
        std::vector<int> seen(3, 0);
        pool.run([&](int chunk) { seen[static_cast<std::size_t>(chunk)] += 1; });
        EXPECT_EQ(seen, std::vector<int>({1, 1, 1}));
    }
}

TEST_P(Kernels, MatmulMatchesNaiveOverShapesWithRemainders) {
    ThreadPool pool(2, 0);
    for (int T : {1, 2, 5, 7, 13, 16, 17, 29}) {   // the sweep (≤ 16 rows) and the packed panels
        for (int C_in : {1, 17, 64, 300}) {
            for (int C_out : {1, 15, 16, 33, 100, 257, 300}) {
                const auto x = random_vector(static_cast<std::size_t>(T) * C_in, 1);
                const auto w = random_vector(static_cast<std::size_t>(C_in) * C_out, 2);
                const auto b = random_vector(static_cast<std::size_t>(C_out), 3);
                for (const float* bias : {b.data(), static_cast<const float*>(nullptr)}) {
                    std::vector<float> fast(static_cast<std::size_t>(T) * C_out), naive(fast.size());
                    matmul(fast.data(), x.data(), w.data(), bias, T, C_in, C_out, pool);
                    reference::matmul(naive.data(), x.data(), w.data(), bias, T, C_in, C_out);
                    for (std::size_t i = 0; i < fast.size(); ++i) {
                        ASSERT_NEAR(fast[i], naive[i], 1e-5 * std::sqrt(static_cast<double>(C_in)) * 4)
                            << "T=" << T << " C_in=" << C_in << " C_out=" << C_out << " i=" << i;
                    }
                }
            }
        }
    }
}

TEST_P(Kernels, MatmulLongReductionCrossesKBlocks) {
    ThreadPool pool(2, 0);
    const int T = 9, C_in = 700, C_out = 130;
    const auto x = random_vector(static_cast<std::size_t>(T) * C_in, 4);
    const auto w = random_vector(static_cast<std::size_t>(C_in) * C_out, 5, 0.05f);
    std::vector<float> fast(static_cast<std::size_t>(T) * C_out), naive(fast.size());
    matmul(fast.data(), x.data(), w.data(), nullptr, T, C_in, C_out, pool);
    reference::matmul(naive.data(), x.data(), w.data(), nullptr, T, C_in, C_out);
    for (std::size_t i = 0; i < fast.size(); ++i) ASSERT_NEAR(fast[i], naive[i], 2e-5) << i;
}

// The contract of matmul.hpp: every row is the same bits whether computed
// alone (decode path), inside a T-row batch (the sweep up to 16 rows, the
// packed panels above) or with any thread count.
class MatmulRows : public ::testing::TestWithParam<std::tuple<cpu::Isa, int>> {
protected:
    void SetUp() override { saved_ = cpu::set_active(std::get<0>(GetParam())); }
    void TearDown() override { cpu::set_active(saved_); }

private:
    cpu::Isa saved_ = cpu::Isa::kScalar;
};

INSTANTIATE_TEST_SUITE_P(IsaAndRows, MatmulRows, ::testing::Combine(::testing::ValuesIn(isas()), ::testing::Values(11, 23)),
                         [](const ::testing::TestParamInfo<std::tuple<cpu::Isa, int>>& info) {
                             return std::string(cpu::isa_name(std::get<0>(info.param))) + "_T" +
                                    std::to_string(std::get<1>(info.param));
                         });

TEST_P(MatmulRows, AreBitIdenticalAcrossTAndThreads) {
    const int T = std::get<1>(GetParam()), C_in = 530, C_out = 301;
    const auto x = random_vector(static_cast<std::size_t>(T) * C_in, 6);
    const auto w = random_vector(static_cast<std::size_t>(C_in) * C_out, 7);
    const auto b = random_vector(static_cast<std::size_t>(C_out), 8);
    ThreadPool one(1, 0), two(2, 0), three(3, 0);
    std::vector<float> batch1(static_cast<std::size_t>(T) * C_out), batch2(batch1.size()), batch3(batch1.size());
    matmul(batch1.data(), x.data(), w.data(), b.data(), T, C_in, C_out, one);
    matmul(batch2.data(), x.data(), w.data(), b.data(), T, C_in, C_out, two);
    matmul(batch3.data(), x.data(), w.data(), b.data(), T, C_in, C_out, three);
    EXPECT_EQ(batch1, batch2);
    EXPECT_EQ(batch1, batch3);
    for (int t = 0; t < T; ++t) {
        std::vector<float> row(static_cast<std::size_t>(C_out));
        matmul(row.data(), x.data() + static_cast<std::size_t>(t) * C_in, w.data(), b.data(), 1, C_in, C_out, two);
        for (int j = 0; j < C_out; ++j)
            ASSERT_EQ(row[static_cast<std::size_t>(j)], batch1[static_cast<std::size_t>(t) * C_out + j]) << t << "," << j;
    }
}

TEST_P(Kernels, MatmulTransposedMatchesNaiveAndIsBitStable) {
    ThreadPool one(1, 0), two(2, 0);
    for (int T : {1, 3, 5, 6, 9, 70}) {   // 5, 9: row tiles of 5 (AVX-512: 16 sums + one row of four)
        for (int C : {1, 15, 64, 97}) {
            for (int N : {1, 7, 9, 64, 133}) {
                const auto x = random_vector(static_cast<std::size_t>(T) * C, 9);
                const auto w = random_vector(static_cast<std::size_t>(N) * C, 10);
                std::vector<float> fast(static_cast<std::size_t>(T) * N), fast1(fast.size()), naive(fast.size());
                matmul_transposed(fast.data(), x.data(), w.data(), T, C, N, two);
                matmul_transposed(fast1.data(), x.data(), w.data(), T, C, N, one);
                reference::matmul_transposed(naive.data(), x.data(), w.data(), T, C, N);
                ASSERT_EQ(fast, fast1) << "T=" << T << " C=" << C << " N=" << N;
                for (std::size_t i = 0; i < fast.size(); ++i)
                    ASSERT_NEAR(fast[i], naive[i], 1e-5 * std::sqrt(static_cast<double>(C)) * 4) << i;
                // Each row alone gives the same bits as inside the batch,
                // wherever its row tile put it (first, middle or last row).
                std::vector<float> row(static_cast<std::size_t>(N));
                for (int t = 0; t < T; ++t) {
                    matmul_transposed(row.data(), x.data() + static_cast<std::size_t>(t) * C, w.data(), 1, C, N, two);
                    for (int n = 0; n < N; ++n)
                        ASSERT_EQ(row[static_cast<std::size_t>(n)], fast[static_cast<std::size_t>(t) * N + n])
                            << "T=" << T << " C=" << C << " N=" << N << " t=" << t;
                }
            }
        }
    }
}

TEST_P(Kernels, LayerNormMatchesNaive) {
    for (int C : {1, 7, 16, 33, 96, 768}) {
        const int T = 3;
        auto x = random_vector(static_cast<std::size_t>(T) * C, 11, 3.0f);
        for (float& v : x) v += 5.0f;   // a large mean: the two-pass variance must hold up
        const auto w = random_vector(static_cast<std::size_t>(C), 12);
        const auto b = random_vector(static_cast<std::size_t>(C), 13);
        std::vector<float> fast(x.size()), naive(x.size());
        layer_norm(fast.data(), x.data(), w.data(), b.data(), T, C, 1e-5f);
        reference::layer_norm(naive.data(), x.data(), w.data(), b.data(), T, C, 1e-5f);
        for (std::size_t i = 0; i < fast.size(); ++i) ASSERT_NEAR(fast[i], naive[i], 2e-5) << "C=" << C << " i=" << i;
    }
}

TEST_P(Kernels, GeluMatchesNaiveOverTheWholeRange) {
    ThreadPool pool(2, 0);
    std::vector<float> x;
    for (float v = -30.0f; v <= 30.0f; v += 0.01f) x.push_back(v);
    x.push_back(-100.0f);
    x.push_back(100.0f);
    x.push_back(0.0f);
    std::vector<float> fast(x.size()), naive(x.size());
    gelu(fast.data(), x.data(), static_cast<std::int64_t>(x.size()), pool);
    reference::gelu(naive.data(), x.data(), static_cast<std::int64_t>(x.size()));
    for (std::size_t i = 0; i < x.size(); ++i)
        ASSERT_NEAR(fast[i], naive[i], 1e-6 + 1e-6 * std::fabs(naive[i])) << "x=" << x[i];
}

TEST_P(Kernels, GeluIsBitIdenticalForAnyPartition) {
    const auto x = random_vector(5003, 14, 4.0f);
    ThreadPool one(1, 0), two(2, 0), three(3, 0);
    std::vector<float> a(x.size()), b(x.size()), c(x.size());
    gelu(a.data(), x.data(), static_cast<std::int64_t>(x.size()), one);
    gelu(b.data(), x.data(), static_cast<std::int64_t>(x.size()), two);
    gelu(c.data(), x.data(), static_cast<std::int64_t>(x.size()), three);
    EXPECT_EQ(a, b);
    EXPECT_EQ(a, c);
    // Element i alone (Scalar tail path) equals element i inside a vector.
    for (std::size_t i : {std::size_t{0}, std::size_t{5}, std::size_t{17}, std::size_t{4000}}) {
        float alone = 0.0f;
        gelu(&alone, &x[i], 1, one);
        EXPECT_EQ(alone, a[i]) << i;
    }
}

TEST_P(Kernels, SoftmaxMatchesNaive) {
    for (int n : {1, 2, 15, 16, 17, 100, 1000, 50257}) {
        auto x = random_vector(static_cast<std::size_t>(n), 15, 5.0f);
        x[0] = 60.0f;   // a dominant logit: the max subtraction matters
        std::vector<float> fast(x.size()), naive(x.size());
        softmax(fast.data(), x.data(), n);
        reference::softmax(naive.data(), x.data(), n);
        double sum = 0.0;
        for (int i = 0; i < n; ++i) {
            ASSERT_NEAR(fast[static_cast<std::size_t>(i)], naive[static_cast<std::size_t>(i)],
                        1e-7 + 1e-5 * naive[static_cast<std::size_t>(i)]) << "n=" << n << " i=" << i;
            sum += fast[static_cast<std::size_t>(i)];
        }
        EXPECT_NEAR(sum, 1.0, 1e-5);
    }
}

TEST_P(Kernels, ResidualAddMatchesNaive) {
    const auto y = random_vector(1001, 16);
    auto fast = random_vector(1001, 17);
    auto naive = fast;
    residual_add(fast.data(), y.data(), 1001);
    reference::residual_add(naive.data(), y.data(), 1001);
    EXPECT_EQ(fast, naive);
}

// The read-bandwidth probe's loop: integer-valued floats, whose sum is exact
// in any order, so every level must give the same total.
TEST_P(Kernels, ReadSumAddsEveryElement) {
    std::vector<float> x(1001);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i % 7);
    for (std::int64_t n : {0, 1, 15, 64, 65, 1001}) {
        double want = 0.0;
        for (std::int64_t i = 0; i < n; ++i) want += x[static_cast<std::size_t>(i)];
        EXPECT_EQ(f32::active().read_sum(x.data(), n), static_cast<float>(want)) << "n=" << n;
    }
}

// Position-major rows [n_rows, NH·HS] rearranged head-major [NH,
// max_positions, HS], the positions past n_rows filled with `pad`.
template <typename T>
std::vector<T> to_head_major(const std::vector<T>& rows, int NH, int HS, int n_rows, int max_positions, T pad) {
    std::vector<T> heads(static_cast<std::size_t>(NH) * max_positions * HS, pad);
    for (int p = 0; p < n_rows; ++p)
        for (int h = 0; h < NH; ++h)
            for (int c = 0; c < HS; ++c)
                heads[(static_cast<std::size_t>(h) * max_positions + p) * HS + c] =
                    rows[static_cast<std::size_t>(p) * NH * HS + h * HS + c];
    return heads;
}

TEST_P(Kernels, AttentionMatchesNaiveIncludingOddHeadSizes) {
    ThreadPool pool(2, 0);
    struct Shape { int NH, HS, T, pos0; };
    for (const Shape s : {Shape{1, 1, 1, 0}, Shape{2, 15, 5, 0}, Shape{4, 24, 7, 3}, Shape{3, 64, 1, 40},
                          Shape{12, 64, 9, 0}, Shape{5, 16, 33, 17}, Shape{2, 100, 4, 2}}) {
        const int C = s.NH * s.HS;
        const int n_rows = s.pos0 + s.T;
        // q inside a fused [T, 3C] row, as the forward pass stores it.
        const auto qkv = random_vector(static_cast<std::size_t>(s.T) * 3 * C, 18);
        const auto k = random_vector(static_cast<std::size_t>(n_rows) * C, 19);
        const auto v = random_vector(static_cast<std::size_t>(n_rows) * C, 20);
        std::vector<float> fast(static_cast<std::size_t>(s.T) * C), naive(fast.size());
        attention(fast.data(), C, qkv.data(), 3 * C, k.data(), v.data(), position_major(C, s.HS), s.T, s.pos0, s.NH,
                  s.HS, pool);
        reference::attention(naive.data(), C, qkv.data(), 3 * C, k.data(), v.data(), C, s.T, s.pos0, s.NH, s.HS);
        for (std::size_t i = 0; i < fast.size(); ++i)
            ASSERT_NEAR(fast[i], naive[i], 1e-5) << "NH=" << s.NH << " HS=" << s.HS << " T=" << s.T << " i=" << i;

        // Query rows evaluated one at a time (decode) give the same bits.
        ThreadPool one(1, 0);
        for (int t = 0; t < s.T; ++t) {
            std::vector<float> row(static_cast<std::size_t>(C));
            attention(row.data(), C, qkv.data() + static_cast<std::size_t>(t) * 3 * C, 3 * C, k.data(), v.data(),
                      position_major(C, s.HS), 1, s.pos0 + t, s.NH, s.HS, one);
            for (int c = 0; c < C; ++c)
                ASSERT_EQ(row[static_cast<std::size_t>(c)], fast[static_cast<std::size_t>(t) * C + c]) << t << "," << c;
        }
    }
}

// The F16 cache's contract (attention.hpp): attention_f16 over binary16
// values (head-major with unused room after each head's positions, as
// KvCache keeps them, and position-major) gives exactly attention() over F32
// rows holding the widened values, on the decode path (one query, any heads
// per thread), small batches and the prefill path (≥ 16 queries), at any
// thread count. The values are rounded and widened here by numeric::,
// independently of the kernels' conversions.
TEST_P(Kernels, AttentionOverAnF16CacheEqualsF32AttentionOverTheWidenedValues) {
    ThreadPool one(1, 0), two(2, 0);
    struct Shape { int NH, HS, T, pos0; };
    for (const Shape s : {Shape{12, 64, 1, 127}, Shape{3, 64, 1, 40}, Shape{4, 16, 1, 63}, Shape{2, 15, 2, 3},
                          Shape{6, 48, 5, 33}, Shape{4, 24, 20, 7}, Shape{12, 64, 17, 100}, Shape{1, 1, 1, 0},
                          Shape{2, 100, 3, 9}}) {
        const int C = s.NH * s.HS;
        const int n_rows = s.pos0 + s.T;
        const auto qkv = random_vector(static_cast<std::size_t>(s.T) * 3 * C, 31);
        const auto k = random_vector(static_cast<std::size_t>(n_rows) * C, 32, 3.0f);
        const auto v = random_vector(static_cast<std::size_t>(n_rows) * C, 33, 3.0f);
        std::vector<std::uint16_t> k16(k.size()), v16(v.size());
        std::vector<float> k_wide(k.size()), v_wide(v.size());
        for (std::size_t i = 0; i < k.size(); ++i) {
            k16[i] = gpt2::numeric::f32_to_f16(k[i]);
            v16[i] = gpt2::numeric::f32_to_f16(v[i]);
            k_wide[i] = gpt2::numeric::f16_to_f32(k16[i]);
            v_wide[i] = gpt2::numeric::f16_to_f32(v16[i]);
        }
        const int max_positions = n_rows + 3;   // unused room after each head, NaN-filled
        const auto k16_heads = to_head_major(k16, s.NH, s.HS, n_rows, max_positions, std::uint16_t{0x7e00});
        const auto v16_heads = to_head_major(v16, s.NH, s.HS, n_rows, max_positions, std::uint16_t{0x7e00});
        std::vector<float> expected(static_cast<std::size_t>(s.T) * C);
        attention(expected.data(), C, qkv.data(), 3 * C, k_wide.data(), v_wide.data(), position_major(C, s.HS), s.T,
                  s.pos0, s.NH, s.HS, one);
        for (ThreadPool* pool : {&one, &two}) {
            std::vector<float> got(expected.size(), NAN);
            attention_f16(got.data(), C, qkv.data(), 3 * C, k16_heads.data(), v16_heads.data(),
                          head_major(max_positions, s.HS), s.T, s.pos0, s.NH, s.HS, *pool);
            ASSERT_EQ(got, expected) << "NH=" << s.NH << " HS=" << s.HS << " T=" << s.T << " pos0=" << s.pos0
                                     << " threads=" << pool->size();
            std::vector<float> rows(expected.size(), NAN);   // position-major binary16 rows
            attention_f16(rows.data(), C, qkv.data(), 3 * C, k16.data(), v16.data(), position_major(C, s.HS), s.T,
                          s.pos0, s.NH, s.HS, *pool);
            ASSERT_EQ(rows, expected) << "position-major, NH=" << s.NH << " T=" << s.T;
        }
        // Without the rounding (attention over the unrounded F32 rows) the
        // results differ: the comparison above can tell the two apart.
        std::vector<float> unrounded(expected.size());
        attention(unrounded.data(), C, qkv.data(), 3 * C, k.data(), v.data(), position_major(C, s.HS), s.T, s.pos0,
                  s.NH, s.HS, one);
        if (s.HS > 1) {
            EXPECT_NE(unrounded, expected);
        }
    }
}

// narrow_to_f16 (the cache's writes, the level's conversion instructions)
// rounds as numeric::f32_to_f16: to nearest, ties to even, subnormals,
// overflow to infinity.
TEST_P(Kernels, NarrowToF16RoundsAsTheReferenceConversion) {
    std::vector<float> x = random_vector(1000, 34, 100.0f);
    const auto small = random_vector(200, 35, 1e-4f);   // F16 subnormals start below 6.1e-5
    x.insert(x.end(), small.begin(), small.end());
    for (float e : {0.0f, -0.0f, 65504.0f, 65519.0f, 65520.0f, -70000.0f, INFINITY, -INFINITY, 1e-8f, -3e-8f,
                    5.9604645e-8f, 2.9802322e-8f, 1.0009765625f, 1.00048828125f, 1.00146484375f, 6.103515625e-05f})
        x.push_back(e);
    x.push_back(NAN);
    const std::int64_t n = static_cast<std::int64_t>(x.size());
    std::vector<std::uint16_t> got(x.size());
    narrow_to_f16(got.data(), x.data(), n);
    for (std::int64_t i = 0; i + 1 < n; ++i)
        ASSERT_EQ(got[static_cast<std::size_t>(i)], gpt2::numeric::f32_to_f16(x[static_cast<std::size_t>(i)]))
            << "x = " << x[static_cast<std::size_t>(i)];
    EXPECT_TRUE(std::isnan(gpt2::numeric::f16_to_f32(got.back())));
    // Unaligned starts and every tail length.
    for (int off = 1; off < 20; ++off) {
        std::vector<std::uint16_t> part(static_cast<std::size_t>(n - off));
        narrow_to_f16(part.data(), x.data() + off, n - off - 1);
        for (std::int64_t i = 0; i + 1 < n - off; ++i)
            ASSERT_EQ(part[static_cast<std::size_t>(i)], got[static_cast<std::size_t>(i + off)]) << off << "," << i;
    }
}

// reduce_add of kernels/simd.hpp at lane width W (1, 8 or 16), written out:
// halves folded pairwise (lane i + lane i + W/2, ...).
float reduce_lanes(std::vector<float> lane, int W) {
    for (int half = W / 2; half >= 1; half /= 2)
        for (int i = 0; i < half; ++i) lane[static_cast<std::size_t>(i)] += lane[static_cast<std::size_t>(i + half)];
    return lane[0];
}

// simd::dot's documented order at lane width W: lane-wise fma over the first
// n - n % W terms, reduce_add, then the tail terms one by one.
float dot_in_lanes(const float* a, const float* b, int n, int W) {
    std::vector<float> lane(static_cast<std::size_t>(W), 0.0f);
    const int n_vec = n - n % W;
    for (int i = 0; i < n_vec; i += W)
        for (int l = 0; l < W; ++l) lane[static_cast<std::size_t>(l)] = std::fma(a[i + l], b[i + l], lane[static_cast<std::size_t>(l)]);
    float sum = reduce_lanes(lane, W);
    for (int i = n_vec; i < n; ++i) sum = std::fma(a[i], b[i], sum);
    return sum;
}

// The exact contract of attention.hpp, spelled out per (query, head): score
// = dot (simd::dot's order at the active width) · 1/sqrt(HS), kernels::
// softmax, then out = Σ_s fma(p[s], v[s], out) in increasing s from 0. The
// kernel's blocked paths (several scores reduced at once, the weighted sum
// in registers over row blocks) must give exactly these bits.
TEST_P(Kernels, AttentionIsBitIdenticalToItsDocumentedOrder) {
    const int W = f32::active().width;
    ThreadPool one(1, 0), two(2, 0);
    struct Shape { int NH, HS, T, pos0; };
    for (const Shape s : {Shape{4, 16, 1, 63}, Shape{12, 64, 1, 127}, Shape{3, 64, 1, 40}, Shape{2, 32, 1, 150},
                          Shape{5, 16, 3, 14}, Shape{1, 128, 2, 70}, Shape{6, 48, 1, 33}, Shape{2, 24, 4, 9},
                          Shape{9, 8, 1, 20}, Shape{4, 256, 1, 5}, Shape{2, 15, 2, 3}, Shape{1, 1, 1, 0},
                          Shape{6, 32, 1, 70}}) {
        const int C = s.NH * s.HS;
        const int n_rows = s.pos0 + s.T;
        const auto qkv = random_vector(static_cast<std::size_t>(s.T) * 3 * C, 21);
        const auto k = random_vector(static_cast<std::size_t>(n_rows) * C, 22);
        const auto v = random_vector(static_cast<std::size_t>(n_rows) * C, 23);
        const float scale = 1.0f / std::sqrt(static_cast<float>(s.HS));
        std::vector<float> expected(static_cast<std::size_t>(s.T) * C);
        for (int t = 0; t < s.T; ++t) {
            const int n = s.pos0 + t + 1;
            for (int h = 0; h < s.NH; ++h) {
                std::vector<float> p(static_cast<std::size_t>(n));
                for (int j = 0; j < n; ++j)
                    p[static_cast<std::size_t>(j)] =
                        dot_in_lanes(qkv.data() + static_cast<std::size_t>(t) * 3 * C + h * s.HS,
                                     k.data() + static_cast<std::size_t>(j) * C + h * s.HS, s.HS, W) * scale;
                softmax(p.data(), p.data(), n);
                for (int c = 0; c < s.HS; ++c) {
                    float acc = 0.0f;
                    for (int j = 0; j < n; ++j)
                        acc = std::fma(p[static_cast<std::size_t>(j)], v[static_cast<std::size_t>(j) * C + h * s.HS + c], acc);
                    expected[static_cast<std::size_t>(t) * C + h * s.HS + c] = acc;
                }
            }
        }
        for (ThreadPool* pool : {&one, &two}) {
            std::vector<float> got(expected.size());
            attention(got.data(), C, qkv.data(), 3 * C, k.data(), v.data(), position_major(C, s.HS), s.T, s.pos0, s.NH,
                      s.HS, *pool);
            for (std::size_t i = 0; i < got.size(); ++i)
                ASSERT_EQ(got[i], expected[i]) << "NH=" << s.NH << " HS=" << s.HS << " T=" << s.T << " pos0=" << s.pos0
                                               << " threads=" << pool->size() << " i=" << i;
            // KvCache's head-major layout (each head's positions contiguous,
            // unused room after them): the same bits.
            const int max_positions = n_rows + 5;
            const auto k_heads = to_head_major(k, s.NH, s.HS, n_rows, max_positions, NAN);
            const auto v_heads = to_head_major(v, s.NH, s.HS, n_rows, max_positions, NAN);
            std::vector<float> heads(expected.size());
            attention(heads.data(), C, qkv.data(), 3 * C, k_heads.data(), v_heads.data(),
                      head_major(max_positions, s.HS), s.T, s.pos0, s.NH, s.HS, *pool);
            ASSERT_EQ(heads, expected) << "head-major, NH=" << s.NH << " HS=" << s.HS << " T=" << s.T
                                       << " pos0=" << s.pos0 << " threads=" << pool->size();
        }
    }
}

}  // namespace
}  // namespace gpt2::kernels
