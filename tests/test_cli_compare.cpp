// gpt2 compare on a tiny random model: the table, --json, determinism and
// independent RNG streams per strategy.
#include <cmath>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/cli_run.hpp"

namespace gpt2 {
namespace {

using test::run_cli;
using test::shell_quote;

std::string model_arg() { return " --model " + shell_quote(test::tiny_model_dir().string()); }

TEST(CliCompare, TableHasOneBlockPerStrategy) {
    const auto r = run_cli("compare -p 'In the beginning' -n 12 --strategies greedy,top_k_20,high_temp" + model_arg());
    ASSERT_EQ(r.status, 0) << r.err;
    for (const char* col : {"strategy", "text", "H", "e^H", "logp", "ppl", "d-2", "tok/s"}) {
        EXPECT_NE(r.out.find(col), std::string::npos) << col;
    }
    for (const char* s : {"\ngreedy ", "\ntop_k_20 ", "\nhigh_temp "}) EXPECT_NE(r.out.find(s), std::string::npos) << s;
    EXPECT_EQ(r.out.find("top_p_90"), std::string::npos);
    EXPECT_NE(r.out.find("k=20"), std::string::npos);   // settings column
    EXPECT_NE(r.out.find("t=1.5"), std::string::npos);
    // Every line fits in 100 columns (ASCII and box-drawing only here,
    // counted as code points).
    std::size_t start = 0;
    while (start < r.out.size()) {
        const std::size_t nl = r.out.find('\n', start);
        const std::string line = r.out.substr(start, nl - start);
        std::size_t cols = 0;
        for (unsigned char c : line) cols += (c & 0xC0) != 0x80 ? 1 : 0;
        if (line.rfind("prompt:", 0) != 0) {
            EXPECT_LE(cols, 100u) << line;
        }
        start = nl + 1;
    }
}

TEST(CliCompare, JsonFieldsAndGreedyIsPointMass) {
    const auto r = run_cli("compare -p 'And God said' -n 10 --strategies greedy,top_p_90 --runs 2 --json" + model_arg());
    ASSERT_EQ(r.status, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["prompt_tokens"], 3);
    EXPECT_EQ(j["runs"], 2);
    EXPECT_EQ(j["seed"], 42);
    ASSERT_EQ(j["strategies"].size(), 2u);
    const auto& g = j["strategies"][0];
    EXPECT_EQ(g["strategy"], "greedy");
    for (const char* k : {"settings", "order", "texts", "tokens", "mean_entropy_nats", "mean_effective_vocab",
                          "mean_log_prob", "perplexity", "distinct_2", "tokens_per_s", "generated_tokens"}) {
        EXPECT_TRUE(g.contains(k)) << k;
    }
    // Greedy draws from a point mass: entropy 0, effective vocabulary 1, and
    // both runs are the same text.
    EXPECT_DOUBLE_EQ(g["mean_entropy_nats"].get<double>(), 0.0);
    EXPECT_DOUBLE_EQ(g["mean_effective_vocab"].get<double>(), 1.0);
    EXPECT_EQ(g["texts"][0], g["texts"][1]);
    const auto& p = j["strategies"][1];
    EXPECT_GT(p["mean_entropy_nats"].get<double>(), 0.0);
    EXPECT_GT(p["mean_effective_vocab"].get<double>(), 1.0);
    EXPECT_LE(p["distinct_2"].get<double>(), 1.0);
    EXPECT_NEAR(p["perplexity"].get<double>(), std::exp(-p["mean_log_prob"].get<double>()), 1e-9);
}

TEST(CliCompare, StrategiesDoNotShareRandomness) {
    // top_p_90 alone, and together with other strategies before it: same
    // tokens (its stream depends on its name and the seed only).
    const std::string base = "compare -p 'Blessed are' -n 15 --json --seed 9" + model_arg();
    const auto alone = nlohmann::json::parse(run_cli(base + " --strategies top_p_90").out);
    const auto mixed = nlohmann::json::parse(run_cli(base + " --strategies high_temp,top_k_50,top_p_90").out);
    EXPECT_EQ(alone["strategies"][0]["tokens"], mixed["strategies"][2]["tokens"]);
    const auto again = nlohmann::json::parse(run_cli(base + " --strategies top_p_90").out);
    EXPECT_EQ(alone["strategies"][0]["tokens"], again["strategies"][0]["tokens"]);
    const auto other = nlohmann::json::parse(run_cli("compare -p 'Blessed are' -n 15 --json --seed 10 --strategies "
                                                     "top_p_90" + model_arg()).out);
    EXPECT_NE(alone["strategies"][0]["tokens"], other["strategies"][0]["tokens"]);
}

TEST(CliCompare, AllMeansTheNineAndPresetsFileAddsMore) {
    const auto dir = test::make_temp_dir("presets");
    { std::ofstream(dir / "p.json") << R"({"presets": [{"name": "mine", "order": "top_k,dist", "top_k": 3}]})"; }
    const auto r = run_cli("compare -p 'x' -n 3 --json --presets " + shell_quote((dir / "p.json").string()) + model_arg());
    ASSERT_EQ(r.status, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    ASSERT_EQ(j["strategies"].size(), 10u);
    const char* nine[] = {"greedy", "low_temp", "medium_temp", "high_temp", "top_k_20",
                          "top_k_50", "top_p_90", "top_p_95", "nucleus"};
    for (int i = 0; i < 9; ++i) EXPECT_EQ(j["strategies"][i]["strategy"], nine[i]);
    EXPECT_EQ(j["strategies"][9]["strategy"], "mine");
    std::filesystem::remove_all(dir);
}

TEST(CliCompare, AStrategyThatStopsLeavesTheBatchAndTheOthersGoOn) {
    // The strategies are decoded together (one batched pass per step). A
    // strategy biased towards end-of-text stops after a few tokens in every
    // run; the others are unchanged by its leaving: same tokens as alone.
    const auto dir = test::make_temp_dir("presets-eot");
    {
        std::ofstream(dir / "p.json")
            << R"({"presets": [{"name": "eot_soon", "order": "logit_bias,dist", "logit_bias": [[50256, 12.0]]}]})";
    }
    const std::string base = "compare -p 'Blessed are' -n 12 --runs 3 --json --seed 4 --presets " +
                             shell_quote((dir / "p.json").string()) + model_arg();
    const auto r = run_cli(base + " --strategies eot_soon,top_p_90,high_temp");
    ASSERT_EQ(r.status, 0) << r.err;
    const auto mixed = nlohmann::json::parse(r.out);
    const auto alone = nlohmann::json::parse(run_cli(base + " --strategies top_p_90,high_temp").out);
    for (int run = 0; run < 3; ++run) {
        EXPECT_EQ(mixed["strategies"][0]["stop_reasons"][run], "end_of_text");
        EXPECT_LT(mixed["strategies"][0]["tokens"][run].size(), 12u);
        EXPECT_EQ(mixed["strategies"][1]["stop_reasons"][run], "max_tokens");
    }
    EXPECT_EQ(mixed["strategies"][1]["tokens"], alone["strategies"][0]["tokens"]);
    EXPECT_EQ(mixed["strategies"][2]["tokens"], alone["strategies"][1]["tokens"]);
    std::filesystem::remove_all(dir);
}

TEST(CliCompare, ThreadsChangeNothingButTheTimings) {
    // The lanes' sampling runs on the decoder's threads (each lane on
    // whichever thread claims it) and the batched pass splits its products
    // across them: every token and every statistic must be the same.
    const std::string base = "compare -p 'And God said' -n 14 --runs 2 --json --seed 3" + model_arg();
    auto one = nlohmann::json::parse(run_cli(base + " --threads 1").out);
    for (const char* threads : {" --threads 2", " --threads 3"}) {
        auto many = nlohmann::json::parse(run_cli(base + threads).out);
        for (auto* j : {&one, &many}) {
            for (const char* k : {"prefill_tokens_per_s", "decode_seconds", "decode_tokens_per_s"}) j->erase(k);
            for (auto& s : (*j)["strategies"]) s.erase("tokens_per_s");
        }
        ASSERT_EQ(one["strategies"].size(), 9u);
        EXPECT_EQ(one, many) << threads;
    }
}

}  // namespace
}  // namespace gpt2
