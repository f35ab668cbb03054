// gpt2 make-model and gpt2 info, run as a user would.
#include <array>
#include <cstdio>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/wait.h>

#include "support/test_env.hpp"

namespace gpt2 {
namespace {

struct Result {
    int status;
    std::string output;   // stdout + stderr
};

Result run(const std::string& args) {
    const std::string cmd = test::cli_path().string() + " " + args + " 2>&1";
    FILE* p = ::popen(cmd.c_str(), "r");
    if (p == nullptr) return {-1, "popen failed"};
    std::string out;
    std::array<char, 4096> buf;
    while (std::size_t n = std::fread(buf.data(), 1, buf.size(), p)) out.append(buf.data(), n);
    const int raw = ::pclose(p);
    return {WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, out};
}

TEST(CliInfo, MakeModelThenInfo) {
    const auto dir = test::make_temp_dir("cli");
    const auto model = (dir / "m").string();
    Result made = run("make-model --preset tiny --dtype bf16 --n-layer 1 --seed 3 --out " + model);
    ASSERT_EQ(made.status, 0) << made.output;
    EXPECT_NE(made.output.find("n_layer 1"), std::string::npos) << made.output;
    EXPECT_TRUE(std::filesystem::exists(dir / "m" / "vocab.json"));

    Result info = run("info --model " + model);
    ASSERT_EQ(info.status, 0) << info.output;
    // 50257*64 + 128*64 + 1*(12*64*64 + 13*64) + 2*64
    EXPECT_NE(info.output.find("parameters  3274752"), std::string::npos) << info.output;
    EXPECT_NE(info.output.find("dtype       BF16"), std::string::npos) << info.output;
    EXPECT_NE(info.output.find("h.0.mlp.c_fc.weight"), std::string::npos) << info.output;
    EXPECT_NE(info.output.find("[64, 256]"), std::string::npos) << info.output;

    Result js = run("info --json --model " + model);
    ASSERT_EQ(js.status, 0) << js.output;
    const auto j = nlohmann::json::parse(js.output);
    EXPECT_EQ(j["parameter_count"], 3274752);
    EXPECT_EQ(j["config"]["n_layer"], 1);
    EXPECT_EQ(j["tensors"].size(), 16u);
    EXPECT_EQ(j["tensors"][0]["name"], "wte.weight");
    EXPECT_EQ(j["tensors"][0]["bytes"], 50257 * 64 * 2);
    EXPECT_EQ(j["file_size"], std::filesystem::file_size(dir / "m" / "model.safetensors"));
    // The file is mapped in place; the 16-bit 1-D tensors (LayerNorm
    // parameters and biases: 8 x 64 + 192 + 256 = 960 values) are widened.
    EXPECT_EQ(j["memory"]["weights_bytes"],
              static_cast<std::int64_t>(std::filesystem::file_size(dir / "m" / "model.safetensors")) + 960 * 4);
    EXPECT_EQ(j["memory"]["kv_cache_bytes"], 2 * 1 * 128 * 64 * 4);
    // Decode's panel copy of the layer's four BF16 matrices: 64 x 192,
    // 64 x 64, 64 x 256 and 256 x 64 values (widths already multiples of 16).
    EXPECT_EQ(j["memory"]["decode_panels_bytes"], (64 * 192 + 64 * 64 + 64 * 256 + 256 * 64) * 2);
    // The huge-page copy decode streams instead of the file map: wte (BF16);
    // no q8 matrices here.
    EXPECT_EQ(j["memory"]["huge_page_copies_bytes"], 50257 * 64 * 2);
    EXPECT_EQ(j["memory"]["total_bytes"], j["memory"]["weights_bytes"].get<std::int64_t>() +
                                              j["memory"]["decode_panels_bytes"].get<std::int64_t>() +
                                              j["memory"]["huge_page_copies_bytes"].get<std::int64_t>() +
                                              j["memory"]["kv_cache_bytes"].get<std::int64_t>());
    EXPECT_EQ(j["memory"]["kv_cache_dtype"], "f32");
    // An F16 cache: 2 bytes a value.
    Result half = run("info --json --kv-dtype f16 --model " + model);
    ASSERT_EQ(half.status, 0) << half.output;
    const auto h = nlohmann::json::parse(half.output);
    EXPECT_EQ(h["memory"]["kv_cache_bytes"], 2 * 1 * 128 * 64 * 2);
    EXPECT_EQ(h["memory"]["kv_cache_dtype"], "f16");
    EXPECT_EQ(h["memory"]["total_bytes"].get<std::int64_t>(),
              j["memory"]["total_bytes"].get<std::int64_t>() - 2 * 1 * 128 * 64 * 2);
    std::filesystem::remove_all(dir);
}

TEST(CliInfo, Errors) {
    Result r = run("info --model /nonexistent/model");
    EXPECT_EQ(r.status, 1) << r.output;
    EXPECT_NE(r.output.find("/nonexistent/model"), std::string::npos) << r.output;
    r = run("make-model --preset tiny --n-head 5 --out /tmp/never-written");
    EXPECT_EQ(r.status, 2) << r.output;
    EXPECT_NE(r.output.find("not divisible by n_head = 5"), std::string::npos) << r.output;
    r = run("make-model --preset small --out /tmp/never-written");
    EXPECT_EQ(r.status, 2) << r.output;
    EXPECT_FALSE(std::filesystem::exists("/tmp/never-written"));
}

}  // namespace
}  // namespace gpt2
