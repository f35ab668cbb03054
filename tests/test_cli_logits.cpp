// `gpt2 logits`: the .npy it writes is well-formed (checked by an independent
// reader) and holds exactly Session::eval_all's logits; the top-10 listing
// ranks by logit; malformed and out-of-range ids are rejected.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <string>
#include <sys/wait.h>
#include <vector>

#include "gpt2/model.hpp"
#include "gpt2/random_model.hpp"
#include "gpt2/session.hpp"
#include "support/npy.hpp"
#include "support/test_env.hpp"

namespace {

namespace fs = std::filesystem;

struct CliRun {
    int exit_code;
    std::string output;
};

CliRun run_cli(const std::string& args) {
    const std::string cmd = gpt2::test::cli_path().string() + " " + args + " 2>&1";
    FILE* pipe = ::popen(cmd.c_str(), "r");
    if (pipe == nullptr) return {-1, ""};
    std::string out;
    std::array<char, 4096> buf{};
    std::size_t n = 0;
    while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) out.append(buf.data(), n);
    const int status = ::pclose(pipe);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

class CliLogits : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = gpt2::test::make_temp_dir("cli-logits");
        gpt2::RandomModelSpec spec;
        spec.config.n_layer = 2;
        spec.config.n_head = 2;
        spec.config.n_embd = 32;
        spec.config.n_ctx = 32;
        spec.config.vocab_size = 123;
        spec.config.bos_token_id = spec.config.eos_token_id = 122;
        spec.dtype = gpt2::DType::kBF16;
        gpt2::write_random_model(dir_ / "model", spec);
    }
    void TearDown() override { fs::remove_all(dir_); }
    fs::path dir_;
};

TEST_F(CliLogits, NpyHoldsEvalAllLogitsForEveryPosition) {
    const std::vector<std::int32_t> ids = {5, 17, 0, 122, 64};
    const fs::path out = dir_ / "logits.npy";
    const CliRun r = run_cli("logits --model " + (dir_ / "model").string() +
                          " --ids 5,17,0,122,64 --all-positions --threads 2 --out " + out.string());
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const gpt2::test::NpyArray npy = gpt2::test::read_npy(out);
    EXPECT_EQ(npy.shape, (std::vector<std::int64_t>{5, 123}));

    const gpt2::Model model = gpt2::Model::load(dir_ / "model");
    gpt2::Session session(model, {.max_tokens = 0, .n_threads = 1});
    const std::span<const float> logits = session.eval_all(ids);
    EXPECT_EQ(npy.data, std::vector<float>(logits.begin(), logits.end()));

    // Without --all-positions: the last position only, shape [1, V].
    const CliRun last = run_cli("logits --model " + (dir_ / "model").string() + " --ids 5,17,0,122,64 --out " + out.string());
    ASSERT_EQ(last.exit_code, 0) << last.output;
    const gpt2::test::NpyArray one = gpt2::test::read_npy(out);
    EXPECT_EQ(one.shape, (std::vector<std::int64_t>{1, 123}));
    EXPECT_EQ(one.data, std::vector<float>(logits.end() - 123, logits.end()));
}

TEST_F(CliLogits, PrintsTheTopTenByLogit) {
    const CliRun r = run_cli("logits --model " + (dir_ / "model").string() + " --ids 3,4");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("position 1 (input id 4): top 10"), std::string::npos) << r.output;
    EXPECT_EQ(r.output.find("position 0"), std::string::npos) << "only the last position without --all-positions";

    const gpt2::Model model = gpt2::Model::load(dir_ / "model");
    gpt2::Session session(model);
    const std::vector<std::int32_t> ids = {3, 4};
    const std::span<const float> logits = session.eval(ids);
    int best = 0;
    for (int i = 1; i < 123; ++i)
        if (logits[static_cast<std::size_t>(i)] > logits[static_cast<std::size_t>(best)]) best = i;
    char expected[64];
    std::snprintf(expected, sizeof expected, "     1 %8d", best);
    EXPECT_NE(r.output.find(expected), std::string::npos) << "rank 1 should be id " << best << "\n" << r.output;
}

TEST_F(CliLogits, RejectsBadIds) {
    EXPECT_EQ(run_cli("logits --model " + (dir_ / "model").string() + " --ids 1,,2").exit_code, 2);
    EXPECT_EQ(run_cli("logits --model " + (dir_ / "model").string() + " --ids 1,abc").exit_code, 2);
    const CliRun out_of_range = run_cli("logits --model " + (dir_ / "model").string() + " --ids 1,123");
    EXPECT_EQ(out_of_range.exit_code, 1);
    EXPECT_NE(out_of_range.output.find("outside the vocabulary"), std::string::npos) << out_of_range.output;
    EXPECT_EQ(run_cli("logits --model " + (dir_ / "missing") .string() + " --ids 1").exit_code, 1);
}

}  // namespace

// --prompt encodes with the model's tokenizer: the same logits as --ids of
// the GPT-2 ids of the text ("Hello world" = 15496, 995).
TEST(CliLogitsPrompt, PromptEqualsItsIds) {
    const fs::path dir = gpt2::test::make_temp_dir("cli-logits-prompt");
    gpt2::write_random_model(dir / "model", gpt2::random_model_preset("tiny"), gpt2::test::tokenizer_dir());
    const fs::path a = dir / "a.npy", b = dir / "b.npy";
    const CliRun by_text = run_cli("logits --model " + (dir / "model").string() + " --prompt \"Hello world\" --out " + a.string());
    const CliRun by_ids = run_cli("logits --model " + (dir / "model").string() + " --ids 15496,995 --out " + b.string());
    ASSERT_EQ(by_text.exit_code, 0) << by_text.output;
    ASSERT_EQ(by_ids.exit_code, 0) << by_ids.output;
    EXPECT_EQ(gpt2::test::read_npy(a).data, gpt2::test::read_npy(b).data);
    const CliRun shown = run_cli("logits --model " + (dir / "model").string() + " --prompt \"Hello world\"");
    EXPECT_NE(shown.output.find("(input id 995 ␣world)"), std::string::npos) << shown.output;
    EXPECT_EQ(run_cli("logits --model " + (dir / "model").string() + " --prompt x --ids 1").exit_code, 2);
    fs::remove_all(dir);
}
