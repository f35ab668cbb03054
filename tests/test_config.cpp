// config.json parsing and validation; each rejection asserts its message.
#include <fstream>
#include <functional>
#include <string>

#include <gtest/gtest.h>

#include "gpt2/config.hpp"
#include "gpt2/error.hpp"
#include "support/test_env.hpp"

namespace gpt2 {
namespace {

// The config.json of Hugging Face's "gpt2" (124M) checkpoint, verbatim in its
// fields (the values the engine reads and the ones it ignores).
const char* kHfGpt2Config = R"({
  "activation_function": "gelu_new",
  "architectures": ["GPT2LMHeadModel"],
  "attn_pdrop": 0.1,
  "bos_token_id": 50256,
  "embd_pdrop": 0.1,
  "eos_token_id": 50256,
  "initializer_range": 0.02,
  "layer_norm_epsilon": 1e-05,
  "model_type": "gpt2",
  "n_ctx": 1024,
  "n_embd": 768,
  "n_head": 12,
  "n_layer": 12,
  "n_positions": 1024,
  "resid_pdrop": 0.1,
  "summary_activation": null,
  "summary_first_dropout": 0.1,
  "summary_proj_to_labels": true,
  "summary_type": "cls_index",
  "summary_use_proj": true,
  "task_specific_params": {"text-generation": {"do_sample": true, "max_length": 50}},
  "vocab_size": 50257
})";

void expect_error(const std::function<void()>& f, const std::vector<std::string>& fragments) {
    try {
        f();
    } catch (const Error& e) {
        const std::string msg = e.what();
        for (const std::string& frag : fragments)
            EXPECT_NE(msg.find(frag), std::string::npos) << "message: " << msg << "\nmissing: " << frag;
        return;
    }
    ADD_FAILURE() << "no gpt2::Error thrown";
}

// A minimal valid config with one key replaced / removed / added.
std::string small_config(const std::string& extra = "", const std::string& drop = "") {
    std::string s = "{";
    const std::pair<const char*, const char*> kv[] = {
        {"n_layer", "2"}, {"n_head", "4"}, {"n_embd", "64"}, {"n_positions", "128"}, {"vocab_size", "100"}};
    bool first = true;
    for (const auto& [k, v] : kv) {
        if (drop == k || extra.find(std::string("\"") + k + "\"") != std::string::npos) continue;
        s += (first ? "" : ", ") + std::string("\"") + k + "\": " + v;
        first = false;
    }
    if (!extra.empty()) s += ", " + extra;
    return s + "}";
}

TEST(Config, ParsesHuggingFaceGpt2) {
    Config c = parse_config(kHfGpt2Config);
    EXPECT_EQ(c.n_layer, 12);
    EXPECT_EQ(c.n_head, 12);
    EXPECT_EQ(c.n_embd, 768);
    EXPECT_EQ(c.n_ctx, 1024);
    EXPECT_EQ(c.vocab_size, 50257);
    EXPECT_FLOAT_EQ(c.layer_norm_epsilon, 1e-5f);
    EXPECT_EQ(c.activation_function, "gelu_new");
    EXPECT_EQ(c.bos_token_id, 50256);
    EXPECT_EQ(c.eos_token_id, 50256);
    EXPECT_EQ(c.head_dim(), 64);
}

TEST(Config, DefaultsForOptionalKeys) {
    Config c = parse_config(small_config());
    EXPECT_EQ(c.n_ctx, 128);
    EXPECT_FLOAT_EQ(c.layer_norm_epsilon, 1e-5f);
    EXPECT_EQ(c.activation_function, "gelu_new");
    EXPECT_EQ(c.eos_token_id, 99);   // last id when absent
    EXPECT_EQ(c.bos_token_id, 99);
}

TEST(Config, NCtxAloneOrAgreeingWithNPositions) {
    EXPECT_EQ(parse_config(small_config("\"n_ctx\": 64", "n_positions")).n_ctx, 64);
    EXPECT_EQ(parse_config(small_config("\"n_ctx\": 128")).n_ctx, 128);
    expect_error([] { parse_config(small_config("\"n_ctx\": 64"), "m/config.json"); },
                 {"m/config.json", "n_positions = 128", "n_ctx = 64", "disagree"});
    expect_error([] { parse_config(small_config("", "n_positions"), "m/config.json"); },
                 {"m/config.json", "missing \"n_positions\""});
}

TEST(Config, MissingKey) {
    expect_error([] { parse_config(small_config("", "n_head"), "m/config.json"); },
                 {"m/config.json", "missing \"n_head\""});
}

TEST(Config, WrongTypes) {
    expect_error([] { parse_config(small_config("\"n_layer\": \"12\"")); }, {"\"n_layer\" must be an integer", "\"12\""});
    expect_error([] { parse_config(small_config("\"n_layer\": 2.5")); }, {"\"n_layer\" must be an integer", "2.5"});
    expect_error([] { parse_config(small_config("\"n_layer\": true")); }, {"\"n_layer\" must be an integer"});
    expect_error([] { parse_config(small_config("\"n_embd\": 99999999999")); }, {"\"n_embd\"", "out of range"});
    expect_error([] { parse_config(small_config("\"layer_norm_epsilon\": \"1e-5\"")); },
                 {"\"layer_norm_epsilon\" must be a number"});
    expect_error([] { parse_config(small_config("\"activation_function\": 1")); },
                 {"\"activation_function\" must be a string"});
}

TEST(Config, NEmbdNotDivisibleByNHead) {
    expect_error([] { parse_config(small_config("\"n_head\": 5"), "m/config.json"); },
                 {"m/config.json", "n_embd = 64 is not divisible by n_head = 5"});
}

TEST(Config, UnknownActivation) {
    expect_error([] { parse_config(small_config("\"activation_function\": \"relu\"")); },
                 {"unsupported activation_function \"relu\"", "gelu_new"});
}

TEST(Config, OutOfRangeValues) {
    expect_error([] { parse_config(small_config("\"n_layer\": 0")); }, {"n_layer = 0", "[1, 1024]"});
    expect_error([] { parse_config(small_config("\"n_layer\": -3")); }, {"n_layer = -3"});
    expect_error([] { parse_config(small_config("\"vocab_size\": 0")); }, {"vocab_size = 0"});
    expect_error([] { parse_config(small_config("\"n_head\": 128")); }, {"n_head = 128", "[1, 64]"});
    expect_error([] { parse_config(small_config("\"layer_norm_epsilon\": -1")); }, {"layer_norm_epsilon", "positive"});
    expect_error([] { parse_config(small_config("\"layer_norm_epsilon\": 1e300")); }, {"layer_norm_epsilon", "finite"});
    expect_error([] { parse_config(small_config("\"eos_token_id\": 100")); }, {"eos_token_id = 100", "[0, 99]"});
}

TEST(Config, NotAnObject) {
    expect_error([] { parse_config("[1, 2, 3]", "m/config.json"); }, {"m/config.json", "expected a JSON object", "array"});
    expect_error([] { parse_config("\"gpt2\""); }, {"expected a JSON object", "string"});
}

TEST(Config, NotJson) {
    expect_error([] { parse_config("{\"n_layer\": ", "m/config.json"); }, {"m/config.json", "not valid JSON"});
}

TEST(Config, NumberOutOfRange) {
    // Found by fuzz_config: 1e999 is nlohmann's out_of_range, not a parse error.
    expect_error([] { parse_config(R"({"n_layer": 1, "n_head": 1999999999999999e999999})", "m/config.json"); },
                 {"m/config.json", "not valid JSON", "number out of range"});
}

TEST(Config, DuplicateKey) {
    expect_error([] { parse_config(R"({"n_layer": 2, "n_head": 4, "n_embd": 64, "vocab_size": 100, "n_layer": 4})", "m/config.json"); },
                 {"m/config.json", "duplicate key \"n_layer\""});
}

TEST(Config, RoundTripsThroughJson) {
    Config c = parse_config(small_config("\"layer_norm_epsilon\": 1e-06, \"bos_token_id\": 3"));
    const std::string text = config_to_json(c);
    EXPECT_NE(text.find("\"layer_norm_epsilon\": 1e-06"), std::string::npos) << text;
    EXPECT_NE(text.find("\"model_type\": \"gpt2\""), std::string::npos) << text;
    Config d = parse_config(text);
    EXPECT_EQ(d.n_layer, c.n_layer);
    EXPECT_EQ(d.n_head, c.n_head);
    EXPECT_EQ(d.n_embd, c.n_embd);
    EXPECT_EQ(d.n_ctx, c.n_ctx);
    EXPECT_EQ(d.vocab_size, c.vocab_size);
    EXPECT_EQ(d.layer_norm_epsilon, c.layer_norm_epsilon);
    EXPECT_EQ(d.bos_token_id, 3);
    EXPECT_EQ(d.eos_token_id, 99);
}

TEST(Config, LoadFromFile) {
    const auto dir = test::make_temp_dir("config");
    std::ofstream(dir / "config.json") << kHfGpt2Config;
    EXPECT_EQ(load_config(dir / "config.json").n_embd, 768);
    expect_error([&] { load_config(dir / "missing.json"); }, {"cannot open", "missing.json"});
    std::ofstream(dir / "bad.json") << "{\"n_layer\": 1}";
    expect_error([&] { load_config(dir / "bad.json"); }, {"bad.json", "missing \"n_head\""});
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace gpt2
