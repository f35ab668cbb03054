#include "options.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <limits>
#include <optional>
#include <sstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "commands.hpp"
#include "gpt2/error.hpp"
#include "gpt2/random_model.hpp"
#include "gpt2/sampling/presets.hpp"

#ifndef GPT2_SOURCE_DIR
#error "cli/CMakeLists.txt defines GPT2_SOURCE_DIR (the bundled model lives under it)"
#endif

namespace gpt2::cli {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// One row per numeric sampler option: its range (the one the stage checks,
// see include/gpt2/sampling/*.hpp), what "off" is, and the stage it needs.
struct Range {
    const char* option;
    const char* stage;
    double lo;
    bool lo_open;
    double hi;
    bool hi_open;
    const char* note;
};

constexpr Range kRanges[] = {
    {"--temperature", "temperature", 0, false, kInf, true, "0 = greedy, 1 = the model's own distribution"},
    {"--top-k", "top_k", 0, false, kInf, true, "0 = off"},
    {"--top-p", "top_p", 0, true, 1, false, "1 = off"},
    {"--min-p", "min_p", 0, false, 1, false, "0 = off"},
    {"--typical-p", "typical_p", 0, true, 1, false, "1 = off"},
    {"--top-n-sigma", "top_n_sigma", 0, false, kInf, true, "keeps logits >= max - n*sigma"},
    {"--repeat-penalty", "penalties", 0, true, kInf, true, "1 = off"},
    {"--repeat-last-n", "penalties", 0, false, 1048576, false, "tokens of history; 0 = none"},
    {"--frequency-penalty", "penalties", -2, false, 2, false, "0 = off"},
    {"--presence-penalty", "penalties", -2, false, 2, false, "0 = off"},
    {"--mirostat-tau", "mirostat", 0, true, kInf, true, "target surprise in bits"},
    {"--mirostat-eta", "mirostat", 0, true, 1, false, "learning rate"},
};

double value_of(const sampling::SamplingParams& p, std::string_view option) {
    if (option == "--temperature") return p.temperature;
    if (option == "--top-k") return p.top_k;
    if (option == "--top-p") return p.top_p;
    if (option == "--min-p") return p.min_p;
    if (option == "--typical-p") return p.typical_p;
    if (option == "--top-n-sigma") return p.top_n_sigma;
    if (option == "--repeat-penalty") return p.repeat_penalty;
    if (option == "--repeat-last-n") return p.penalty_last_n;
    if (option == "--frequency-penalty") return p.frequency_penalty;
    if (option == "--presence-penalty") return p.presence_penalty;
    if (option == "--mirostat-tau") return p.mirostat_tau;
    return p.mirostat_eta;
}

std::string range_text(const Range& r) {
    auto bound = [](double v) { return std::isinf(v) ? std::string(v > 0 ? "inf" : "-inf") : fmt::format("{:g}", v); };
    return fmt::format("{}{}, {}{}", r.lo_open ? "(" : "[", bound(r.lo), bound(r.hi), r.hi_open ? ")" : "]");
}

void check_range(const Range& r, double v) {
    const bool ok = !std::isnan(v) && (r.lo_open ? v > r.lo : v >= r.lo) && (r.hi_open ? v < r.hi : v <= r.hi);
    if (!ok) usage_error(fmt::format("{} {:g} is out of range: allowed {} ({})", r.option, v, range_text(r), r.note));
}

// "␣the" -> " the": the visible-whitespace notation `tokenize` prints is
// accepted as input too.
std::string unvisible(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size();) {
        const std::string_view rest = s.substr(i);
        if (rest.starts_with("\u2423")) { out += ' '; i += 3; }
        else if (rest.starts_with("\u21B5")) { out += '\n'; i += 3; }
        else if (rest.starts_with("\u21E5")) { out += '\t'; i += 3; }
        else { out += s[i]; ++i; }
    }
    return out;
}

std::pair<std::int32_t, float> parse_boost(const std::string& spec, const Tokenizer& tokenizer, int vocab) {
    const std::size_t eq = spec.rfind('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size()) {
        usage_error(fmt::format("--boost \"{}\": expected PIECE=VALUE or ID=VALUE, e.g. --boost \" the=2.5\" or "
                                "--boost 262=-inf",
                                spec));
    }
    const std::string key = spec.substr(0, eq);
    const std::string value = spec.substr(eq + 1);
    float bias = 0.0f;
    if (value == "-inf" || value == "ban") {
        bias = -std::numeric_limits<float>::infinity();
    } else {
        char* end = nullptr;
        bias = std::strtof(value.c_str(), &end);
        if (end != value.c_str() + value.size() || !std::isfinite(bias)) {
            usage_error(fmt::format("--boost \"{}\": value \"{}\" is not a number (allowed: a finite number, -inf "
                                    "or ban)",
                                    spec, value));
        }
    }
    std::int32_t id = -1;
    if (key.find_first_not_of("0123456789") == std::string::npos) {
        const long long v = std::atoll(key.c_str());
        if (key.size() > 9 || v >= vocab) {
            usage_error(fmt::format("--boost \"{}\": token id {} is outside the vocabulary [0, {})", spec, key,
                                    vocab));
        }
        id = static_cast<std::int32_t>(v);
    } else {
        const std::string piece = unvisible(key);
        id = tokenizer.token_id(piece);
        if (id < 0) {
            const auto ids = tokenizer.encode(piece);
            usage_error(fmt::format("--boost \"{}\": \"{}\" is not a single token of the vocabulary (it encodes "
                                    "as {} tokens: {}); boost one of those ids instead",
                                    spec, key, ids.size(), fmt::join(ids, ",")));
        }
    }
    return {id, bias};
}

bool contains_stage(const std::string& order, std::string_view stage) {
    std::string_view rest = order;
    while (true) {
        const std::size_t comma = rest.find(',');
        std::string_view item = rest.substr(0, comma);
        while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
        while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
        if (item == stage) return true;
        if (comma == std::string_view::npos) return false;
        rest.remove_prefix(comma + 1);
    }
}

}  // namespace

void usage_error(const std::string& message) {
    std::fprintf(stderr, "gpt2: error: %s\n", message.c_str());
    throw CLI::RuntimeError(kExitUsageError);
}

bool SamplerOptions::given(std::string_view long_name) const {
    for (const CLI::Option* o : options) {
        if (o->check_lname(std::string(long_name.substr(2))) && o->count() > 0) return true;
    }
    return false;
}

std::filesystem::path default_model_dir() {
    if (const char* env = std::getenv("GPT2_MODEL_DIR"); env != nullptr && *env != '\0') return env;
    return std::filesystem::path(GPT2_SOURCE_DIR) / "models" / "kjv-small";
}

void add_model_options(CLI::App& cmd, ModelOptions& o) {
    cmd.add_option("-m,--model", o.model_dir,
                   "Model directory (config.json, model.safetensors, vocab.json, merges.txt); default: "
                   "$GPT2_MODEL_DIR, else the bundled models/kjv-small");
    cmd.add_option("-t,--threads", o.threads, "Threads for the forward pass (0 = all hardware threads)")
        ->capture_default_str();
    add_kv_dtype_option(cmd, o.kv_dtype);
    cmd.add_flag("--json", o.json, "Machine-readable JSON on stdout instead of text");
}

namespace {
std::optional<KvDtype> find_kv_dtype(const std::string& name) {
    for (const KvDtype kv : {KvDtype::kF32, KvDtype::kF16})
        if (name == kv_dtype_name(kv)) return kv;
    return std::nullopt;
}
std::string unknown_kv_dtype(const std::string& name) {
    return "'" + name + "' is not a KV cache type: allowed f32, f16";
}
}  // namespace

void add_kv_dtype_option(CLI::App& cmd, KvDtype& kv_dtype) {
    cmd.add_option("--kv-dtype", kv_dtype,
                   "KV cache element type: f32 (exact) or f16 (half the memory and the bytes read per step at long "
                   "contexts; keys and values rounded to binary16)")
        ->transform(CLI::Validator(
            [](std::string& value) -> std::string {
                const std::optional<KvDtype> kv = find_kv_dtype(value);
                if (!kv) return unknown_kv_dtype(value);
                value = std::to_string(static_cast<int>(*kv));   // the enum's value, as CLI11 reads it
                return "";
            },
            "f32|f16"))
        ->default_str("f32");
}

std::string kv_dtype_name(KvDtype dtype) { return dtype == KvDtype::kF16 ? "f16" : "f32"; }

void add_sampler_options(CLI::App& cmd, SamplerOptions& o) {
    auto& p = o.params;
    const std::string g = "Sampling";
    auto add = [&](const char* name, auto& value, const std::string& help) {
        CLI::Option* opt = cmd.add_option(name, value, help)->capture_default_str()->group(g);
        o.options.push_back(opt);
    };
    add("-s,--seed", o.seed, "Random seed (the same seed and settings give the same text)");
    add("--temperature", p.temperature, "Temperature [0, inf); 0 = greedy");
    add("--top-k", p.top_k, "Keep the k most probable tokens; 0 = off");
    add("--top-p", p.top_p, "Nucleus: smallest set with mass >= p, (0, 1]; 1 = off");
    add("--min-p", p.min_p, "Keep tokens with p >= min_p * p_max, [0, 1]; 0 = off");
    add("--typical-p", p.typical_p, "Locally typical sampling mass (0, 1]; 1 = off (adds typical_p)");
    add("--top-n-sigma", p.top_n_sigma, "Keep logits >= max - n*sigma, [0, inf) (adds top_n_sigma)");
    add("--repeat-penalty", p.repeat_penalty, "CTRL repetition penalty (0, inf); 1 = off");
    add("--repeat-last-n", p.penalty_last_n, "Tokens of history the penalties look at, [0, 1048576]");
    add("--frequency-penalty", p.frequency_penalty, "Subtract count * value, [-2, 2]; 0 = off");
    add("--presence-penalty", p.presence_penalty, "Subtract value once per seen token, [-2, 2]; 0 = off");
    add("--mirostat-tau", p.mirostat_tau, "Mirostat v2 target surprise in bits, (0, inf) (switches to mirostat)");
    add("--mirostat-eta", p.mirostat_eta, "Mirostat v2 learning rate, (0, 1] (switches to mirostat)");
    CLI::Option* boost = cmd.add_option("--boost", o.boosts,
                                        "Add VALUE to a token's logit: PIECE=VALUE or ID=VALUE, repeatable; VALUE "
                                        "-inf or ban removes it (e.g. --boost \" the=2\" --boost 198=ban)")
                             ->group(g)
                             ->allow_extra_args(false);
    o.options.push_back(boost);
    CLI::Option* order = cmd.add_option("--samplers", o.samplers,
                                        fmt::format("Stage order, comma-separated (default {}); stages: {}",
                                                    sampling::kDefaultOrder,
                                                    fmt::join(sampling::Chain::stage_names(), ",")))
                             ->group(g);
    o.options.push_back(order);
}

LoadedModel load_model(const ModelOptions& options) {
    const bool is_default = options.model_dir.empty();
    const std::filesystem::path dir = is_default ? default_model_dir() : std::filesystem::path(options.model_dir);
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) {
        if (is_default) {
            throw Error(fmt::format("the default model directory \"{}\" does not exist: pass --model DIR, or set "
                                    "GPT2_MODEL_DIR (a test model: gpt2 make-model --preset tiny --out DIR)",
                                    dir.string()));
        }
        throw Error(fmt::format("model directory \"{}\" does not exist: pass --model with a directory holding "
                                "config.json and model.safetensors",
                                dir.string()));
    }
    if (!std::filesystem::exists(dir / "config.json", ec)) {
        throw Error(fmt::format("\"{}\" is not a model directory: it has no config.json (expected config.json, "
                                "model.safetensors, vocab.json, merges.txt)",
                                dir.string()));
    }
    Model model = Model::load(dir);
    if (std::filesystem::exists(dir / "vocab.json", ec) || std::filesystem::exists(dir / "encoder.json", ec)) {
        Tokenizer tok = Tokenizer::from_dir(dir);
        return {std::move(model), std::move(tok)};
    }
    if (model.config().vocab_size != 50257) {
        throw Error(fmt::format("model directory \"{}\" has no tokenizer (vocab.json + merges.txt) and its "
                                "vocab_size {} is not GPT-2's 50257: add the tokenizer files",
                                dir.string(), model.config().vocab_size));
    }
    spdlog::info("{} has no tokenizer files: using GPT-2's from {}", dir.string(), default_tokenizer_dir().string());
    Tokenizer tok = Tokenizer::from_dir(default_tokenizer_dir());
    return {std::move(model), std::move(tok)};
}

sampling::SamplingParams build_params(const SamplerOptions& options, const Tokenizer& tokenizer) {
    sampling::SamplingParams p = options.params;
    for (const Range& r : kRanges) check_range(r, value_of(p, r.option));
    for (const std::string& b : options.boosts) p.logit_bias.push_back(parse_boost(b, tokenizer, tokenizer.vocab_size()));

    const bool mirostat = options.given("--mirostat-tau") || options.given("--mirostat-eta");
    if (options.given("--samplers")) {
        p.order = options.samplers;
        for (const Range& r : kRanges) {
            if (options.given(r.option) && !contains_stage(p.order, r.stage)) {
                usage_error(fmt::format("{} has no effect: --samplers \"{}\" has no {} stage; add it to --samplers",
                                        r.option, p.order, r.stage));
            }
        }
    } else if (mirostat) {
        // Mirostat steers the surprise itself; llama.cpp runs it after
        // penalties and temperature only.
        p.order = "penalties,temperature,mirostat";
        for (const char* o : {"--top-k", "--top-p", "--min-p", "--typical-p", "--top-n-sigma"}) {
            if (options.given(o)) {
                usage_error(fmt::format("{} has no effect with mirostat (its default order is "
                                        "penalties,temperature,mirostat); name the stages with --samplers",
                                        o));
            }
        }
    } else {
        std::string order = "penalties,";
        if (options.given("--top-n-sigma")) order += "top_n_sigma,";
        order += "top_k,";
        if (options.given("--typical-p")) order += "typical_p,";
        order += "top_p,min_p,temperature,dist";
        p.order = order;
    }
    const sampling::Chain chain = build_chain(p);   // validates the order (unknown stages, selector placement)
    spdlog::info("sampler: {} (seed {})", chain.params(), options.seed);
    return p;
}

sampling::Chain build_chain(const sampling::SamplingParams& params) {
    try {
        return sampling::Chain::from_params(params);
    } catch (const Error& e) {
        usage_error(e.what());
    }
}

std::string read_prompt(const std::optional<std::string>& prompt, const std::optional<std::string>& file) {
    if (prompt && file) usage_error("give the prompt with --prompt or with --file, not both");
    if (prompt) return *prompt;
    std::string text;
    if (file) {
        std::ifstream in(*file, std::ios::binary);
        if (!in) throw Error(fmt::format("cannot read the prompt file \"{}\": check the path", *file));
        text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    } else if (::isatty(STDIN_FILENO) == 0) {
        text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    } else {
        usage_error("no prompt: pass --prompt TEXT, --file F, or pipe the text on stdin");
    }
    if (!text.empty() && text.back() == '\n') text.pop_back();
    if (!text.empty() && text.back() == '\r') text.pop_back();
    return text;
}

std::vector<std::int32_t> encode_prompt(const LoadedModel& loaded, const std::string& text) {
    std::vector<std::int32_t> ids = loaded.tokenizer.encode(text);
    if (ids.empty()) usage_error("empty prompt: pass --prompt with some text (or --file F, or text on stdin)");
    const int n_ctx = loaded.model.config().n_ctx;
    if (static_cast<int>(ids.size()) >= n_ctx) {
        usage_error(fmt::format("the prompt is {} tokens, but the model's context is {} tokens and at least one "
                                "must be left to generate: shorten the prompt",
                                ids.size(), n_ctx));
    }
    return ids;
}

std::vector<int> parse_int_list(const std::string& text, std::string_view option, int min_value) {
    std::vector<int> out;
    std::stringstream ss(text);
    std::string item;
    while (std::getline(ss, item, ',')) {
        char* end = nullptr;
        const long v = std::strtol(item.c_str(), &end, 10);
        if (item.empty() || end != item.c_str() + item.size() || v < min_value || v > 1000000) {
            usage_error(min_value == 1
                            ? fmt::format("{} \"{}\": expected a comma-separated list of positive integers, e.g. 1,2",
                                          option, text)
                            : fmt::format("{} \"{}\": expected a comma-separated list of integers >= {}, e.g. {},{}",
                                          option, text, min_value, min_value, min_value + 512));
        }
        out.push_back(static_cast<int>(v));
    }
    if (out.empty()) usage_error(fmt::format("{} is empty: expected e.g. 1,2", option));
    return out;
}

std::vector<KvDtype> parse_kv_dtype_list(const std::string& text) {
    std::vector<KvDtype> out;
    std::stringstream ss(text);
    std::string item;
    while (std::getline(ss, item, ',')) {
        const std::optional<KvDtype> kv = find_kv_dtype(item);
        if (!kv) usage_error(fmt::format("--kv-dtype: {} (comma-separated)", unknown_kv_dtype(item)));
        out.push_back(*kv);
    }
    if (out.empty()) usage_error("--kv-dtype is empty: expected e.g. f32,f16");
    return out;
}

}  // namespace gpt2::cli
