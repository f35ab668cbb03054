// sampling::raw_choice (generate's p_raw/rank_raw, compare's logp) against
// the plain double-exp definition it replaced, on random logits of every
// shape the sampler meets.
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "gpt2/sampling/candidates.hpp"
#include "sampling/raw_choice.hpp"

namespace gs = gpt2::sampling;

namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

// The reference: softmax in double with std::exp per candidate, log of it.
struct Ref {
    double p;
    double logp;
    std::size_t rank;
};
Ref naive(const std::vector<float>& z, std::size_t id) {
    float m = kNegInf;
    for (float v : z) m = std::max(m, v);
    double sum = 0.0;
    std::size_t above = 0;
    for (float v : z) {
        sum += std::exp(static_cast<double>(v) - m);
        above += v > z[id] ? 1 : 0;
    }
    const double p = std::exp(static_cast<double>(z[id]) - m) / sum;
    return {p, std::log(p), above + 1};
}

std::vector<float> make(int shape, std::size_t n, std::mt19937_64& gen) {
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<float> z(n);
    for (std::size_t i = 0; i < n; ++i) {
        switch (shape) {
            case 0: z[i] = -1.8f * std::log(static_cast<float>((i * 7919) % n + 1)) + 0.3f * normal(gen); break;
            case 1: z[i] = 1.5f * normal(gen); break;
            case 2: z[i] = static_cast<float>(gen() % 3); break;                   // many ties
            case 3: z[i] = i % 3 == 1 ? kNegInf : 4.0f * normal(gen); break;       // -inf holes
            default: z[i] = 30.0f * normal(gen) + 1000.0f; break;                  // wide range, large offset
        }
    }
    return z;
}

}  // namespace

TEST(SamplingRawChoice, MatchesDoubleReferenceOnRandomLogits) {
    std::mt19937_64 gen(7);
    int checked = 0;
    for (std::size_t n : {1u, 2u, 3u, 7u, 8u, 9u, 17u, 1000u, 50257u}) {
        for (int shape = 0; shape < 5; ++shape) {
            const std::vector<float> z = make(shape, n, gen);
            gs::Candidates c;
            if (shape == 3 && n == 2) continue;   // may be -inf everywhere after the holes
            c.load(z);
            for (int k = 0; k < 6; ++k) {
                const std::size_t id = k == 0 ? c.argmax() : static_cast<std::size_t>(gen() % n);
                const Ref want = naive(z, id);
                for (const float max : {std::numeric_limits<float>::quiet_NaN(), c.input_max()}) {
                    const gs::RawChoice got = gs::raw_choice(z, static_cast<std::int32_t>(id), max);
                    EXPECT_EQ(got.rank, want.rank) << "n=" << n << " shape=" << shape << " id=" << id;
                    // compare's one-pass twin: raw_choice's and compute_entropy's bits.
                    const gs::RawChoiceEntropy both =
                        gs::raw_p_with_entropy(z, static_cast<std::int32_t>(id), max, nullptr);
                    const gs::EntropyStats h = gs::compute_entropy(z);
                    EXPECT_EQ(both.choice.rank, 0u);
                    EXPECT_EQ(std::bit_cast<std::uint64_t>(both.choice.p), std::bit_cast<std::uint64_t>(got.p));
                    EXPECT_EQ(std::bit_cast<std::uint64_t>(both.choice.logp), std::bit_cast<std::uint64_t>(got.logp));
                    EXPECT_EQ(std::bit_cast<std::uint64_t>(both.entropy.entropy_nats),
                              std::bit_cast<std::uint64_t>(h.entropy_nats));
                    EXPECT_EQ(std::bit_cast<std::uint64_t>(both.entropy.perplexity),
                              std::bit_cast<std::uint64_t>(h.perplexity));
                    if (z[id] == kNegInf) {
                        EXPECT_EQ(got.p, 0.0);
                        EXPECT_EQ(got.logp, -std::numeric_limits<double>::infinity());
                        continue;
                    }
                    // The documented bound: |Δ ln p| <= 1e-6, so p within 1e-6 relative.
                    EXPECT_NEAR(got.logp, want.logp, 1e-6) << "n=" << n << " shape=" << shape << " id=" << id;
                    EXPECT_NEAR(got.p, want.p, 1e-6 * want.p + 1e-300) << "n=" << n << " shape=" << shape;
                    EXPECT_DOUBLE_EQ(std::exp(got.logp), got.p);
                    ++checked;
                }
            }
        }
    }
    EXPECT_GT(checked, 300);
}

TEST(SamplingRawChoice, HandComputed) {
    const std::vector<float> z = {std::log(0.1f), std::log(0.2f), std::log(0.3f), std::log(0.4f), kNegInf};
    const gs::RawChoice a = gs::raw_choice(z, 1);
    EXPECT_NEAR(a.p, 0.2, 1e-7);
    EXPECT_NEAR(a.logp, std::log(0.2), 1e-6);
    EXPECT_EQ(a.rank, 3u);
    const gs::RawChoice b = gs::raw_choice(z, 4);
    EXPECT_EQ(b.p, 0.0);
    EXPECT_EQ(b.rank, 5u);
    const std::vector<float> one = {3.0f};
    EXPECT_EQ(gs::raw_choice(one, 0).p, 1.0);
    EXPECT_EQ(gs::raw_choice(one, 0).logp, 0.0);
    EXPECT_EQ(gs::raw_choice(one, 0).rank, 1u);
}

namespace {

std::uint64_t bits(double x) { return std::bit_cast<std::uint64_t>(x); }

}  // namespace

// The sums compute_probs() keeps (Candidates::exp_sums, loaded_exp_sums)
// stand in for a pass of the statistics' own: the same bits, and never once
// the candidates have changed under them.
TEST(SamplingRawChoice, SoftmaxSumsServeTheStatisticsWithTheSameBits) {
    std::mt19937_64 gen(11);
    for (std::size_t n : {1u, 9u, 17u, 1000u, 50257u}) {
        for (int shape = 0; shape < 5; ++shape) {
            if (shape == 3 && n <= 2) continue;
            const std::vector<float> z = make(shape, n, gen);
            gs::Candidates c;
            c.load(z);
            c.compute_probs();   // not asked to keep them
            EXPECT_EQ(c.exp_sums(), nullptr);
            EXPECT_EQ(c.loaded_exp_sums(), nullptr);
            c.keep_entropy_sums(true);
            c.load(z);
            EXPECT_EQ(c.exp_sums(), nullptr);
            EXPECT_EQ(c.loaded_exp_sums(), nullptr);
            const gs::EntropyStats fresh = gs::compute_entropy(z);
            c.compute_probs();
            ASSERT_NE(c.exp_sums(), nullptr);
            ASSERT_NE(c.loaded_exp_sums(), nullptr);
            EXPECT_EQ(bits(gs::compute_entropy(c).entropy_nats), bits(fresh.entropy_nats));
            const auto id = static_cast<std::int32_t>(gen() % n);
            const gs::RawChoiceEntropy pass = gs::raw_p_with_entropy(z, id, c.input_max(), nullptr);
            const gs::RawChoiceEntropy kept = gs::raw_p_with_entropy(z, id, c.input_max(), c.loaded_exp_sums());
            EXPECT_EQ(bits(kept.choice.p), bits(pass.choice.p)) << "n=" << n << " shape=" << shape;
            EXPECT_EQ(bits(kept.choice.logp), bits(pass.choice.logp));
            EXPECT_EQ(bits(kept.entropy.entropy_nats), bits(pass.entropy.entropy_nats));
            EXPECT_EQ(bits(kept.entropy.perplexity), bits(pass.entropy.perplexity));
            EXPECT_EQ(bits(gs::raw_choice(z, id).p), bits(pass.choice.p));

            // A later stage rescales the logits: the current sums go, the
            // loaded ones stay (they describe z, which has not changed).
            for (float& v : c.logits()) v = v / 0.7f;
            c.mark_logits_changed(true);
            EXPECT_EQ(c.exp_sums(), nullptr);
            ASSERT_NE(c.loaded_exp_sums(), nullptr);
            const std::vector<float> scaled(c.logits().begin(), c.logits().end());
            c.compute_probs();   // a softmax of changed candidates: not the loaded distribution's
            ASSERT_NE(c.exp_sums(), nullptr);
            EXPECT_EQ(bits(gs::compute_entropy(c).entropy_nats), bits(gs::compute_entropy(scaled).entropy_nats));
            EXPECT_EQ(bits(kept.choice.p),
                      bits(gs::raw_p_with_entropy(z, id, c.input_max(), c.loaded_exp_sums()).choice.p));

            // Filters and reorders drop the current sums too.
            if (n > 1) {
                c.keep_top(n / 2 + 1);
                EXPECT_EQ(c.exp_sums(), nullptr);
                c.compute_probs();
                ASSERT_NE(c.exp_sums(), nullptr);
                c.truncate(1);
                EXPECT_EQ(c.exp_sums(), nullptr);
            }
            // The next load() forgets both.
            c.load(z);
            EXPECT_EQ(c.exp_sums(), nullptr);
            EXPECT_EQ(c.loaded_exp_sums(), nullptr);
            // A softmax after a change is never taken for the loaded one.
            c.mark_logits_changed(true);
            c.compute_probs();
            EXPECT_EQ(c.loaded_exp_sums(), nullptr);
        }
    }
}
