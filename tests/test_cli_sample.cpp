// gpt2 sample and sample --show-steps on a tiny random model.
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/cli_run.hpp"

namespace gpt2 {
namespace {

using test::run_cli;
using test::shell_quote;

std::string model_arg() { return " --model " + shell_quote(test::tiny_model_dir().string()); }

std::size_t count(const std::string& s, const std::string& needle) {
    std::size_t n = 0;
    for (std::size_t at = s.find(needle); at != std::string::npos; at = s.find(needle, at + 1)) ++n;
    return n;
}

TEST(CliSample, OneTokenSummary) {
    const auto r = run_cli("sample -p 'In the beginning'" + model_arg());
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(count(r.out, "step 1/1"), 1u) << r.out;
    EXPECT_NE(r.out.find("model:  H "), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("final:  H "), std::string::npos);
    EXPECT_NE(r.out.find("support 50257"), std::string::npos);   // the raw distribution covers the vocabulary
    EXPECT_NE(r.out.find("chosen: "), std::string::npos);
    EXPECT_NE(r.out.find("p model"), std::string::npos);
    EXPECT_NE(r.out.find("\ntext: In the beginning"), std::string::npos);
}

TEST(CliSample, ShowStepsBlocksWithCutsAndStages) {
    const auto r = run_cli("sample -p 'And God said' --show-steps -n 3 --top 8 --top-k 5 --top-p 1 --min-p 0 --seed 2" +
                           model_arg());
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(count(r.out, "\u2500\u2500 step "), 3u) << r.out;
    EXPECT_EQ(count(r.out, "chosen: "), 3u);
    // top_k 5 with 8 rows shown: a cut rule after row 5 in every block.
    EXPECT_EQ(count(r.out, "top_k(k=5) keeps 5"), 3u) << r.out;
    EXPECT_EQ(count(r.out, "<- chosen"), 3u) << r.out;
    EXPECT_NE(r.out.find("50257 \u2192 5"), std::string::npos) << r.out;   // the top_k stage line
    EXPECT_NE(r.out.find("temperature(t=0.8)"), std::string::npos);
    EXPECT_NE(r.out.find("cut"), std::string::npos);   // rows 6..8 have no final probability
    // Each candidates table has 8 rows: count the rows of the first block.
    const std::size_t first = r.out.find("step 1/3");
    const std::size_t second = r.out.find("step 2/3");
    const std::string block = r.out.substr(first, second - first);
    for (char digit = '1'; digit <= '8'; ++digit) {
        std::string row = "\n";
        row += digit;
        row += "  ";
        EXPECT_NE(block.find(row), std::string::npos) << digit << block;
    }
}

TEST(CliSample, JsonTraceMatchesTextAndIsDeterministic) {
    const std::string args = "sample -p 'Blessed are' --show-steps -n 4 --json --seed 11" + model_arg();
    const auto a = run_cli(args);
    ASSERT_EQ(a.status, 0) << a.err;
    const auto j = nlohmann::json::parse(a.out);
    ASSERT_EQ(j["steps"].size(), 4u);
    EXPECT_EQ(j["tokens"].size(), 4u);
    for (std::size_t i = 0; i < 4; ++i) {
        const auto& s = j["steps"][i];
        EXPECT_EQ(s["index"], i);
        EXPECT_EQ(s["token"], j["tokens"][i]);
        EXPECT_EQ(s["trace"]["chosen"], s["token"]);
        EXPECT_TRUE(s["trace"]["raw"].contains("entropy_nats"));
        EXPECT_FALSE(s["trace"]["stages"].empty());
        EXPECT_NEAR(s["p_model"].get<double>(), s["trace"]["chosen_raw"]["p"].get<double>(), 1e-5);
    }
    EXPECT_EQ(a.out, run_cli(args).out);
    // The same tokens as generate with the same settings (end-of-text aside).
    const auto g = nlohmann::json::parse(
        run_cli("generate -p 'Blessed are' -n 4 --ignore-eot --json --seed 11" + model_arg()).out);
    EXPECT_EQ(g["runs"][0]["tokens"], j["tokens"]);
}

TEST(CliSample, HelpShowsAnExample) {
    const auto r = run_cli("sample --help");
    EXPECT_EQ(r.status, 0);
    EXPECT_NE(r.out.find("--show-steps"), std::string::npos);
    EXPECT_NE(r.out.find("Example"), std::string::npos);
}

}  // namespace
}  // namespace gpt2
