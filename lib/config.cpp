#include "gpt2/config.hpp"

#include <charconv>
#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>

#include <nlohmann/json.hpp>

#include "gpt2/error.hpp"
#include "io/json_strict.hpp"

namespace gpt2 {

namespace {

// Upper bounds on sizes: far above any released GPT-2 (XL: 48 layers, 1600
// wide, 1024 positions, 50257 tokens), low enough that a corrupt config
// cannot make the engine allocate absurd tables before the tensors are
// checked, and that every product of two sizes fits comfortably in int64.
constexpr int kMaxLayers = 1024;
constexpr int kMaxEmbd = 1 << 16;
constexpr int kMaxCtx = 1 << 20;
constexpr int kMaxVocab = 1 << 24;

// The activations this engine implements. HF's "gelu_new" is the tanh
// approximation GPT-2 was trained with (0.5x(1+tanh(sqrt(2/pi)(x+0.044715x^3)))).
constexpr const char* kActivations[] = {"gelu_new"};

int get_int(const nlohmann::json& j, const char* key, const std::string& source) {
    const auto& v = j.at(key);
    if (v.is_number_unsigned()) {
        auto u = v.get<std::uint64_t>();
        if (u <= static_cast<std::uint64_t>(std::numeric_limits<int>::max())) return static_cast<int>(u);
    } else if (v.is_number_integer()) {
        auto i = v.get<std::int64_t>();
        if (i >= std::numeric_limits<int>::min() && i <= std::numeric_limits<int>::max())
            return static_cast<int>(i);
    } else {
        throw Error(source + ": \"" + key + "\" must be an integer, found " + v.dump());
    }
    throw Error(source + ": \"" + key + "\" = " + v.dump() + " is out of range");
}

void check_range(const std::string& source, const char* key, long long value, long long lo, long long hi) {
    if (value < lo || value > hi) {
        throw Error(source + ": " + key + " = " + std::to_string(value) + " must be in [" +
                    std::to_string(lo) + ", " + std::to_string(hi) + "]");
    }
}

}  // namespace

void Config::validate(const std::string& source) const {
    check_range(source, "n_layer", n_layer, 1, kMaxLayers);
    check_range(source, "n_embd", n_embd, 1, kMaxEmbd);
    check_range(source, "n_head", n_head, 1, n_embd);
    if (n_embd % n_head != 0) {
        throw Error(source + ": n_embd = " + std::to_string(n_embd) + " is not divisible by n_head = " +
                    std::to_string(n_head) + " (each head gets n_embd / n_head dimensions)");
    }
    check_range(source, "n_ctx", n_ctx, 1, kMaxCtx);
    check_range(source, "vocab_size", vocab_size, 1, kMaxVocab);
    if (!(std::isfinite(layer_norm_epsilon) && layer_norm_epsilon > 0.0f)) {
        throw Error(source + ": layer_norm_epsilon = " + std::to_string(layer_norm_epsilon) +
                    " must be a positive finite number");
    }
    bool known = false;
    for (const char* a : kActivations) known = known || activation_function == a;
    if (!known) {
        throw Error(source + ": unsupported activation_function \"" + activation_function +
                    "\" (this engine implements: gelu_new)");
    }
    check_range(source, "bos_token_id", bos_token_id, 0, vocab_size - 1);
    check_range(source, "eos_token_id", eos_token_id, 0, vocab_size - 1);
}

Config parse_config(const std::string& json_text, const std::string& source) {
    std::string json_error;
    const nlohmann::json j = io::parse_json_strict(json_text, json_error);
    if (!json_error.empty()) throw Error(source + ": not valid JSON: " + json_error);
    if (!j.is_object()) throw Error(source + ": expected a JSON object, found " + std::string(j.type_name()));

    Config c;
    for (const char* key : {"n_layer", "n_head", "n_embd", "vocab_size"})
        if (!j.contains(key)) throw Error(source + ": missing \"" + key + "\"");
    c.n_layer = get_int(j, "n_layer", source);
    c.n_head = get_int(j, "n_head", source);
    c.n_embd = get_int(j, "n_embd", source);
    c.vocab_size = get_int(j, "vocab_size", source);

    // n_positions sizes wpe; old files also carry n_ctx. Either alone is
    // accepted; both must agree.
    const bool has_pos = j.contains("n_positions"), has_ctx = j.contains("n_ctx");
    if (!has_pos && !has_ctx) throw Error(source + ": missing \"n_positions\" (or \"n_ctx\")");
    if (has_pos) c.n_ctx = get_int(j, "n_positions", source);
    if (has_ctx) {
        int n_ctx = get_int(j, "n_ctx", source);
        if (has_pos && n_ctx != c.n_ctx) {
            throw Error(source + ": n_positions = " + std::to_string(c.n_ctx) + " and n_ctx = " +
                        std::to_string(n_ctx) + " disagree");
        }
        c.n_ctx = n_ctx;
    }

    if (j.contains("layer_norm_epsilon")) {
        const auto& v = j["layer_norm_epsilon"];
        if (!v.is_number()) throw Error(source + ": \"layer_norm_epsilon\" must be a number, found " + v.dump());
        c.layer_norm_epsilon = static_cast<float>(v.get<double>());
    }
    if (j.contains("activation_function")) {
        const auto& v = j["activation_function"];
        if (!v.is_string()) throw Error(source + ": \"activation_function\" must be a string, found " + v.dump());
        c.activation_function = v.get<std::string>();
    }
    // Absent token ids (configs of small test models) default to the last id,
    // which is GPT-2's <|endoftext|> for the real vocabulary.
    c.bos_token_id = j.contains("bos_token_id") && !j["bos_token_id"].is_null()
                         ? get_int(j, "bos_token_id", source) : c.vocab_size - 1;
    c.eos_token_id = j.contains("eos_token_id") && !j["eos_token_id"].is_null()
                         ? get_int(j, "eos_token_id", source) : c.vocab_size - 1;
    c.validate(source);
    return c;
}

Config load_config(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error("cannot open '" + path.string() + "'");
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) throw Error("cannot read '" + path.string() + "'");
    return parse_config(text.str(), path.string());
}

std::string config_to_json(const Config& config) {
    // The float epsilon is written in its shortest form (1e-05, not
    // 9.99999974737875e-06): to_chars(float) gives the shortest decimal that
    // reads back as the same float; from_chars (locale-independent) turns it
    // into the double the JSON writer prints. If reading that double back as
    // a float ever differed (double rounding), the exact widened value is used.
    const float eps = config.layer_norm_epsilon;
    double epsilon = static_cast<double>(eps);
    char buf[32];
    if (auto [end, ec] = std::to_chars(buf, buf + sizeof buf, eps); ec == std::errc()) {
        double shortest = 0;
        if (auto [p, ec2] = std::from_chars(buf, end, shortest); ec2 == std::errc() && p == end &&
                                                                  static_cast<float>(shortest) == eps)
            epsilon = shortest;
    }
    nlohmann::ordered_json j = {
        {"activation_function", config.activation_function},
        {"architectures", {"GPT2LMHeadModel"}},
        {"bos_token_id", config.bos_token_id},
        {"eos_token_id", config.eos_token_id},
        {"layer_norm_epsilon", epsilon},
        {"model_type", "gpt2"},
        {"n_ctx", config.n_ctx},
        {"n_embd", config.n_embd},
        {"n_head", config.n_head},
        {"n_layer", config.n_layer},
        {"n_positions", config.n_ctx},
        {"vocab_size", config.vocab_size},
    };
    return j.dump(2) + "\n";
}

}  // namespace gpt2
