#pragma once
// The GPT-2 hyper-parameters, read from a Hugging Face config.json.
//
// Field names are Hugging Face's (GPT2Config). n_ctx is the attention window
// the engine allows; HF files carry both n_positions (size of wpe) and n_ctx
// (older files); when both are present they must agree.
//
//   gpt2::Config c = gpt2::load_config("models/gpt2/config.json");
//   int hs = c.head_dim();   // HS = C / NH
//
// Required keys: n_layer, n_head, n_embd, vocab_size, n_positions or n_ctx.
// Optional: layer_norm_epsilon (1e-5), activation_function ("gelu_new", the
// only one implemented), bos_token_id/eos_token_id (vocab_size - 1 when
// absent or null). Other keys are ignored. Plain value type, thread-safe.
#include <cstdint>
#include <filesystem>
#include <string>

namespace gpt2 {

struct Config {
    int n_layer = 12;
    int n_head = 12;
    int n_embd = 768;
    int n_ctx = 1024;                    // n_positions in HF config.json
    int vocab_size = 50257;
    float layer_norm_epsilon = 1e-5f;
    std::string activation_function = "gelu_new";  // the only one GPT-2 uses
    int bos_token_id = 50256;
    int eos_token_id = 50256;

    int head_dim() const { return n_embd / n_head; }

    // Throws gpt2::Error when the engine cannot run this configuration:
    // sizes outside 1..limit (n_layer <= 1024, n_embd <= 65536, n_head <=
    // n_embd, n_ctx <= 2^20, vocab_size <= 2^24), n_embd not divisible by
    // n_head, epsilon not positive and finite, an unknown activation, token
    // ids outside the vocabulary. `source` names the file in the message.
    void validate(const std::string& source = "config") const;
};

// Parses config.json text / file; throws gpt2::Error naming the file and the
// key on missing keys, wrong JSON types or values the engine cannot run.
Config parse_config(const std::string& json_text, const std::string& source = "config.json");
Config load_config(const std::filesystem::path& path);
// Serializes to HF-compatible config.json text (model_type "gpt2").
std::string config_to_json(const Config& config);

}  // namespace gpt2
