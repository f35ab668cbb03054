// The sampler's fast paths against naive twins on random logits: peaked,
// flat, heavy ties, -inf holes, all-equal, parked (most tokens on one low
// logit), and tiny vocabularies.
//   - Candidates::collect_top (one scan) vs kth_largest_logit + collect_at_least
//   - implied ids after load() vs the materialised array
//   - TopP (top-64 try, bucket path with its floor and compaction) vs a full
//     stable sort
//   - TopK vs a full stable sort (ties at the k-th logit kept)
//   - compute_stats with a reused StatsScratch vs a fresh one
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "gpt2/sampling.hpp"
#include "support/naive_top_p.hpp"

namespace gs = gpt2::sampling;

namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

enum Shape { kPeaked, kFlat, kTies, kHoles, kEqual, kParked, kShapes };
const char* shape_name(int s) {
    static const char* names[] = {"peaked", "flat", "ties", "holes", "equal", "parked"};
    return names[s];
}

std::vector<float> make(int shape, std::size_t n, std::mt19937_64& gen) {
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<float> z(n);
    for (std::size_t i = 0; i < n; ++i) {
        switch (shape) {
            case kPeaked: z[i] = -1.8f * std::log(static_cast<float>((i * 7919) % n + 1)) + 0.3f * normal(gen); break;
            case kFlat: z[i] = 1.5f * normal(gen); break;
            case kTies: z[i] = static_cast<float>(gen() % 4); break;
            case kHoles: z[i] = gen() % 3 == 0 ? kNegInf : 2.0f * normal(gen); break;
            // A trained model's unused tokens parked on one low logit (the
            // default model: 80% of them, ~12-15 nats below the top), the
            // rest spread: top-p's bucket path skips the parked ones.
            case kParked: z[i] = gen() % 5 == 0 ? 2.5f * normal(gen) : -4.0f; break;
            default: z[i] = 0.25f; break;
        }
    }
    if (shape != kEqual && n > 3) z[n / 2] = kNegInf;
    z[0] = std::max(z[0], 0.0f);   // never -inf everywhere
    if (shape == kEqual && n > 5) z[3] = kNegInf;   // equal finite logits plus a banned token
    return z;
}

const std::vector<std::size_t> kSizes = {1, 2, 3, 5, 16, 17, 64, 65, 100, 2048, 2049, 5003, 50257};

std::vector<int> sorted_ids(const gs::Candidates& c) {
    std::vector<int> ids(c.ids().begin(), c.ids().end());
    std::sort(ids.begin(), ids.end());
    return ids;
}

// Indices in descending logit order, ties by index (a stable sort).
std::vector<int> by_logit(const std::vector<float>& z) {
    std::vector<int> idx(z.size());
    std::iota(idx.begin(), idx.end(), 0);
    std::stable_sort(idx.begin(), idx.end(), [&](int a, int b) { return z[a] > z[b]; });
    return idx;
}

using gpt2::test::naive_top_p;   // HF's rule on a full stable sort (the definition TopP implements)

}  // namespace

TEST(SamplingFastPaths, CollectTopMatchesKthPlusCollect) {
    std::mt19937_64 gen(31);
    for (std::size_t n : kSizes) {
        for (int shape = 0; shape < kShapes; ++shape) {
            const auto z = make(shape, n, gen);
            gs::Candidates c;
            c.load(z);
            c.compute_probs();
            for (std::size_t k : {1u, 2u, 7u, 40u, 64u, 1000u, 60000u}) {
                std::vector<gs::Candidates::Entry> want, got;
                c.collect_at_least(c.kth_largest_logit(k), want);
                c.collect_top(k, got);
                ASSERT_EQ(got.size(), want.size()) << shape_name(shape) << " n=" << n << " k=" << k;
                for (std::size_t i = 0; i < got.size(); ++i) {
                    EXPECT_EQ(got[i].id, want[i].id) << shape_name(shape) << " n=" << n << " k=" << k << " i=" << i;
                    EXPECT_EQ(got[i].logit, want[i].logit);
                    EXPECT_EQ(got[i].p, want[i].p);
                }
            }
        }
    }
}

TEST(SamplingFastPaths, ImpliedIdsAfterLoad) {
    std::mt19937_64 gen(32);
    const auto z = make(kFlat, 1000, gen);
    gs::Candidates c;
    c.load(z);
    EXPECT_TRUE(c.dense());
    for (std::size_t i = 0; i < c.size(); ++i) ASSERT_EQ(c.id(i), static_cast<std::int32_t>(i));
    const gs::Candidates copy = c;   // a copy keeps the implied ids
    const auto ids = copy.ids();
    for (std::size_t i = 0; i < ids.size(); ++i) ASSERT_EQ(ids[i], static_cast<std::int32_t>(i));
    // A smaller load after a larger one: the ids are those of the new load.
    c.assign(std::vector<gs::Candidates::Entry>{{5, 1.0f, 0.0f}, {9, 2.0f, 0.0f}});
    EXPECT_EQ(c.id(0), 5);
    EXPECT_EQ(c.id(1), 9);
    c.load(std::vector<float>{1.0f, 2.0f, 3.0f});
    EXPECT_EQ(c.ids()[0], 0);
    EXPECT_EQ(c.ids()[2], 2);
    EXPECT_EQ(c.entry(1).id, 1);
}

TEST(SamplingFastPaths, TopPMatchesFullSort) {
    std::mt19937_64 gen(33);
    int checked = 0;
    for (std::size_t n : kSizes) {
        for (int shape = 0; shape < kShapes; ++shape) {
            const auto z = make(shape, n, gen);
            for (double p : {1e-6, 0.05, 0.3, 0.5, 0.9, 0.95, 0.99, 0.999999}) {
                gs::Candidates c;
                c.load(z);
                gs::Rng rng(1);
                gs::TopP(p).apply(c, rng);
                EXPECT_EQ(sorted_ids(c), naive_top_p(z, p)) << shape_name(shape) << " n=" << n << " p=" << p;
                // The survivors' logits travel with their ids.
                for (std::size_t i = 0; i < c.size(); ++i) ASSERT_EQ(c.logits()[i], z[c.ids()[i]]);
                ++checked;
            }
        }
    }
    EXPECT_EQ(checked, static_cast<int>(kSizes.size()) * kShapes * 8);
}

TEST(SamplingFastPaths, TopKMatchesFullSort) {
    std::mt19937_64 gen(34);
    for (std::size_t n : kSizes) {
        for (int shape = 0; shape < kShapes; ++shape) {
            const auto z = make(shape, n, gen);
            const auto order = by_logit(z);
            for (int k : {1, 2, 40, 64, 3000}) {
                gs::Candidates c;
                c.load(z);
                gs::Rng rng(1);
                gs::TopK(k).apply(c, rng);
                if (static_cast<std::size_t>(k) >= n) {
                    EXPECT_EQ(c.size(), n);
                    continue;
                }
                const float kth = z[order[static_cast<std::size_t>(k) - 1]];
                std::vector<int> want;
                for (int id : order) {
                    if (z[id] >= kth) want.push_back(id);
                }
                ASSERT_EQ(c.size(), want.size()) << shape_name(shape) << " n=" << n << " k=" << k;
                for (std::size_t i = 0; i < want.size(); ++i) EXPECT_EQ(c.ids()[i], want[i]);   // descending, stable
            }
        }
    }
}

TEST(SamplingFastPaths, StatsWithReusedScratchMatchFresh) {
    std::mt19937_64 gen(35);
    gs::StatsScratch scratch;   // reused across sizes, large to small and back
    for (std::size_t n : {50257u, 17u, 1u, 5003u, 2u, 50257u}) {
        for (int shape = 0; shape < kShapes; ++shape) {
            gs::Candidates c;
            c.load(make(shape, n, gen));
            const gs::DistStats a = gs::compute_stats(c, scratch);
            const gs::DistStats b = gs::compute_stats(c);
            EXPECT_EQ(a.nucleus_90, b.nucleus_90) << shape_name(shape) << " n=" << n;
            EXPECT_EQ(a.nucleus_95, b.nucleus_95);
            EXPECT_EQ(a.entropy_nats, b.entropy_nats);
            EXPECT_EQ(a.support, b.support);
            EXPECT_EQ(a.top1_p, b.top1_p);
        }
    }
}
