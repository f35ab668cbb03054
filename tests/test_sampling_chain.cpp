// The sampler chain: spec parsing, order, clone/reset, determinism, the
// distribution of draws (chi-square), statistics, traces, presets and RNG.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>
#include <limits>
#include <numeric>
#include <random>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "gpt2/error.hpp"
#include "gpt2/sampling.hpp"
#include "support/test_env.hpp"

namespace gs = gpt2::sampling;

namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

std::vector<float> log_of(std::vector<double> p) {
    std::vector<float> z;
    for (double v : p) z.push_back(static_cast<float>(std::log(v)));
    return z;
}

std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const gpt2::Error& e) {
        return e.what();
    }
    return "<no error>";
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

std::vector<std::string> names_of(const gs::Chain& c) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < c.size(); ++i) out.push_back(c.stage(i).name());
    return out;
}

const std::vector<double> kP4 = {0.1, 0.2, 0.3, 0.4};

}  // namespace

// ---- RNG ----

TEST(SamplingRng, SplitmixReferenceAndUniformFromEngineBits) {
    // First output of SplitMix64 seeded with 0 (Vigna's reference code).
    EXPECT_EQ(gs::splitmix64(0), 0xE220A8397B1DCDAFull);
    gs::Rng rng(42, 3);
    std::mt19937_64 engine(gs::stream_seed(42, 3));
    for (int i = 0; i < 1000; ++i) {
        const double u = rng.uniform();
        EXPECT_EQ(u, static_cast<double>(engine() >> 11) / 9007199254740992.0);
        EXPECT_GE(u, 0.0);
        EXPECT_LT(u, 1.0);
    }
}

TEST(SamplingRng, StreamsAreDistinctAndReproducible) {
    std::vector<std::uint64_t> seeds;
    for (std::uint64_t s = 0; s < 1000; ++s) seeds.push_back(gs::stream_seed(7, s));
    std::sort(seeds.begin(), seeds.end());
    EXPECT_EQ(std::adjacent_find(seeds.begin(), seeds.end()), seeds.end());
    gs::Rng a(7, 1), b(7, 1), c(7, 2);
    EXPECT_EQ(a.next_u64(), b.next_u64());
    EXPECT_NE(gs::Rng(7, 1).next_u64(), c.next_u64());
    EXPECT_EQ(a.stream(2).next_u64(), gs::Rng(7, 2).next_u64());
}

// ---- spec parsing and order ----

TEST(SamplingChain, SpecBuildsStagesInOrderAndAppendsDist) {
    const gs::Chain c = gs::Chain::from_spec("penalties, top_k,top_p,min_p,temperature");
    EXPECT_EQ(names_of(c), (std::vector<std::string>{"penalties", "top_k", "top_p", "min_p", "temperature", "dist"}));
    const gs::Chain d = gs::Chain::from_params({});   // default order
    EXPECT_EQ(names_of(d), (std::vector<std::string>{"penalties", "top_k", "top_p", "min_p", "temperature", "dist"}));
    EXPECT_EQ(d.params(),
              "penalties(repeat=1 freq=0 presence=0 last_n=64) -> top_k(k=40) -> top_p(p=0.95) -> "
              "min_p(min_p=0.05) -> temperature(t=0.8) -> dist");
    gs::SamplingParams biased;
    biased.order = "top_k,greedy";
    biased.logit_bias = {{1, 2.0f}};
    EXPECT_EQ(names_of(gs::Chain::from_params(biased)), (std::vector<std::string>{"logit_bias", "top_k", "greedy"}));
}

TEST(SamplingChain, SpecErrors) {
    EXPECT_TRUE(contains(error_of([] { gs::Chain::from_spec("top_k,,dist"); }), "empty stage name"));
    EXPECT_TRUE(contains(error_of([] { gs::Chain::from_spec(""); }), "empty stage name"));
    const std::string unknown = error_of([] { gs::Chain::from_spec("top_q,dist"); });
    EXPECT_TRUE(contains(unknown, "unknown stage \"top_q\"")) << unknown;
    EXPECT_TRUE(contains(unknown, "top_k, typical_p, top_p, min_p")) << unknown;
    EXPECT_TRUE(contains(error_of([] { gs::Chain::from_spec("dist,top_k"); }), "must be the last stage"));
    gs::SamplingParams bad;
    bad.top_p = 2.0;
    EXPECT_TRUE(contains(error_of([&] { gs::Chain::from_params(bad); }), "top_p must be in (0, 1], got 2"));
    gs::Chain open;
    open.add(std::make_unique<gs::TopK>(2));
    gs::Rng rng;
    gs::Candidates cand;
    cand.load(log_of(kP4));
    EXPECT_TRUE(contains(error_of([&] { open.apply(cand, rng); }), "must end with a selecting stage"));
    open.add(std::make_unique<gs::Dist>());
    EXPECT_TRUE(contains(error_of([&] { open.add(std::make_unique<gs::TopK>(1)); }), "after the selecting stage"));
}

TEST(SamplingChain, OrderMatters) {
    // Raw p = {.1,.2,.3,.4}; top_p 0.5 keeps {.3,.4}. After T = 0.5 the
    // probabilities are p^2 / sum = {.033,.133,.3,.533}: top_p 0.5 keeps {.533}.
    gs::SamplingParams params = gs::off_params();
    params.temperature = 0.5f;
    params.top_p = 0.5;
    gs::Rng rng(1);
    gs::Chain filters_first = gs::Chain::from_spec("top_p,temperature,dist", params);
    filters_first.sample(log_of(kP4), rng);
    EXPECT_EQ(filters_first.candidates().size(), 2u);
    gs::Chain temperature_first = gs::Chain::from_spec("temperature,top_p,dist", params);
    EXPECT_EQ(temperature_first.sample(log_of(kP4), rng), 3);
    EXPECT_EQ(temperature_first.candidates().size(), 1u);
}

TEST(SamplingChain, BuilderEqualsSpec) {
    gs::Chain built;
    built.add(std::make_unique<gs::TopK>(3)).add(std::make_unique<gs::Temperature>(0.7f)).add(std::make_unique<gs::Dist>());
    gs::SamplingParams p = gs::off_params();
    p.top_k = 3;
    p.temperature = 0.7f;
    gs::Chain parsed = gs::Chain::from_spec("top_k,temperature,dist", p);
    EXPECT_EQ(built.params(), parsed.params());
    std::mt19937_64 gen(5);
    std::normal_distribution<float> normal;
    std::vector<float> z(1000);
    gs::Rng r1(9), r2(9);
    for (int step = 0; step < 50; ++step) {
        for (float& v : z) v = normal(gen);
        EXPECT_EQ(built.sample(z, r1), parsed.sample(z, r2));
    }
}

// ---- state: clone / reset / accept ----

TEST(SamplingChain, CloneCopiesStateAndIsIndependent) {
    gs::SamplingParams p = gs::off_params();
    p.repeat_penalty = 100.0f;
    p.penalty_last_n = 8;
    gs::Chain chain = gs::Chain::from_spec("penalties,greedy", p);
    const std::vector<float> z = {1.0f, 0.9f, 0.8f};
    gs::Rng rng;
    EXPECT_EQ(chain.sample(z, rng), 0);
    chain.accept(0);
    EXPECT_EQ(chain.sample(z, rng), 1);   // token 0 penalised
    gs::Chain copy = chain.clone_chain();
    EXPECT_EQ(copy.sample(z, rng), 1);   // the clone carries the history
    chain.accept(1);
    EXPECT_EQ(chain.sample(z, rng), 2);
    EXPECT_EQ(copy.sample(z, rng), 1);   // ... and is independent of it
    chain.reset();
    EXPECT_EQ(chain.sample(z, rng), 0);
    std::unique_ptr<gs::Sampler> as_sampler = copy.clone();
    EXPECT_EQ(as_sampler->name(), "chain");
}

TEST(SamplingChain, MirostatStateClonesAndResets) {
    gs::SamplingParams p = gs::off_params();
    p.mirostat_tau = 1.0f;
    p.mirostat_eta = 0.5f;
    gs::Chain chain = gs::Chain::from_spec("mirostat", p);
    gs::Rng rng(3);
    chain.sample(log_of(kP4), rng);
    const std::string after_one = chain.params();
    EXPECT_NE(after_one, "mirostat(tau=1 eta=0.5 mu=2)");
    gs::Chain copy = chain.clone_chain();
    EXPECT_EQ(copy.params(), after_one);
    chain.reset();
    EXPECT_EQ(chain.params(), "mirostat(tau=1 eta=0.5 mu=2)");
}

// ---- determinism and the distribution of draws ----

TEST(SamplingChain, SameSeedSameTokensTraceDoesNotChangeThem) {
    std::mt19937_64 gen(1);
    std::normal_distribution<float> normal(0.0f, 2.0f);
    std::vector<std::vector<float>> steps(100, std::vector<float>(5000));
    for (auto& z : steps)
        for (float& v : z) v = normal(gen);
    auto run = [&](std::uint64_t stream, bool trace) {
        gs::SamplingParams p;
        p.repeat_penalty = 1.3f;
        gs::Chain chain = gs::Chain::from_params(p);
        chain.set_trace(trace, 5);
        gs::Rng rng(1234, stream);
        std::vector<int> out;
        for (const auto& z : steps) {
            out.push_back(chain.sample(z, rng));
            chain.accept(out.back());
        }
        return out;
    };
    const auto a = run(0, false);
    EXPECT_EQ(a, run(0, false));
    EXPECT_EQ(a, run(0, true));
    EXPECT_NE(a, run(1, false));
}

namespace {
// Pearson chi-square of `draws` draws of chain from logits ln(p).
double chi_square(gs::Chain& chain, const std::vector<double>& p, int draws, std::uint64_t seed) {
    std::vector<int> counts(p.size(), 0);
    gs::Rng rng(seed);
    const auto z = log_of(p);
    for (int i = 0; i < draws; ++i) ++counts[static_cast<std::size_t>(chain.sample(z, rng))];
    double chi2 = 0.0;
    for (std::size_t i = 0; i < p.size(); ++i) {
        const double expected = p[i] * draws;
        chi2 += (counts[i] - expected) * (counts[i] - expected) / expected;
    }
    return chi2;
}
}  // namespace

TEST(SamplingChain, DrawsFollowTheDistributionChiSquare) {
    gs::Chain dist = gs::Chain::from_spec("dist");
    // df = 4, critical value at alpha = 0.001: 18.467.
    EXPECT_LT(chi_square(dist, {0.05, 0.1, 0.15, 0.2, 0.5}, 200000, 42), 18.467);
    // df = 9, alpha = 0.001: 27.877; a flatter 10-way distribution.
    EXPECT_LT(chi_square(dist, {0.02, 0.04, 0.06, 0.08, 0.1, 0.12, 0.13, 0.14, 0.15, 0.16}, 200000, 7), 27.877);
    // The test can fail: a chain that skews the distribution is rejected.
    gs::SamplingParams hot = gs::off_params();
    hot.temperature = 1.2f;
    gs::Chain skewed = gs::Chain::from_spec("temperature,dist", hot);
    EXPECT_GT(chi_square(skewed, {0.05, 0.1, 0.15, 0.2, 0.5}, 200000, 42), 18.467);
}

// ---- statistics ----

TEST(SamplingStats, UniformClosedForms) {
    for (std::size_t n : {1u, 2u, 64u, 50257u}) {
        gs::Candidates c;
        c.load(std::vector<float>(n, 0.5f));
        const gs::DistStats s = gs::compute_stats(c);
        EXPECT_NEAR(s.entropy_nats, std::log(static_cast<double>(n)), 1e-4);
        EXPECT_NEAR(s.entropy_bits, std::log2(static_cast<double>(n)), 1e-4);
        EXPECT_NEAR(s.perplexity, static_cast<double>(n), 1e-4 * n);
        EXPECT_EQ(s.support, n);
        EXPECT_NEAR(s.top1_p, 1.0 / n, 1e-6);
    }
    gs::Candidates c;
    c.load(std::vector<float>(64, 0.0f));   // p = 1/64 exactly
    const gs::DistStats s = gs::compute_stats(c);
    EXPECT_EQ(s.nucleus_90, 58u);   // ceil(0.9 * 64)
    EXPECT_EQ(s.nucleus_95, 61u);   // ceil(0.95 * 64)
}

TEST(SamplingStats, HandComputedAndSupport) {
    gs::Candidates c;
    c.load(std::vector<float>{std::log(0.1f), std::log(0.2f), std::log(0.3f), std::log(0.4f), kNegInf});
    const gs::DistStats s = gs::compute_stats(c);
    const double h = -(0.1 * std::log(0.1) + 0.2 * std::log(0.2) + 0.3 * std::log(0.3) + 0.4 * std::log(0.4));
    EXPECT_NEAR(s.entropy_nats, h, 1e-6);
    EXPECT_NEAR(s.perplexity, std::exp(h), 1e-5);
    EXPECT_EQ(s.size, 5u);
    EXPECT_EQ(s.support, 4u);
    EXPECT_NEAR(s.top1_p, 0.4, 1e-6);
    EXPECT_EQ(s.nucleus_95, 4u);
    gs::StatsScratch scratch;
    const std::vector<float> p = {0.1f, 0.2f, 0.3f, 0.4f};
    EXPECT_EQ(gs::nucleus_size(p, 0.35, scratch), 1u);
    EXPECT_EQ(gs::nucleus_size(p, 0.65, scratch), 2u);
    c.compute_probs();
    const gs::TokenStats t = gs::token_stats(c, 1);
    EXPECT_TRUE(t.present);
    EXPECT_EQ(t.rank, 3u);
    EXPECT_NEAR(t.p, 0.2, 1e-6);
    EXPECT_FALSE(gs::token_stats(c, 99).present);
}

TEST(SamplingStats, NucleusAndEntropyMatchSortAndLogarithms) {
    // compute_stats finds nucleus sizes by bucketing and selection and the
    // entropy without a logarithm per token; check both against the
    // definitions (sort + cumulative sum, -sum p ln p in double) on peaked,
    // flat, tied and truncated distributions over the GPT-2 vocabulary size.
    std::mt19937 gen(11);
    std::normal_distribution<float> noise(0.0f, 1.0f);
    for (int trial = 0; trial < 40; ++trial) {
        const std::size_t n = trial % 4 == 3 ? 1000 : 50257;
        std::vector<float> z(n);
        for (std::size_t i = 0; i < n; ++i) {
            switch (trial % 4) {
                case 0: z[i] = -1.8f * std::log(static_cast<float>(i + 1)) + 0.3f * noise(gen); break;   // peaked
                case 1: z[i] = 1.5f * noise(gen); break;                                                   // flat
                case 2: z[i] = static_cast<float>(gen() % 4); break;                                       // many ties
                default: z[i] = i % 3 == 0 ? kNegInf : noise(gen); break;                                  // -inf holes
            }
        }
        gs::Candidates c;
        c.load(z);
        const gs::DistStats s = gs::compute_stats(c);
        c.compute_probs();
        std::vector<double> p(c.probs().begin(), c.probs().end());
        double h = 0.0;
        for (double v : p) if (v > 0.0) h -= v * std::log(v);
        EXPECT_NEAR(s.entropy_nats, h, 1e-5 * std::max(1.0, h)) << trial;
        std::sort(p.begin(), p.end(), std::greater<double>());
        auto by_sort = [&](double mass) {
            double cum = 0.0;
            for (std::size_t j = 0; j < p.size(); ++j) {
                cum += p[j];
                if (cum >= mass) return j + 1;
            }
            return p.size();
        };
        EXPECT_EQ(s.nucleus_90, by_sort(0.90)) << trial;
        EXPECT_EQ(s.nucleus_95, by_sort(0.95)) << trial;
    }
}

TEST(SamplingTrace, RecordsEveryStage) {
    gs::SamplingParams p = gs::off_params();
    p.top_k = 2;
    p.temperature = 0.5f;
    gs::Chain chain = gs::Chain::from_spec("top_k,temperature,dist", p);
    chain.set_trace(true, 3);
    gs::Rng rng(5);
    const std::int32_t tok = chain.sample(log_of(kP4), rng);
    const gs::StepTrace& t = chain.last_trace();
    EXPECT_EQ(t.chosen, tok);
    ASSERT_EQ(t.stages.size(), 3u);
    EXPECT_EQ(t.stages[0].name, "top_k");
    EXPECT_EQ(t.stages[0].params, "k=2");
    EXPECT_EQ(t.stages[0].before.size, 4u);
    EXPECT_EQ(t.stages[0].after.size, 2u);
    ASSERT_EQ(t.stages[0].top_before.size(), 3u);
    EXPECT_EQ(t.stages[0].top_before[0].id, 3);
    EXPECT_NEAR(t.stages[0].top_before[0].p, 0.4, 1e-6);
    EXPECT_NEAR(t.stages[0].top_after[0].p, 0.4 / 0.7, 1e-6);
    // After T = 0.5: {.3,.4} -> {.09,.16}/.25.
    EXPECT_NEAR(t.stages[1].top_after[0].p, 0.64, 1e-6);
    EXPECT_NEAR(t.raw.top1_p, 0.4, 1e-6);
    EXPECT_NEAR(t.final.top1_p, 0.64, 1e-6);
    EXPECT_TRUE(t.chosen_raw.present);
    EXPECT_NEAR(t.chosen_raw.p, tok == 3 ? 0.4 : 0.3, 1e-6);
    EXPECT_NEAR(t.chosen_final.p, tok == 3 ? 0.64 : 0.36, 1e-6);
    EXPECT_EQ(t.chosen_raw.rank, tok == 3 ? 1u : 2u);
    const auto j = nlohmann::json::parse(gs::trace_to_json(t));
    EXPECT_EQ(j["chosen"], tok);
    EXPECT_EQ(j["stages"].size(), 3u);
    EXPECT_EQ(j["stages"][0]["name"], "top_k");
    EXPECT_NEAR(j["raw"]["entropy_nats"].get<double>(), t.raw.entropy_nats, 1e-12);
}

// ---- presets ----

TEST(SamplingPresets, HoldExactlyTheirDocumentedSettings) {
    struct Want {
        const char* name;
        const char* order;
        float t;
        int k;
        double p;
    };
    const std::vector<Want> table = {
        {"greedy", "greedy", 1.0f, 0, 1.0},
        {"near_greedy", "temperature,dist", 0.1f, 0, 1.0},
        {"low_temp", "temperature,dist", 0.7f, 0, 1.0},
        {"medium_temp", "temperature,dist", 1.0f, 0, 1.0},
        {"high_temp", "temperature,dist", 1.5f, 0, 1.0},
        {"top_k_20", "top_k,temperature,dist", 0.8f, 20, 1.0},
        {"top_k_50", "top_k,temperature,dist", 0.8f, 50, 1.0},
        {"top_p_90", "top_p,temperature,dist", 0.8f, 0, 0.90},
        {"top_p_95", "top_p,temperature,dist", 0.8f, 0, 0.95},
        {"nucleus", "top_k,top_p,temperature,dist", 0.8f, 40, 0.90},
    };
    const auto& presets = gs::builtin_presets();
    ASSERT_EQ(presets.size(), table.size());
    for (std::size_t i = 0; i < table.size(); ++i) {
        gs::SamplingParams want = gs::off_params();
        want.order = table[i].order;
        want.temperature = table[i].t;
        want.top_k = table[i].k;
        want.top_p = table[i].p;
        EXPECT_EQ(presets[i].name, table[i].name);
        EXPECT_TRUE(presets[i].params == want) << table[i].name;
        EXPECT_FALSE(presets[i].description.empty());
        EXPECT_NO_THROW(gs::Chain::from_params(presets[i].params));
    }
    const auto nine = gs::compare_presets();
    ASSERT_EQ(nine.size(), 9u);
    EXPECT_EQ(nine[0].name, "greedy");
    EXPECT_EQ(nine[1].name, "low_temp");
    EXPECT_EQ(gs::preset("nucleus").params.top_k, 40);
    EXPECT_TRUE(contains(error_of([] { gs::preset("nope"); }), "known: greedy, near_greedy"));
}

TEST(SamplingPresets, UserFileParsesAndOverrides) {
    const auto dir = gpt2::test::make_temp_dir("presets");
    const auto path = dir / "presets.json";
    std::ofstream(path) << R"({"presets": [
        {"name": "story", "description": "loose", "order": "penalties,top_k,temperature,dist",
         "top_k": 60, "temperature": 1.1, "repeat_penalty": 1.2, "logit_bias": [[5, -1.5]]},
        {"name": "greedy", "order": "temperature,dist", "temperature": 0.2}]})";
    const auto user = gs::load_presets(path);
    ASSERT_EQ(user.size(), 2u);
    gs::SamplingParams want = gs::off_params();
    want.order = "penalties,top_k,temperature,dist";
    want.top_k = 60;
    want.temperature = 1.1f;
    want.repeat_penalty = 1.2f;
    want.logit_bias = {{5, -1.5f}};
    EXPECT_TRUE(user[0].params == want);
    EXPECT_EQ(user[0].description, "loose");
    EXPECT_EQ(gs::preset("greedy", user).params.order, "temperature,dist");   // user wins
    EXPECT_EQ(gs::preset("top_k_20", user).params.top_k, 20);
}

TEST(SamplingPresets, UserFileErrors) {
    auto err = [](const char* text) { return error_of([&] { gs::parse_presets(text, "my.json"); }); };
    EXPECT_TRUE(contains(err("{"), "my.json: not valid JSON"));
    EXPECT_TRUE(contains(err(R"({"presets": {}})"), "expected an object {\"presets\": [...]}"));
    EXPECT_TRUE(contains(err(R"({"presets": [], "x": 1})"), "unknown top-level key \"x\""));
    EXPECT_TRUE(contains(err(R"({"presets": [{"order": "dist"}]})"), "needs a string \"name\""));
    EXPECT_TRUE(contains(err(R"({"presets": [{"name": "a b", "order": "dist"}]})"), "must match"));
    EXPECT_TRUE(contains(err(R"({"presets": [{"name": "a"}]})"), "preset \"a\" needs an \"order\""));
    EXPECT_TRUE(contains(err(R"({"presets": [{"name": "a", "order": "dist", "topk": 3}]})"), "unknown key \"topk\""));
    EXPECT_TRUE(contains(err(R"({"presets": [{"name": "a", "order": "dist", "top_k": "3"}]})"),
                         "key \"top_k\" must be an integer"));
    EXPECT_TRUE(contains(err(R"({"presets": [{"name": "a", "order": "dist", "top_k": 2.5}]})"),
                         "key \"top_k\" must be an integer"));
    EXPECT_TRUE(contains(err(R"({"presets": [{"name": "a", "order": "top_p,dist", "top_p": 1.5}]})"),
                         "my.json: preset \"a\": top_p must be in (0, 1], got 1.5"));
    EXPECT_TRUE(contains(err(R"({"presets": [{"name": "a", "order": "top_z"}]})"), "unknown stage \"top_z\""));
    EXPECT_TRUE(contains(err(R"({"presets": [{"name": "a", "order": "dist"}, {"name": "a", "order": "dist"}]})"),
                         "defined twice"));
    EXPECT_TRUE(contains(error_of([] { gs::load_presets("/nonexistent/p.json"); }), "cannot open"));
}
