// compute_stats / nucleus_size against their definitions, on many random
// distributions: the nucleus sizes against a sort and a cumulative double
// sum, the entropy against -Σ p ln p of a double softmax, support and top-1
// against direct counts. compute_stats files probabilities into integer
// sub-histograms and selects inside the buckets holding the cuts, so the
// shapes include the cases that stress that: peaked and flat, many ties
// (both cuts in one bucket), -inf holes, probabilities that underflow to 0,
// and a StatsScratch reused across sizes (its histogram must come back zero).
// The logits-span overload must give exactly the Candidates version's numbers.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "gpt2/error.hpp"
#include "gpt2/sampling.hpp"

namespace gs = gpt2::sampling;

namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

enum Shape { kPeaked, kFlat, kTies, kHoles, kUnderflow, kSteps, kShapes };

std::vector<float> make(int shape, std::size_t n, std::mt19937_64& gen) {
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::uniform_real_distribution<float> spread(0.2f, 6.0f);
    const float s = spread(gen);
    std::vector<float> z(n);
    for (std::size_t i = 0; i < n; ++i) {
        switch (shape) {
            case kPeaked: z[i] = -1.8f * std::log(static_cast<float>(1 + gen() % n)) + 0.3f * normal(gen); break;
            case kFlat: z[i] = s * normal(gen); break;
            case kTies: z[i] = static_cast<float>(gen() % 4); break;
            case kHoles: z[i] = gen() % 3 == 0 ? kNegInf : s * normal(gen); break;
            case kUnderflow: z[i] = gen() % 2 == 0 ? 0.0f : -100.0f - 20.0f * s * std::abs(normal(gen)); break;
            default: z[i] = std::round(4.0f * s * normal(gen)) / 4.0f; break;   // coarse steps: long runs of ties
        }
    }
    z[gen() % n] = 1.0f;   // at least one finite logit (kHoles)
    return z;
}

// Definitions, in double from the logits (independent of the library's exp).
struct Naive {
    double entropy = 0.0;
    std::size_t support = 0;
};
Naive naive(const std::vector<float>& z) {
    const double m = *std::max_element(z.begin(), z.end());
    double sum = 0.0;
    for (float v : z) sum += std::exp(static_cast<double>(v) - m);
    Naive r;
    for (float v : z) {
        const double p = std::exp(static_cast<double>(v) - m) / sum;
        if (p > 0.0) r.entropy -= p * std::log(p);
    }
    return r;
}

std::size_t by_sort(std::vector<double> p, double mass) {
    std::sort(p.begin(), p.end(), std::greater<double>());
    double cum = 0.0;
    for (std::size_t j = 0; j < p.size(); ++j) {
        cum += p[j];
        if (cum >= mass) return j + 1;
    }
    return p.size();
}

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

}  // namespace

TEST(SamplingStatsRandom, MatchesDefinitions) {
    std::mt19937_64 gen(2024);
    gs::StatsScratch scratch;   // reused throughout, sizes up and down
    const std::size_t sizes[] = {1, 2, 7, 8, 9, 31, 1000, 4099, 50257};
    for (int trial = 0; trial < 120; ++trial) {
        const int shape = trial % kShapes;
        const std::size_t n = sizes[static_cast<std::size_t>(trial / kShapes) % std::size(sizes)];
        const std::vector<float> z = make(shape, n, gen);
        gs::Candidates c;
        c.load(z);
        const gs::DistStats s = gs::compute_stats(c, scratch);
        const std::string where = "shape " + std::to_string(shape) + " n " + std::to_string(n);

        // The probabilities the library samples from (its own exp): the
        // nucleus sizes are defined on them.
        c.compute_probs();
        const std::vector<double> p(c.probs().begin(), c.probs().end());
        EXPECT_EQ(s.size, n) << where;
        EXPECT_EQ(s.support, static_cast<std::size_t>(std::count_if(p.begin(), p.end(), [](double v) { return v > 0.0; })))
            << where;
        EXPECT_NEAR(s.top1_p, *std::max_element(p.begin(), p.end()), 1e-6) << where;
        EXPECT_EQ(s.nucleus_90, by_sort(p, 0.90)) << where;
        EXPECT_EQ(s.nucleus_95, by_sort(p, 0.95)) << where;
        const Naive ref = naive(z);
        EXPECT_NEAR(s.entropy_nats, ref.entropy, 1e-5 * std::max(1.0, ref.entropy)) << where;
        EXPECT_NEAR(s.perplexity, std::exp(ref.entropy), 1e-5 * std::exp(ref.entropy)) << where;

        // nucleus_size on the same probabilities, other masses.
        const std::vector<float> pf(c.probs().begin(), c.probs().end());
        for (double mass : {0.0, 0.3, 0.5, 0.99, 1.5}) {
            EXPECT_EQ(gs::nucleus_size(pf, mass, scratch), by_sort(p, mass)) << where << " mass " << mass;
        }

        // The logits-span overload: the same numbers, bit for bit.
        const gs::DistStats d = gs::compute_stats(std::span<const float>(z), scratch);
        EXPECT_EQ(d.size, s.size) << where;
        EXPECT_EQ(d.support, s.support) << where;
        EXPECT_EQ(d.nucleus_90, s.nucleus_90) << where;
        EXPECT_EQ(d.nucleus_95, s.nucleus_95) << where;
        EXPECT_TRUE(same_bits(d.entropy_nats, s.entropy_nats)) << where;
        EXPECT_TRUE(same_bits(d.top1_p, s.top1_p)) << where;

        // compute_entropy: compute_stats' entropy figures, bit for bit, from
        // candidates and from the logits; and after a stage cut the set
        // (sorted, fewer candidates: another path through the same pass).
        for (const gs::EntropyStats& e : {gs::compute_entropy(c), gs::compute_entropy(std::span<const float>(z))}) {
            EXPECT_TRUE(same_bits(e.entropy_nats, s.entropy_nats)) << where;
            EXPECT_TRUE(same_bits(e.entropy_bits, s.entropy_bits)) << where;
            EXPECT_TRUE(same_bits(e.perplexity, s.perplexity)) << where;
        }
        gs::Candidates cut = c;
        cut.keep_top(std::max<std::size_t>(1, n / 3));
        const gs::DistStats cs = gs::compute_stats(cut, scratch);
        const gs::EntropyStats ce = gs::compute_entropy(cut);
        EXPECT_TRUE(same_bits(ce.entropy_nats, cs.entropy_nats)) << where;
        EXPECT_TRUE(same_bits(ce.perplexity, cs.perplexity)) << where;

        // A fresh scratch agrees with the reused one (the histogram left zero).
        const gs::DistStats f = gs::compute_stats(c);
        EXPECT_EQ(f.nucleus_90, s.nucleus_90) << where;
        EXPECT_EQ(f.nucleus_95, s.nucleus_95) << where;
        EXPECT_TRUE(same_bits(f.entropy_nats, s.entropy_nats)) << where;
    }
}

TEST(SamplingStatsRandom, BothCutsInOneBucket) {
    // Uniform over 1000: every probability in one bucket, both cuts in it.
    gs::StatsScratch scratch;
    const gs::DistStats s = gs::compute_stats(std::vector<float>(1000, 0.25f), scratch);
    EXPECT_EQ(s.nucleus_90, 900u);
    EXPECT_EQ(s.nucleus_95, 950u);
    EXPECT_EQ(s.support, 1000u);
}

TEST(SamplingStatsRandom, SpanOverloadChecksLikeLoad) {
    gs::StatsScratch scratch;
    EXPECT_EQ(gs::compute_stats(std::span<const float>(), scratch).size, 0u);
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const float inf = std::numeric_limits<float>::infinity();
    for (std::size_t at : {0u, 5u, 16u, 18u}) {   // in a vector block and in the tail
        std::vector<float> z(19, 0.0f);
        z[at] = nan;
        EXPECT_THROW(gs::compute_stats(z, scratch), gpt2::Error) << at;
        z[at] = inf;
        EXPECT_THROW(gs::compute_stats(z, scratch), gpt2::Error) << at;
    }
    EXPECT_THROW(gs::compute_stats(std::vector<float>(19, kNegInf), scratch), gpt2::Error);
    // compute_entropy(span) checks the same way.
    EXPECT_EQ(gs::compute_entropy(std::span<const float>()).entropy_nats, 0.0);
    for (std::size_t at : {0u, 5u, 16u, 18u}) {
        std::vector<float> z(19, 0.0f);
        z[at] = nan;
        EXPECT_THROW(gs::compute_entropy(z), gpt2::Error) << at;
        z[at] = inf;
        EXPECT_THROW(gs::compute_entropy(z), gpt2::Error) << at;
    }
    EXPECT_THROW(gs::compute_entropy(std::vector<float>(19, kNegInf)), gpt2::Error);
    EXPECT_EQ(gs::compute_entropy(std::vector<float>{kNegInf, 3.0f, kNegInf}).entropy_nats, 0.0);
    const gs::DistStats one = gs::compute_stats(std::vector<float>{kNegInf, 3.0f, kNegInf}, scratch);
    EXPECT_EQ(one.size, 3u);
    EXPECT_EQ(one.support, 1u);
    EXPECT_EQ(one.top1_p, 1.0);
    EXPECT_EQ(one.entropy_nats, 0.0);
    EXPECT_EQ(one.nucleus_90, 1u);
    EXPECT_EQ(one.nucleus_95, 1u);
}
