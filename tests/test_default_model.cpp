// The bundled default model (models/kjv-small) against PyTorch: goldens made
// by scripts/reference_goldens_default_model.py from the same saved F16
// weights, with its own float32 forward pass. This checks the engine on real
// trained weights, where random-weight tests can miss errors that only show
// on peaked distributions.
#include <algorithm>
#include <cstring>
#include <cmath>
#include <fstream>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "gpt2/model.hpp"
#include "gpt2/session.hpp"
#include "gpt2/tokenizer.hpp"
#include "support/test_env.hpp"

namespace {

std::filesystem::path model_dir() { return gpt2::test::source_dir() / "models" / "kjv-small"; }

nlohmann::json read_json(const std::filesystem::path& path) {
    std::ifstream in(path);
    EXPECT_TRUE(in.good()) << "cannot open " << path;
    return nlohmann::json::parse(in);
}

// ln softmax(logits)[id], in double.
double log_prob(std::span<const float> logits, int id) {
    double max = *std::max_element(logits.begin(), logits.end());
    double sum = 0.0;
    for (float z : logits) sum += std::exp(double(z) - max);
    return double(logits[static_cast<std::size_t>(id)]) - max - std::log(sum);
}

}  // namespace

TEST(DefaultModel, HeldOutLogLikelihoodMatchesPyTorch) {
    const nlohmann::json golden = read_json(gpt2::test::test_data_dir() / "default_model" / "loglik.json");
    const auto ids = golden["token_ids"].get<std::vector<std::int32_t>>();
    const auto expected = golden["token_logprobs"].get<std::vector<double>>();
    ASSERT_EQ(expected.size() + 1, ids.size());

    gpt2::Model model = gpt2::Model::load(model_dir());
    gpt2::Session session(model);
    const int vocab = model.config().vocab_size;
    std::span<const float> all = session.eval_all(ids);
    ASSERT_EQ(all.size(), ids.size() * static_cast<std::size_t>(vocab));

    double max_diff = 0.0, sum_nll = 0.0;
    std::size_t worst = 0;
    for (std::size_t i = 0; i + 1 < ids.size(); ++i) {
        double lp = log_prob(all.subspan(i * vocab, vocab), ids[i + 1]);
        sum_nll -= lp;
        double diff = std::abs(lp - expected[i]);
        if (diff > max_diff) { max_diff = diff; worst = i; }
    }
    const double mean_nll = sum_nll / double(expected.size());
    EXPECT_LE(max_diff, 1e-3) << "worst position " << worst;
    EXPECT_NEAR(mean_nll, golden["mean_nll"].get<double>(), 1e-4);
    RecordProperty("max_abs_logprob_diff", std::to_string(max_diff));
}

TEST(DefaultModel, GreedyContinuationMatchesPyTorchExactly) {
    const nlohmann::json golden = read_json(gpt2::test::test_data_dir() / "default_model" / "greedy.json");
    const auto prompt_ids = golden["prompt_ids"].get<std::vector<std::int32_t>>();
    const auto expected = golden["continuation_ids"].get<std::vector<std::int32_t>>();

    // The prompt goes through our tokenizer too: the ids must be PyTorch's.
    gpt2::Tokenizer tokenizer = gpt2::Tokenizer::from_dir(model_dir());
    EXPECT_EQ(tokenizer.encode(golden["prompt"].get<std::string>()), prompt_ids);

    gpt2::Model model = gpt2::Model::load(model_dir());
    gpt2::Session session(model);
    std::span<const float> logits = session.eval(prompt_ids);
    std::vector<std::int32_t> got;
    for (std::size_t step = 0; step < expected.size(); ++step) {
        auto best = std::max_element(logits.begin(), logits.end()) - logits.begin();
        got.push_back(static_cast<std::int32_t>(best));
        const std::int32_t next = got.back();
        logits = session.eval(std::span<const std::int32_t>(&next, 1));  // KV-cache decode
    }
    EXPECT_EQ(got, expected);
}

// The bundled model ties the 40,462 tokens its training text never uses to
// one embedding row (docs/default-model.md); the logits go through its
// 9,796 distinct rows (Weights::wte_distinct), with the bits of wte's.
TEST(DefaultModel, LogitsGoThroughItsDistinctEmbeddingRows) {
    const gpt2::Model model = gpt2::Model::load(model_dir());
    EXPECT_EQ(model.distinct_logit_rows(), 9796);
    const gpt2::DistinctRowsOfWte& d = model.weights().wte_distinct;
    EXPECT_EQ(d.n_others, 9795);   // every token but the 40,462 on the shared row
    const gpt2::Model plain = gpt2::Model::load(model_dir(), {.distinct_logit_rows = false});
    gpt2::Session a(model), b(plain);
    const std::vector<std::int32_t> ids{464, 1793, 531, 11, 3914, 612, 307};
    const std::span<const float> la = a.eval(ids), lb = b.eval(ids);
    ASSERT_EQ(la.size(), lb.size());
    EXPECT_EQ(std::memcmp(la.data(), lb.data(), la.size() * sizeof(float)), 0);
}
