// The library generation loop (gpt2/generate.hpp) on a tiny random model:
// against a naive twin, stop strings, end-of-text, context limit, streaming,
// reuse of one prefill.
#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "gpt2/error.hpp"
#include "gpt2/generate.hpp"
#include "gpt2/random_model.hpp"
#include "gpt2/sampling.hpp"
#include "gpt2/utf8_stream.hpp"
#include "support/cli_run.hpp"

namespace gpt2 {
namespace {

namespace gs = gpt2::sampling;

struct Fixture {
    Model model = Model::load(test::tiny_model_dir());
    Tokenizer tok = Tokenizer::from_dir(test::tiny_model_dir());
};
Fixture& fx() {
    static Fixture f;
    return f;
}

gs::Chain greedy() { return gs::Chain::from_spec("greedy"); }

// The twin: re-evaluate the whole sequence in a fresh session every step and
// take the argmax of the last row by hand.
std::vector<std::int32_t> naive_greedy(const std::vector<std::int32_t>& prompt, int n) {
    std::vector<std::int32_t> seq = prompt;
    std::vector<std::int32_t> out;
    for (int i = 0; i < n; ++i) {
        Session s(fx().model);
        const auto logits = s.eval(seq);
        const auto best = std::max_element(logits.begin(), logits.end()) - logits.begin();
        out.push_back(static_cast<std::int32_t>(best));
        seq.push_back(static_cast<std::int32_t>(best));
    }
    return out;
}

TEST(Generate, GreedyMatchesANaiveLoop) {
    const auto prompt = fx().tok.encode("In the beginning");
    const Prefill pre = prefill(fx().model, prompt);
    gs::Rng rng(1);
    GenerateOptions opt;
    opt.max_new_tokens = 12;
    opt.stop_at_eot = false;
    const GenerateResult r = generate(pre, fx().tok, greedy(), rng, opt);
    EXPECT_EQ(r.tokens, naive_greedy(prompt, 12));
    EXPECT_EQ(r.stop_reason, StopReason::kMaxTokens);
    EXPECT_EQ(r.prompt_tokens, static_cast<int>(prompt.size()));
    EXPECT_EQ(r.decode_evals, 11);   // the last token is not evaluated
    EXPECT_EQ(pre.session.position(), static_cast<int>(prompt.size()));   // the prefill is untouched
    ASSERT_EQ(r.p_final.size(), 12u);
    for (double p : r.p_final) EXPECT_EQ(p, 1.0);   // greedy: a point mass
    for (double p : r.p_raw) EXPECT_GT(p, 0.0);
}

TEST(Generate, StreamedTextIsTheResultTextAndValidUtf8) {
    const auto prompt = fx().tok.encode("Hello");
    const Prefill pre = prefill(fx().model, prompt);
    for (std::uint64_t seed = 0; seed < 5; ++seed) {
        gs::SamplingParams p = gs::off_params();
        p.temperature = 1.5f;
        p.order = "temperature,dist";
        gs::Rng rng(seed);
        std::string streamed;
        GenerateOptions opt;
        opt.max_new_tokens = 40;
        const GenerateResult r = generate(pre, fx().tok, gs::Chain::from_params(p), rng, opt,
                                          [&](const TokenEvent& e) {
                                              EXPECT_TRUE(is_valid_utf8(e.text));
                                              streamed += e.text;
                                              return true;
                                          });
        EXPECT_EQ(streamed, r.text);
        EXPECT_TRUE(is_valid_utf8(r.text));
        const std::string raw = fx().tok.decode(r.tokens);
        if (is_valid_utf8(raw)) {
            EXPECT_EQ(r.text, raw);
        }
    }
}

TEST(Generate, SameSeedSameTokensFromOnePrefill) {
    const Prefill pre = prefill(fx().model, fx().tok.encode("The"));
    auto run = [&](std::uint64_t seed) {
        gs::Rng rng(seed);
        GenerateOptions opt;
        opt.max_new_tokens = 20;
        opt.stop_at_eot = false;
        return generate(pre, fx().tok, gs::Chain::from_params(gs::preset("top_k_50").params), rng, opt).tokens;
    };
    EXPECT_EQ(run(7), run(7));
    EXPECT_NE(run(7), run(8));
}

TEST(Generate, StopsAtAStopStringAndNeverShowsIt) {
    const auto prompt = fx().tok.encode("And God said");
    const Prefill pre = prefill(fx().model, prompt);
    GenerateOptions opt;
    opt.max_new_tokens = 40;
    opt.stop_at_eot = false;
    gs::Rng rng(0);
    const GenerateResult full = generate(pre, fx().tok, greedy(), rng, opt);
    const std::string text = fx().tok.decode(full.tokens);
    ASSERT_TRUE(is_valid_utf8(text)) << "pick another prompt: the greedy text is not valid UTF-8";
    ASSERT_GT(text.size(), 20u);
    // A 4-byte stop string taken from the middle; expected: everything before
    // its first occurrence.
    std::size_t k = text.size() / 2;
    while ((static_cast<unsigned char>(text[k]) & 0xC0) == 0x80) ++k;   // start on a character
    const std::string stop = text.substr(k, 4);
    const std::size_t at = text.find(stop);
    opt.stop = {"never-there", stop};
    std::string streamed;
    const GenerateResult r = generate(pre, fx().tok, greedy(), rng, opt, [&](const TokenEvent& e) {
        streamed += e.text;
        return true;
    });
    EXPECT_EQ(r.stop_reason, StopReason::kStopString);
    EXPECT_EQ(r.stop_string, stop);
    EXPECT_EQ(r.text, text.substr(0, at));
    EXPECT_EQ(streamed, r.text);
    EXPECT_LT(r.tokens.size(), full.tokens.size());
}

TEST(Generate, EndOfTextStopsUnlessToldOtherwise) {
    const Prefill pre = prefill(fx().model, fx().tok.encode("x"));
    gs::SamplingParams p = gs::off_params();
    p.logit_bias = {{50256, 1000.0f}};   // makes end-of-text certain
    p.order = "logit_bias,dist";
    GenerateOptions opt;
    opt.max_new_tokens = 3;
    gs::Rng rng(0);
    GenerateResult r = generate(pre, fx().tok, gs::Chain::from_params(p), rng, opt);
    EXPECT_EQ(r.stop_reason, StopReason::kEndOfText);
    EXPECT_TRUE(r.tokens.empty());
    EXPECT_EQ(r.text, "");
    opt.stop_at_eot = false;
    r = generate(pre, fx().tok, gs::Chain::from_params(p), rng, opt);
    EXPECT_EQ(r.stop_reason, StopReason::kMaxTokens);
    EXPECT_EQ(r.tokens, (std::vector<std::int32_t>{50256, 50256, 50256}));
    EXPECT_EQ(r.text, "<|endoftext|><|endoftext|><|endoftext|>");
}

TEST(Generate, StopsAtTheContextLimit) {
    const std::vector<std::int32_t> prompt(120, 464);   // n_ctx of "tiny" is 128
    const Prefill pre = prefill(fx().model, prompt);
    GenerateOptions opt;
    opt.max_new_tokens = 50;
    opt.stop_at_eot = false;
    gs::Rng rng(0);
    const GenerateResult r = generate(pre, fx().tok, greedy(), rng, opt);
    EXPECT_EQ(r.stop_reason, StopReason::kContext);
    EXPECT_EQ(r.tokens.size(), 9u);   // positions 120..127 filled by 8 evals, plus the last sampled token
}

TEST(Generate, CallbackCanStopAndStatsAreFilled) {
    const Prefill pre = prefill(fx().model, fx().tok.encode("Let there be"));
    GenerateOptions opt;
    opt.max_new_tokens = 30;
    opt.stats = true;
    opt.stop_at_eot = false;
    gs::Rng rng(3);
    int calls = 0;
    const GenerateResult r =
        generate(pre, fx().tok, gs::Chain::from_params(gs::preset("top_k_20").params), rng, opt,
                 [&](const TokenEvent& e) {
                     if (e.id < 0) return true;
                     ++calls;
                     EXPECT_NE(e.raw_stats, nullptr);
                     EXPECT_LE(e.final_stats->support, 20u);
                     EXPECT_EQ(e.raw_stats->size, 50257u);
                     EXPECT_GT(e.p_final, 0.0);
                     return calls < 5;
                 });
    EXPECT_EQ(r.stop_reason, StopReason::kCallback);
    EXPECT_EQ(r.tokens.size(), 5u);
    EXPECT_EQ(r.final_stats.size(), 5u);
}

TEST(Generate, RejectsBadInput) {
    EXPECT_THROW(prefill(fx().model, std::vector<std::int32_t>{}), Error);
    EXPECT_THROW(prefill(fx().model, std::vector<std::int32_t>(129, 1)), Error);
    const Prefill pre = prefill(fx().model, fx().tok.encode("a"));
    gs::Rng rng(0);
    GenerateOptions opt;
    opt.stop = {""};
    EXPECT_THROW(generate(pre, fx().tok, greedy(), rng, opt), Error);
    opt.stop.clear();
    opt.max_new_tokens = -1;
    EXPECT_THROW(generate(pre, fx().tok, greedy(), rng, opt), Error);
    opt.max_new_tokens = 0;
    EXPECT_TRUE(generate(pre, fx().tok, greedy(), rng, opt).tokens.empty());
}

}  // namespace
}  // namespace gpt2
