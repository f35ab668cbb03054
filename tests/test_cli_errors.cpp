// Error cases of the generating commands: one line naming the problem and
// the fix, exit 2 for usage errors, 1 for runtime errors, never a crash.
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "support/cli_run.hpp"

namespace gpt2 {
namespace {

using test::run_cli;
using test::shell_quote;

std::string model_arg() { return " --model " + shell_quote(test::tiny_model_dir().string()); }

// Exactly one line on stderr, starting "gpt2: error: ", containing `needle`.
void expect_one_line(const test::CliResult& r, int status, const std::string& needle) {
    EXPECT_EQ(r.status, status) << r.err;
    EXPECT_EQ(r.err.rfind("gpt2: error: ", 0), 0u) << r.err;
    EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << r.err;
    EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
}

TEST(CliErrors, MissingModelDirectory) {
    const auto r = run_cli("generate -p hi --model /nonexistent/model");
    expect_one_line(r, 1, "model directory \"/nonexistent/model\" does not exist");
    EXPECT_NE(r.err.find("--model"), std::string::npos);
}

TEST(CliErrors, MissingDefaultModelNamesTheFix) {
    const auto r = run_cli("generate -p hi", "GPT2_MODEL_DIR=/nonexistent/default");
    expect_one_line(r, 1, "default model directory \"/nonexistent/default\" does not exist");
    EXPECT_NE(r.err.find("GPT2_MODEL_DIR"), std::string::npos);
}

TEST(CliErrors, DirectoryWithoutConfig) {
    const auto dir = test::make_temp_dir("empty-model");
    const auto r = run_cli("compare -p hi --model " + shell_quote(dir.string()));
    expect_one_line(r, 1, "no config.json");
    std::filesystem::remove_all(dir);
}

TEST(CliErrors, UnknownSamplerName) {
    const auto r = run_cli("generate -p hi --samplers top_k,warp_drive" + model_arg());
    expect_one_line(r, 2, "unknown stage \"warp_drive\"");
    EXPECT_NE(r.err.find("top_p"), std::string::npos);   // lists the valid ones
}

TEST(CliErrors, OutOfRangeParameters) {
    expect_one_line(run_cli("generate -p hi --temperature -1" + model_arg()), 2,
                    "--temperature -1 is out of range: allowed [0, inf)");
    expect_one_line(run_cli("generate -p hi --top-p 1.5" + model_arg()), 2, "--top-p 1.5 is out of range: allowed (0, 1]");
    expect_one_line(run_cli("sample -p hi --min-p 2" + model_arg()), 2, "--min-p 2 is out of range");
    expect_one_line(run_cli("generate -p hi --repeat-penalty 0" + model_arg()), 2, "--repeat-penalty 0 is out of range");
    expect_one_line(run_cli("generate -p hi --mirostat-eta 0" + model_arg()), 2, "--mirostat-eta 0 is out of range");
    expect_one_line(run_cli("generate -p hi -n -3" + model_arg()), 2, "-n -3 is out of range");
    expect_one_line(run_cli("generate -p hi --repeat 0" + model_arg()), 2, "--repeat 0 is out of range");
    expect_one_line(run_cli("compare -p hi --runs 0" + model_arg()), 2, "--runs 0 is out of range");
}

TEST(CliErrors, OptionWithoutItsStage) {
    expect_one_line(run_cli("generate -p hi --samplers top_k,dist --top-p 0.5" + model_arg()), 2,
                    "--top-p has no effect: --samplers \"top_k,dist\" has no top_p stage");
}

TEST(CliErrors, BoostMustBeOneToken) {
    expect_one_line(run_cli("generate -p hi --boost 'xqzvw=2'" + model_arg()), 2,
                    "\"xqzvw\" is not a single token of the vocabulary");
    expect_one_line(run_cli("generate -p hi --boost ' the'" + model_arg()), 2, "expected PIECE=VALUE or ID=VALUE");
    expect_one_line(run_cli("generate -p hi --boost ' the=lots'" + model_arg()), 2, "is not a number");
    expect_one_line(run_cli("generate -p hi --boost 99999=1" + model_arg()), 2, "outside the vocabulary");
}

TEST(CliErrors, EmptyAndMissingPrompt) {
    expect_one_line(run_cli("generate -p ''" + model_arg()), 2, "empty prompt");
    const std::string empty;
    expect_one_line(run_cli("sample" + model_arg(), "", &empty), 2, "empty prompt");
    expect_one_line(run_cli("generate -p a --file /x" + model_arg()), 2, "not both");
    expect_one_line(run_cli("generate --file /nonexistent/prompt.txt" + model_arg()), 1,
                    "cannot read the prompt file \"/nonexistent/prompt.txt\"");
}

TEST(CliErrors, PromptLongerThanTheContext) {
    std::string words;
    for (int i = 0; i < 200; ++i) words += " word";   // 200 tokens; the tiny model's context is 128
    expect_one_line(run_cli("generate -p " + shell_quote(words) + model_arg()), 2,
                    "the prompt is 200 tokens, but the model's context is 128 tokens");
}

TEST(CliErrors, UnknownStrategyAndBadLists) {
    expect_one_line(run_cli("compare -p hi --strategies greedy,lukewarm" + model_arg()), 2, "lukewarm");
    expect_one_line(run_cli("bench --threads 1,x" + model_arg()), 2, "--threads \"1,x\"");
    expect_one_line(run_cli("sample -p hi --top 0" + model_arg()), 2, "--top 0 is out of range");
    expect_one_line(run_cli("bench --kv-dtype f32,bf16" + model_arg()), 2, "'bf16' is not a KV cache type");
}

TEST(CliErrors, UnknownKvDtype) {
    // Parsed by CLI11 (its two-line usage error), with the allowed values named.
    const auto r = run_cli("generate -p hi --kv-dtype q8" + model_arg());
    EXPECT_EQ(r.status, 2) << r.err;
    EXPECT_NE(r.err.find("--kv-dtype: 'q8' is not a KV cache type: allowed f32, f16"), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
}

TEST(CliErrors, BadPresetsFile) {
    const auto dir = test::make_temp_dir("presets");
    { std::ofstream(dir / "p.json") << R"({"presets": [{"name": "x", "order": "dist", "top_q": 3}]})"; }
    const auto r = run_cli("compare -p hi --presets " + shell_quote((dir / "p.json").string()) + model_arg());
    expect_one_line(r, 2, "top_q");
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace gpt2
