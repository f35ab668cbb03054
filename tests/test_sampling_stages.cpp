// Each sampling stage against hand-computed distributions, edge cases, and
// Hugging Face's top-p / typical-p kept sets (tests/data/sampling/hf_goldens.json,
// made by scripts/make_sampling_goldens.py with PyTorch).
#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <numeric>
#include <random>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "gpt2/error.hpp"
#include "gpt2/sampling.hpp"
#include "sampling/vec_math.hpp"
#include "support/naive_top_p.hpp"
#include "support/test_env.hpp"

namespace gs = gpt2::sampling;

namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

std::vector<float> log_of(std::vector<double> p) {
    std::vector<float> z;
    for (double v : p) z.push_back(static_cast<float>(std::log(v)));
    return z;
}

// id -> probability of the live candidates (renormalised).
std::map<int, double> dist_of(gs::Candidates& c) {
    c.compute_probs();
    std::map<int, double> out;
    for (std::size_t i = 0; i < c.size(); ++i) out[c.ids()[i]] = c.probs()[i];
    return out;
}

void expect_dist(gs::Candidates& c, const std::map<int, double>& expected, double tol = 1e-5) {
    const auto got = dist_of(c);
    ASSERT_EQ(got.size(), expected.size());
    for (const auto& [id, p] : expected) {
        ASSERT_TRUE(got.count(id)) << "token " << id << " missing";
        EXPECT_NEAR(got.at(id), p, tol) << "token " << id;
    }
}

gs::Candidates load(const std::vector<float>& z) {
    gs::Candidates c;
    c.load(z);
    return c;
}

template <class Stage>
void run(Stage&& stage, gs::Candidates& c) {
    gs::Rng rng(1);
    stage.apply(c, rng);
}

std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const gpt2::Error& e) {
        return e.what();
    }
    return "<no error>";
}

const std::vector<double> kP4 = {0.1, 0.2, 0.3, 0.4};

}  // namespace

// ---- candidates ----

TEST(SamplingCandidates, LoadRejectsNanInfEmptyAllBanned) {
    gs::Candidates c;
    EXPECT_NE(error_of([&] { c.load(std::vector<float>{0.0f, NAN, 1.0f}); }).find("NaN at index 1"), std::string::npos);
    EXPECT_NE(error_of([&] { c.load(std::vector<float>{INFINITY}); }).find("+inf"), std::string::npos);
    EXPECT_NE(error_of([&] { c.load(std::vector<float>{}); }).find("empty"), std::string::npos);
    EXPECT_NE(error_of([&] { c.load(std::vector<float>{kNegInf, kNegInf}); }).find("all 2 values are -inf"),
              std::string::npos);
    c.load(std::vector<float>{kNegInf, 0.0f});
    EXPECT_TRUE(c.dense());
    EXPECT_EQ(c.size(), 2u);
}

TEST(SamplingCandidates, SoftmaxMatchesDoubleReference) {
    std::mt19937_64 gen(7);
    std::normal_distribution<float> normal(0.0f, 3.0f);
    for (std::size_t n : {1u, 7u, 8u, 9u, 100u, 50257u}) {
        std::vector<float> z(n);
        for (float& v : z) v = normal(gen);
        if (n > 3) z[2] = kNegInf;
        gs::Candidates c = load(z);
        c.compute_probs();
        const double m = *std::max_element(z.begin(), z.end());
        double s = 0.0;
        for (float v : z) s += std::exp(v - m);
        for (std::size_t i = 0; i < n; ++i) {
            const double want = std::exp(z[i] - m) / s;
            EXPECT_NEAR(c.probs()[i], want, 2e-6 * want + 1e-30) << "n=" << n << " i=" << i;
        }
        if (n > 3) {
            EXPECT_EQ(c.probs()[2], 0.0f);
        }
    }
}

TEST(SamplingCandidates, FastExpWithinFourUlpOfStdExp) {
    double worst = 0.0;
    for (int i = 0; i <= 873000; ++i) {
        const float x = -static_cast<float>(i) * 1e-4f;
        const double want = std::exp(static_cast<double>(x));
        const double got = gs::vec::exp_nonpositive(x);
        worst = std::max(worst, std::fabs(got - want) / want);
    }
    EXPECT_LT(worst, 4 * 6e-8);   // 4 ulp of float (2^-24 ~ 6e-8)
    EXPECT_EQ(gs::vec::exp_nonpositive(kNegInf), 0.0f);
    EXPECT_EQ(gs::vec::exp_nonpositive(0.0f), 1.0f);
}

TEST(SamplingCandidates, KthLargestMatchesSortAndKeepsTies) {
    std::mt19937_64 gen(3);
    std::uniform_int_distribution<int> small(0, 200);   // many ties
    std::vector<float> z(50257);
    for (float& v : z) v = static_cast<float>(small(gen)) * 0.01f;
    gs::Candidates c = load(z);
    std::vector<float> sorted = z;
    std::sort(sorted.begin(), sorted.end(), std::greater<float>());
    for (std::size_t k : {1u, 2u, 40u, 1000u, 50257u}) EXPECT_EQ(c.kth_largest_logit(k), sorted[k - 1]) << k;
}

// ---- greedy / temperature ----

// max_logit() is kept from load() until something changes the logits or
// the set; after every stage it must still be the largest live logit.
TEST(SamplingCandidates, KeptMaxFollowsEveryChange) {
    const auto naive_max = [](const gs::Candidates& c) {
        float m = -std::numeric_limits<float>::infinity();
        for (float z : c.logits()) m = std::max(m, z);
        return m;
    };
    gs::Candidates c = load({1.0f, 5.0f, 3.0f, kNegInf, 2.0f});
    EXPECT_EQ(c.max_logit(), 5.0f);
    c.logits()[1] = 0.0f;   // a write in place, announced
    c.mark_logits_changed();
    EXPECT_EQ(c.max_logit(), 3.0f);
    c.sort_descending();
    c.truncate(2);
    EXPECT_EQ(c.max_logit(), 3.0f);
    c.replace(std::vector<gs::Candidates::Entry>{{7, -1.0f, 0.0f}, {8, -2.0f, 0.0f}}, true, false);
    EXPECT_EQ(c.max_logit(), -1.0f);
    for (float& z : c.logits()) z *= 0.5f;
    c.mark_logits_rescaled(-0.5f);
    EXPECT_EQ(c.max_logit(), -0.5f);

    std::mt19937_64 gen(9);
    std::normal_distribution<float> normal(0.0f, 2.0f);
    for (int round = 0; round < 20; ++round) {
        std::vector<float> z(5000);
        for (float& v : z) v = gen() % 4 == 0 ? -4.0f : normal(gen);
        z[gen() % z.size()] = kNegInf;
        std::vector<std::unique_ptr<gs::Sampler>> stages;
        stages.push_back(std::make_unique<gs::LogitBias>(std::vector<std::pair<std::int32_t, float>>{
            {static_cast<std::int32_t>(gen() % 5000), 6.0f}, {static_cast<std::int32_t>(gen() % 5000), kNegInf}}));
        stages.push_back(std::make_unique<gs::Temperature>(round % 2 == 0 ? 0.7f : 1.5f));
        stages.push_back(std::make_unique<gs::TopK>(1000));
        stages.push_back(std::make_unique<gs::TopP>(0.95));
        stages.push_back(std::make_unique<gs::MinP>(0.01f));
        stages.push_back(std::make_unique<gs::TypicalP>(0.99f));
        stages.push_back(std::make_unique<gs::TopNSigma>(2.0f));
        std::shuffle(stages.begin(), stages.end(), gen);
        c.load(z);
        gs::Rng rng(1);
        for (const auto& stage : stages) {
            stage->apply(c, rng);
            ASSERT_EQ(c.max_logit(), naive_max(c)) << stage->name() << " (round " << round << ")";
        }
    }
}

TEST(SamplingGreedy, ArgmaxFirstOnTies) {
    gs::Candidates c = load(log_of(kP4));
    run(gs::Greedy(), c);
    EXPECT_EQ(c.selected, 3);
    expect_dist(c, {{3, 1.0}});
    gs::Candidates t = load({1.0f, 5.0f, 5.0f, 2.0f});
    run(gs::Greedy(), t);
    EXPECT_EQ(t.selected, 1);
}

TEST(SamplingTemperature, ScalesAsPowerOfProbabilities) {
    // p_i^(1/T) renormalised, T = 2.
    gs::Candidates c = load(log_of(kP4));
    run(gs::Temperature(2.0f), c);
    double s = 0.0;
    for (double p : kP4) s += std::sqrt(p);
    expect_dist(c, {{0, std::sqrt(0.1) / s}, {1, std::sqrt(0.2) / s}, {2, std::sqrt(0.3) / s}, {3, std::sqrt(0.4) / s}});
}

TEST(SamplingTemperature, ZeroIsGreedyTinyAndHugeAreLimits) {
    gs::Candidates c = load(log_of(kP4));
    run(gs::Temperature(0.0f), c);
    expect_dist(c, {{3, 1.0}});

    gs::Candidates tiny = load({100.0f, 99.0f, -3.0e38f, kNegInf});
    run(gs::Temperature(1e-30f), tiny);
    const auto d = dist_of(tiny);
    EXPECT_EQ(d.at(0), 1.0);
    for (float v : tiny.probs()) EXPECT_FALSE(std::isnan(v));
    EXPECT_EQ(d.at(1), 0.0);

    gs::Candidates huge = load(log_of(kP4));
    run(gs::Temperature(1e30f), huge);
    expect_dist(huge, {{0, 0.25}, {1, 0.25}, {2, 0.25}, {3, 0.25}});
}

TEST(SamplingTemperature, RejectsOutOfRange) {
    const std::string msg = error_of([] { gs::Temperature t(-1.0f); });
    EXPECT_NE(msg.find("temperature must be in [0, inf), got -1"), std::string::npos) << msg;
    EXPECT_NE(error_of([] { gs::Temperature t(INFINITY); }), "<no error>");
    EXPECT_NE(error_of([] { gs::Temperature t(NAN); }), "<no error>");
}

// ---- top-k ----

TEST(SamplingTopK, KeepsKAndRenormalises) {
    gs::Candidates c = load(log_of(kP4));
    run(gs::TopK(2), c);
    expect_dist(c, {{3, 0.571429}, {2, 0.428571}});
    EXPECT_TRUE(c.sorted());
}

TEST(SamplingTopK, OffWhenKNonPositiveOrAtLeastVocab) {
    for (int k : {0, -5, 4, 100}) {
        gs::Candidates c = load(log_of(kP4));
        run(gs::TopK(k), c);
        expect_dist(c, {{0, 0.1}, {1, 0.2}, {2, 0.3}, {3, 0.4}});
    }
}

TEST(SamplingTopK, TiesAtTheKthLogitAreAllKept) {
    gs::Candidates c = load({1.0f, 2.0f, 2.0f, 2.0f, 0.0f});
    run(gs::TopK(2), c);
    expect_dist(c, {{1, 1.0 / 3}, {2, 1.0 / 3}, {3, 1.0 / 3}});
    gs::Candidates e = load({0.0f, 0.0f, 0.0f, 0.0f});   // all equal: nothing to cut
    run(gs::TopK(1), e);
    EXPECT_EQ(e.size(), 4u);
}

TEST(SamplingTopK, MatchesNaiveOnVocabulary) {
    std::mt19937_64 gen(11);
    std::normal_distribution<float> normal(0.0f, 2.0f);
    std::vector<float> z(50257);
    for (float& v : z) v = normal(gen);
    gs::Candidates c = load(z);
    run(gs::TopK(40), c);
    std::vector<int> idx(z.size());
    std::iota(idx.begin(), idx.end(), 0);
    std::sort(idx.begin(), idx.end(), [&](int a, int b) { return z[a] > z[b]; });
    ASSERT_EQ(c.size(), 40u);
    for (std::size_t i = 0; i < 40; ++i) EXPECT_EQ(c.ids()[i], idx[i]);
}

// ---- top-p ----

TEST(SamplingTopP, HandComputed) {
    gs::Candidates c = load(log_of(kP4));
    run(gs::TopP(0.7), c);
    expect_dist(c, {{3, 0.571429}, {2, 0.428571}});
    gs::Candidates one = load(log_of(kP4));
    run(gs::TopP(0.3), one);   // tail of 0.3 is 0.6 <= 0.7: only the 0.4 token
    expect_dist(one, {{3, 1.0}});
}

TEST(SamplingTopP, OneIsOffTinyKeepsOne) {
    gs::Candidates c = load(log_of(kP4));
    run(gs::TopP(1.0), c);
    EXPECT_EQ(c.size(), 4u);
    gs::Candidates t = load(log_of(kP4));
    run(gs::TopP(1e-9), t);
    expect_dist(t, {{3, 1.0}});
    EXPECT_NE(error_of([] { gs::TopP p(0.0); }).find("top_p must be in (0, 1], got 0"), std::string::npos);
    EXPECT_NE(error_of([] { gs::TopP p(1.5); }).find("got 1.5"), std::string::npos);
}

TEST(SamplingTopP, NegInfTokensNeverKept) {
    gs::Candidates c = load({0.0f, kNegInf, 0.0f, kNegInf});
    run(gs::TopP(0.99), c);
    expect_dist(c, {{0, 0.5}, {2, 0.5}});
}

namespace {
nlohmann::json hf_goldens() {
    std::ifstream in(gpt2::test::test_data_dir() / "sampling" / "hf_goldens.json");
    return nlohmann::json::parse(in);
}
std::vector<int> sorted_ids(const gs::Candidates& c) {
    std::vector<int> ids(c.ids().begin(), c.ids().end());
    std::sort(ids.begin(), ids.end());
    return ids;
}
}  // namespace

TEST(SamplingTopP, MatchesHuggingFaceKeptSets) {
    const auto doc = hf_goldens();
    int checked = 0;
    for (const auto& cs : doc["cases"]) {
        const auto z = cs["logits"].get<std::vector<float>>();
        for (const auto& g : cs["top_p"]) {
            gs::Candidates c = load(z);
            run(gs::TopP(g["p"].get<double>()), c);
            EXPECT_EQ(sorted_ids(c), g["kept"].get<std::vector<int>>())
                << cs["kind"] << " n=" << z.size() << " p=" << g["p"];
            ++checked;
        }
    }
    EXPECT_EQ(checked, 20);
}

TEST(SamplingTypicalP, MatchesHuggingFaceKeptSets) {
    const auto doc = hf_goldens();
    for (const auto& cs : doc["cases"]) {
        const auto z = cs["logits"].get<std::vector<float>>();
        for (const auto& g : cs["typical_p"]) {
            gs::Candidates c = load(z);
            run(gs::TypicalP(g["mass"].get<float>()), c);
            EXPECT_EQ(sorted_ids(c), g["kept"].get<std::vector<int>>())
                << cs["kind"] << " n=" << z.size() << " mass=" << g["mass"];
        }
    }
}

// ---- min-p / typical / top-n-sigma ----

TEST(SamplingMinP, KeepsAboveFractionOfMax) {
    gs::Candidates c = load(log_of(kP4));
    run(gs::MinP(0.55f), c);   // threshold 0.22
    expect_dist(c, {{3, 0.571429}, {2, 0.428571}});
    gs::Candidates all = load(log_of(kP4));
    run(gs::MinP(0.2f), all);   // threshold 0.08
    EXPECT_EQ(all.size(), 4u);
    gs::Candidates one = load(log_of(kP4));
    run(gs::MinP(1.0f), one);
    expect_dist(one, {{3, 1.0}});
    EXPECT_NE(error_of([] { gs::MinP m(1.5f); }).find("min_p must be in [0, 1], got 1.5"), std::string::npos);
}

TEST(SamplingTypicalP, HandComputed) {
    // H = 1.27985; |-ln p - H| = {1.0227, 0.3296, 0.0759, 0.3636}: order .3, .2, .4, .1
    // with cumulative mass .3, .5, .9, 1.
    gs::Candidates c = load(log_of(kP4));
    run(gs::TypicalP(0.4f), c);   // one prefix sum < 0.4 -> cut at index 1
    expect_dist(c, {{2, 0.6}, {1, 0.4}});
    gs::Candidates one = load(log_of(kP4));
    run(gs::TypicalP(0.25f), one);
    expect_dist(one, {{2, 1.0}});
    gs::Candidates three = load(log_of(kP4));
    run(gs::TypicalP(0.8f), three);
    expect_dist(three, {{2, 1.0 / 3}, {1, 2.0 / 9}, {3, 4.0 / 9}});
    EXPECT_NE(error_of([] { gs::TypicalP t(0.0f); }).find("typical_p must be in (0, 1]"), std::string::npos);
}

TEST(SamplingTopNSigma, KeepsWithinNSigmaOfMax) {
    // logits 0..4: mean 2, population sigma sqrt(2) = 1.41421.
    const std::vector<float> z = {0.0f, 1.0f, 2.0f, 3.0f, 4.0f, kNegInf};
    gs::Candidates c = load(z);
    run(gs::TopNSigma(1.0f), c);   // >= 2.586
    EXPECT_EQ(sorted_ids(c), (std::vector<int>{3, 4}));
    gs::Candidates two = load(z);
    run(gs::TopNSigma(2.0f), two);   // >= 1.172
    EXPECT_EQ(sorted_ids(two), (std::vector<int>{2, 3, 4}));
    gs::Candidates zero = load(z);
    run(gs::TopNSigma(0.0f), zero);
    EXPECT_EQ(sorted_ids(zero), (std::vector<int>{4}));
    EXPECT_NE(error_of([] { gs::TopNSigma t(-1.0f); }).find("top_n_sigma must be in [0, inf), got -1"),
              std::string::npos);
}

// ---- penalties / bias ----

TEST(SamplingPenalties, CtrlThenFrequencyPresence) {
    gs::Penalties pen({2.0f, 0.5f, 0.25f, 64});
    for (int t : {0, 1, 0}) pen.accept(t);
    const std::vector<float> z = {2.0f, -2.0f, 1.0f, 0.5f};
    const std::vector<float> want = {2.0f / 2 - 2 * 0.5f - 0.25f, -2.0f * 2 - 0.5f - 0.25f, 1.0f, 0.5f};
    gs::Candidates c = load(z);
    run(pen, c);
    for (int i = 0; i < 4; ++i) EXPECT_FLOAT_EQ(c.logits()[i], want[i]) << i;
    // Same through the non-dense path (candidates in another order).
    gs::Candidates shuffled;
    const std::vector<gs::Candidates::Entry> e = {{3, 0.5f, 0}, {1, -2.0f, 0}, {0, 2.0f, 0}, {2, 1.0f, 0}};
    shuffled.assign(e);
    EXPECT_FALSE(shuffled.dense());
    run(pen, shuffled);
    for (std::size_t i = 0; i < 4; ++i) EXPECT_FLOAT_EQ(shuffled.logits()[i], want[shuffled.ids()[i]]) << i;
}

TEST(SamplingPenalties, WindowResetAndValidation) {
    gs::Penalties pen({1.5f, 0.0f, 0.0f, 2});
    for (int t : {0, 1, 2}) pen.accept(t);
    EXPECT_EQ(pen.count(0), 0);   // slid out of the window
    EXPECT_EQ(pen.count(1), 1);
    EXPECT_EQ(pen.count(2), 1);
    pen.reset();
    EXPECT_EQ(pen.count(1), 0);
    EXPECT_NE(error_of([] { gs::Penalties p({0.0f, 0.0f, 0.0f, 64}); }).find("repeat_penalty must be in (0, inf)"),
              std::string::npos);
    EXPECT_NE(error_of([] { gs::Penalties p({1.0f, 2.5f, 0.0f, 64}); }).find("frequency_penalty must be in [-2, 2]"),
              std::string::npos);
    EXPECT_NE(error_of([] { gs::Penalties p({1.0f, 0.0f, 0.0f, -1}); }).find("penalty_last_n"), std::string::npos);
}

TEST(SamplingLogitBias, AddsAndBans) {
    gs::Candidates c = load({0.0f, 0.0f, 0.0f, 0.0f});
    run(gs::LogitBias({{1, 2.0f}, {3, kNegInf}, {1, 0.5f}}), c);
    const double e = std::exp(2.5);
    expect_dist(c, {{0, 1 / (2 + e)}, {1, e / (2 + e)}, {2, 1 / (2 + e)}, {3, 0.0}});
    gs::Candidates out = load({0.0f, 0.0f});
    EXPECT_NE(error_of([&] { run(gs::LogitBias({{5, 1.0f}}), out); }).find("outside the vocabulary"),
              std::string::npos);
    EXPECT_NE(error_of([] { gs::LogitBias b({{1, INFINITY}}); }).find("finite or -inf"), std::string::npos);
    EXPECT_NE(error_of([] { gs::LogitBias b({{-1, 1.0f}}); }).find(">= 0"), std::string::npos);
}

TEST(SamplingLogitBias, BanningEverythingIsAnErrorAtTheDraw) {
    gs::Candidates c = load({0.0f, 1.0f});
    run(gs::LogitBias({{0, kNegInf}, {1, kNegInf}}), c);
    EXPECT_NE(error_of([&] { run(gs::Dist(), c); }).find("probability 0"), std::string::npos);
}

// ---- mirostat / dist ----

TEST(SamplingMirostat, TruncatesBySurpriseAndUpdatesMu) {
    gs::MirostatV2 m(1.0f, 0.5f);   // mu = 2: keep p >= 2^-2 = 0.25
    EXPECT_FLOAT_EQ(m.mu(), 2.0f);
    gs::Candidates c = load(log_of(kP4));
    run(m, c);
    ASSERT_TRUE(c.selected == 2 || c.selected == 3);
    const double p_after = c.selected == 3 ? 0.4 / 0.7 : 0.3 / 0.7;
    EXPECT_NEAR(m.mu(), 2.0 - 0.5 * (-std::log2(p_after) - 1.0), 1e-5);
    expect_dist(c, {{3, 0.571429}, {2, 0.428571}});
    m.reset();
    EXPECT_FLOAT_EQ(m.mu(), 2.0f);
    EXPECT_NE(error_of([] { gs::MirostatV2 x(0.0f, 0.1f); }).find("mirostat_tau"), std::string::npos);
    EXPECT_NE(error_of([] { gs::MirostatV2 x(5.0f, 1.5f); }).find("mirostat_eta must be in (0, 1], got 1.5"),
              std::string::npos);
}

TEST(SamplingDist, InverseCdfBoundaries) {
    gs::Candidates c = load(log_of(kP4));
    c.compute_probs();
    EXPECT_EQ(gs::draw_index(c, 0.0), 0u);
    EXPECT_EQ(gs::draw_index(c, 0.05), 0u);
    EXPECT_EQ(gs::draw_index(c, 0.15), 1u);
    EXPECT_EQ(gs::draw_index(c, 0.45), 2u);
    EXPECT_EQ(gs::draw_index(c, 0.65), 3u);
    EXPECT_EQ(gs::draw_index(c, std::nextafter(1.0, 0.0)), 3u);
}

// ---- fast paths against naive twins on a full vocabulary ----

using gpt2::test::naive_top_p;   // HF's rule the slow way: full sort, tails as total - head in double

TEST(SamplingTopP, FastPathsMatchFullSortOnVocabulary) {
    std::mt19937_64 gen(21);
    std::normal_distribution<float> normal(0.0f, 1.5f);
    std::vector<float> flat(50257), peaked(50257);
    for (float& v : flat) v = normal(gen);
    for (std::size_t i = 0; i < peaked.size(); ++i) {
        peaked[i] = -1.8f * std::log(static_cast<float>((i * 7919) % peaked.size() + 1)) + 0.3f * normal(gen);
    }
    flat[17] = kNegInf;
    for (const auto* z : {&flat, &peaked}) {
        for (double p : {1e-6, 0.1, 0.5, 0.9, 0.95, 0.99, 0.999}) {
            gs::Candidates c = load(*z);
            run(gs::TopP(p), c);
            EXPECT_EQ(sorted_ids(c), naive_top_p(*z, p)) << (z == &flat ? "flat" : "peaked") << " p=" << p;
        }
    }
}

TEST(SamplingDist, BlockSkippingMatchesLinearScan) {
    std::mt19937_64 gen(4);
    std::uniform_real_distribution<float> uni(0.0f, 1.0f);
    std::vector<float> z(5003);
    for (float& v : z) v = std::log(uni(gen) + 1e-3f);
    z[100] = kNegInf;
    gs::Candidates c = load(z);
    c.compute_probs();
    const auto p = c.probs();
    double total = 0.0;
    for (float v : p) total += v;
    for (int k = 0; k < 2000; ++k) {
        const double u = (k + 0.37) / 2000.0;
        double cum = 0.0;
        std::size_t want = 0;
        for (std::size_t i = 0; i < p.size(); ++i) {
            cum += p[i];
            if (u * total < cum) {
                want = i;
                break;
            }
        }
        EXPECT_EQ(gs::draw_index(c, u), want) << "u=" << u;
    }
}
