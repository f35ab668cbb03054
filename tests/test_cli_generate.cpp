// gpt2 generate, run as a user runs it, on a tiny random model.
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/cli_run.hpp"

namespace gpt2 {
namespace {

using test::run_cli;
using test::shell_quote;

std::string model_arg() { return " --model " + shell_quote(test::tiny_model_dir().string()); }

// An independent validity check (decode code points, then check the value
// ranges), not the library's is_valid_utf8.
bool valid_utf8(const std::string& s) {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto b = static_cast<unsigned char>(s[i]);
        int len = 0;
        std::uint32_t cp = 0;
        if (b < 0x80) { len = 1; cp = b; }
        else if ((b >> 5) == 0x6) { len = 2; cp = b & 0x1F; }
        else if ((b >> 4) == 0xE) { len = 3; cp = b & 0x0F; }
        else if ((b >> 3) == 0x1E) { len = 4; cp = b & 0x07; }
        else return false;
        if (i + len > s.size()) return false;
        for (int k = 1; k < len; ++k) {
            const auto c = static_cast<unsigned char>(s[i + k]);
            if ((c >> 6) != 0x2) return false;
            cp = (cp << 6) | (c & 0x3F);
        }
        const std::uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        i += len;
    }
    return true;
}

TEST(CliGenerate, ValidatorSelfCheck) {
    EXPECT_TRUE(valid_utf8("a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80"));
    EXPECT_FALSE(valid_utf8("\xC3"));
    EXPECT_FALSE(valid_utf8("\xE0\x80\x80"));
    EXPECT_FALSE(valid_utf8("\xED\xA0\x80"));
    EXPECT_FALSE(valid_utf8("\x80"));
}

TEST(CliGenerate, PrintsPromptThenTextAndStatsOnStderr) {
    const auto r = run_cli("generate --prompt 'In the beginning' -n 16 --ignore-eot" + model_arg());
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out.rfind("In the beginning", 0), 0u) << r.out;
    EXPECT_GT(r.out.size(), std::string("In the beginning\n").size());
    EXPECT_NE(r.err.find("prompt 3 tokens, generated 16 tokens (stop: max_tokens)"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("prefill"), std::string::npos);
    EXPECT_NE(r.err.find("decode"), std::string::npos);
    EXPECT_NE(r.err.find("tokens/s"), std::string::npos);
}

TEST(CliGenerate, SameSeedSameTextOtherSeedOtherText) {
    const std::string base = "generate -p 'The LORD' -n 24 --ignore-eot --temperature 1.2" + model_arg();
    const auto a = run_cli(base + " --seed 5");
    const auto b = run_cli(base + " --seed 5");
    const auto c = run_cli(base + " --seed 6");
    const auto d = run_cli(base);   // the default seed is fixed too
    const auto e = run_cli(base);
    ASSERT_EQ(a.status, 0) << a.err;
    EXPECT_EQ(a.out, b.out);
    EXPECT_NE(a.out, c.out);
    EXPECT_EQ(d.out, e.out);
}

TEST(CliGenerate, OutputIsAlwaysValidUtf8) {
    // High temperature on random weights: byte tokens that split characters
    // or never form one are common; what is printed must stay valid.
    for (int seed = 0; seed < 12; ++seed) {
        const auto r = run_cli("generate -p 'caf\xC3\xA9 \xE2\x82\xAC' -n 60 --ignore-eot --temperature 3 --top-k 0 "
                               "--top-p 1 --min-p 0 --seed " + std::to_string(seed) + model_arg());
        ASSERT_EQ(r.status, 0) << r.err;
        EXPECT_TRUE(valid_utf8(r.out)) << "seed " << seed;
    }
}

TEST(CliGenerate, JsonHoldsTheDocumentedFields) {
    const auto r = run_cli("generate -p 'And God said' -n 10 --ignore-eot --json --seed 3" + model_arg());
    ASSERT_EQ(r.status, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["prompt"], "And God said");
    EXPECT_EQ(j["prompt_tokens"], 3);
    EXPECT_EQ(j["max_new_tokens"], 10);
    EXPECT_TRUE(j["sampler"].is_string());
    EXPECT_TRUE(j["prefill_tokens_per_s"].is_number());
    ASSERT_EQ(j["runs"].size(), 1u);
    const auto& run = j["runs"][0];
    EXPECT_EQ(run["seed"], 3);
    EXPECT_EQ(run["tokens"].size(), 10u);
    EXPECT_EQ(run["generated_tokens"], 10);
    EXPECT_EQ(run["stop_reason"], "max_tokens");
    EXPECT_TRUE(run["text"].is_string());
    EXPECT_LT(run["mean_log_prob"].get<double>(), 0.0);
    EXPECT_GT(run["perplexity"].get<double>(), 1.0);
    EXPECT_TRUE(run["decode_tokens_per_s"].is_number());
    // The text of --json is the text the streaming mode prints.
    const auto plain = run_cli("generate -p 'And God said' -n 10 --ignore-eot --no-echo --seed 3" + model_arg());
    EXPECT_EQ(plain.out, run["text"].get<std::string>() + "\n");
}

TEST(CliGenerate, RepeatUsesConsecutiveSeedsFromOnePrefill) {
    const std::string base = "generate -p 'Blessed are' -n 12 --ignore-eot --json" + model_arg();
    const auto rep = run_cli(base + " --seed 10 --repeat 3");
    ASSERT_EQ(rep.status, 0) << rep.err;
    const auto j = nlohmann::json::parse(rep.out);
    ASSERT_EQ(j["runs"].size(), 3u);
    for (int k = 0; k < 3; ++k) {
        EXPECT_EQ(j["runs"][k]["seed"], 10 + k);
        // Run k of --repeat equals a single run with seed 10 + k.
        const auto one = nlohmann::json::parse(run_cli(base + " --seed " + std::to_string(10 + k)).out);
        EXPECT_EQ(j["runs"][k]["tokens"], one["runs"][0]["tokens"]) << k;
    }
    // Text mode: one header per run.
    const auto text = run_cli("generate -p 'Blessed are' -n 4 --repeat 2" + model_arg());
    EXPECT_NE(text.out.find("--- run 1/2 (seed 42) ---"), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("--- run 2/2 (seed 43) ---"), std::string::npos) << text.out;
}

TEST(CliGenerate, StopStringEndsTheTextBeforeIt) {
    const std::string base = "generate -p 'In the beginning' -n 40 --ignore-eot --temperature 0 --no-echo" + model_arg();
    const auto full = run_cli(base);
    ASSERT_EQ(full.status, 0) << full.err;
    const std::string text = full.out.substr(0, full.out.size() - 1);
    ASSERT_GT(text.size(), 12u);
    std::size_t k = text.size() / 2;
    while ((static_cast<unsigned char>(text[k]) & 0xC0) == 0x80) ++k;
    const std::string stop = text.substr(k, 3);
    const auto cut = run_cli(base + " --stop " + shell_quote(stop));
    ASSERT_EQ(cut.status, 0) << cut.err;
    EXPECT_EQ(cut.out, text.substr(0, text.find(stop)) + "\n");
    EXPECT_NE(cut.err.find("stop: stop_string"), std::string::npos) << cut.err;
}

TEST(CliGenerate, PromptFromStdinAndFile) {
    const std::string text = "Let there be light";
    const auto a = run_cli("generate -n 5 --seed 1" + model_arg(), "", &text);
    ASSERT_EQ(a.status, 0) << a.err;
    EXPECT_EQ(a.out.rfind(text, 0), 0u);
    const auto dir = test::make_temp_dir("prompt");
    { std::ofstream(dir / "p.txt") << text << "\n"; }
    const auto b = run_cli("generate -n 5 --seed 1 --file " + shell_quote((dir / "p.txt").string()) + model_arg());
    EXPECT_EQ(a.out, b.out);
    std::filesystem::remove_all(dir);
}

TEST(CliGenerate, ColorOnlyOnATerminal) {
    // stdout is a file here: --color must not emit escapes.
    const auto r = run_cli("generate -p 'x' -n 5 --color" + model_arg());
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out.find('\x1b'), std::string::npos);
}

TEST(CliGenerate, HelpShowsAnExample) {
    const auto r = run_cli("generate --help");
    EXPECT_EQ(r.status, 0);
    EXPECT_NE(r.out.find("Example"), std::string::npos);
    EXPECT_NE(r.out.find("--top-p"), std::string::npos);
    EXPECT_NE(r.out.find("--boost"), std::string::npos);
}

}  // namespace
}  // namespace gpt2

namespace gpt2 {
namespace {

std::vector<int> tokens_of(const std::string& args) {
    const auto r = test::run_cli(args + " --json" + model_arg());
    EXPECT_EQ(r.status, 0) << r.err;
    return nlohmann::json::parse(r.out)["runs"][0]["tokens"].get<std::vector<int>>();
}

TEST(CliGenerateOptions, DefaultModelComesFromTheEnvironment) {
    const auto r = test::run_cli("generate -p 'x' -n 3 --ignore-eot",
                                 "GPT2_MODEL_DIR=" + test::shell_quote(test::tiny_model_dir().string()));
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.err.find("generated 3 tokens"), std::string::npos) << r.err;
}

TEST(CliGenerateOptions, BoostAndBanChangeTheGreedyChoice) {
    const std::string base = "generate -p 'In the beginning' -n 4 --ignore-eot --temperature 0";
    const std::vector<int> plain = tokens_of(base);
    ASSERT_EQ(plain.size(), 4u);
    // Banning the greedy first token makes the first token something else.
    const std::vector<int> banned = tokens_of(base + " --boost " + std::to_string(plain[0]) + "=ban");
    EXPECT_NE(banned[0], plain[0]);
    // A large boost on " LORD" (id 35750, one token) makes it every token.
    const std::vector<int> boosted = tokens_of(base + " --boost ' LORD=100'");
    EXPECT_EQ(boosted, (std::vector<int>{35750, 35750, 35750, 35750}));
    // The visible-whitespace notation names the same token.
    EXPECT_EQ(tokens_of(base + " --boost '\u2423LORD=100'"), boosted);
}

TEST(CliGenerateOptions, StageOptionsShapeTheOrder) {
    auto order = [](const std::string& extra) {
        const auto r = test::run_cli("generate -p 'x' -n 2 --json" + extra + model_arg());
        EXPECT_EQ(r.status, 0) << r.err;
        return nlohmann::json::parse(r.out)["order"].get<std::string>();
    };
    EXPECT_EQ(order(""), "penalties,top_k,top_p,min_p,temperature,dist");
    EXPECT_EQ(order(" --typical-p 0.9"), "penalties,top_k,typical_p,top_p,min_p,temperature,dist");
    EXPECT_EQ(order(" --top-n-sigma 2"), "penalties,top_n_sigma,top_k,top_p,min_p,temperature,dist");
    EXPECT_EQ(order(" --mirostat-tau 3"), "penalties,temperature,mirostat");
    EXPECT_EQ(order(" --samplers temperature,top_p --top-p 0.5"), "temperature,top_p");
}

}  // namespace
}  // namespace gpt2
