#include "gpt2/sampling/presets.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "gpt2/error.hpp"
#include "gpt2/sampling/chain.hpp"
#include "io/json_strict.hpp"

namespace gpt2::sampling {

SamplingParams off_params() {
    SamplingParams p;
    p.order = "dist";
    p.temperature = 1.0f;
    p.top_k = 0;
    p.top_p = 1.0;
    p.min_p = 0.0f;
    p.typical_p = 1.0f;
    p.top_n_sigma = 1.0f;   // only used when named in order
    p.repeat_penalty = 1.0f;
    p.frequency_penalty = 0.0f;
    p.presence_penalty = 0.0f;
    p.penalty_last_n = 64;
    p.mirostat_tau = 5.0f;
    p.mirostat_eta = 0.1f;
    p.logit_bias.clear();
    return p;
}

namespace {

Preset make(const char* name, const char* description, const char* order, float temperature, int top_k = 0,
            double top_p = 1.0) {
    Preset preset{name, description, off_params()};
    preset.params.order = order;
    preset.params.temperature = temperature;
    preset.params.top_k = top_k;
    preset.params.top_p = top_p;
    return preset;
}

}  // namespace

const std::vector<Preset>& builtin_presets() {
    // Filters run on the raw logits, temperature after them (the library's
    // default family); for top_k the order does not change the kept set.
    static const std::vector<Preset> presets = {
        make("greedy", "argmax: always the most probable token", "greedy", 1.0f),
        make("near_greedy", "temperature 0.1 (the write-up's 'greedy')", "temperature,dist", 0.1f),
        make("low_temp", "temperature 0.7", "temperature,dist", 0.7f),
        make("medium_temp", "temperature 1.0: the model's own distribution", "temperature,dist", 1.0f),
        make("high_temp", "temperature 1.5", "temperature,dist", 1.5f),
        make("top_k_20", "top-k 20, temperature 0.8", "top_k,temperature,dist", 0.8f, 20),
        make("top_k_50", "top-k 50, temperature 0.8", "top_k,temperature,dist", 0.8f, 50),
        make("top_p_90", "top-p 0.90, temperature 0.8", "top_p,temperature,dist", 0.8f, 0, 0.90),
        make("top_p_95", "top-p 0.95, temperature 0.8", "top_p,temperature,dist", 0.8f, 0, 0.95),
        make("nucleus", "top-k 40, top-p 0.90, temperature 0.8", "top_k,top_p,temperature,dist", 0.8f, 40, 0.90),
    };
    return presets;
}

std::vector<Preset> compare_presets() {
    std::vector<Preset> out;
    for (const auto& p : builtin_presets()) {
        if (p.name != "near_greedy") out.push_back(p);
    }
    return out;
}

const Preset& preset(std::string_view name, const std::vector<Preset>& extra) {
    for (const auto& p : extra) {
        if (p.name == name) return p;
    }
    for (const auto& p : builtin_presets()) {
        if (p.name == name) return p;
    }
    std::string known;
    for (const auto& p : builtin_presets()) known += (known.empty() ? "" : ", ") + p.name;
    for (const auto& p : extra) known += ", " + p.name;
    throw Error(fmt::format("unknown sampling preset \"{}\" (known: {})", name, known));
}

namespace {

using nlohmann::json;

template <class T>
T get_as(const json& value, std::string_view origin, const std::string& preset, const std::string& key,
         const char* expected) {
    try {
        return value.get<T>();
    } catch (const json::exception&) {
        throw Error(fmt::format("{}: preset \"{}\": key \"{}\" must be {}, got {}", origin, preset, key, expected,
                                value.dump()));
    }
}

Preset parse_one(const json& obj, std::string_view origin, std::size_t index) {
    if (!obj.is_object()) {
        throw Error(fmt::format("{}: presets[{}] must be an object, got {}", origin, index, obj.dump()));
    }
    if (!obj.contains("name") || !obj["name"].is_string()) {
        throw Error(fmt::format("{}: presets[{}] needs a string \"name\"", origin, index));
    }
    Preset p{obj["name"].get<std::string>(), "", off_params()};
    const bool name_ok = !p.name.empty() && std::all_of(p.name.begin(), p.name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    });
    if (!name_ok) {
        throw Error(fmt::format("{}: presets[{}]: name \"{}\" must match [A-Za-z0-9_-]+", origin, index, p.name));
    }
    if (!obj.contains("order")) throw Error(fmt::format("{}: preset \"{}\" needs an \"order\"", origin, p.name));
    SamplingParams& s = p.params;
    for (const auto& [key, value] : obj.items()) {
        if (key == "name") continue;
        if (key == "description") p.description = get_as<std::string>(value, origin, p.name, key, "a string");
        else if (key == "order") s.order = get_as<std::string>(value, origin, p.name, key, "a string");
        else if (key == "temperature") s.temperature = get_as<float>(value, origin, p.name, key, "a number");
        else if (key == "top_k") s.top_k = get_as<int>(value, origin, p.name, key, "an integer");
        else if (key == "top_p") s.top_p = get_as<double>(value, origin, p.name, key, "a number");
        else if (key == "min_p") s.min_p = get_as<float>(value, origin, p.name, key, "a number");
        else if (key == "typical_p") s.typical_p = get_as<float>(value, origin, p.name, key, "a number");
        else if (key == "top_n_sigma") s.top_n_sigma = get_as<float>(value, origin, p.name, key, "a number");
        else if (key == "repeat_penalty") s.repeat_penalty = get_as<float>(value, origin, p.name, key, "a number");
        else if (key == "frequency_penalty") s.frequency_penalty = get_as<float>(value, origin, p.name, key, "a number");
        else if (key == "presence_penalty") s.presence_penalty = get_as<float>(value, origin, p.name, key, "a number");
        else if (key == "penalty_last_n") s.penalty_last_n = get_as<int>(value, origin, p.name, key, "an integer");
        else if (key == "mirostat_tau") s.mirostat_tau = get_as<float>(value, origin, p.name, key, "a number");
        else if (key == "mirostat_eta") s.mirostat_eta = get_as<float>(value, origin, p.name, key, "a number");
        else if (key == "logit_bias") {
            s.logit_bias = get_as<std::vector<std::pair<std::int32_t, float>>>(value, origin, p.name, key,
                                                                                "a list of [id, bias] pairs");
        } else {
            throw Error(fmt::format("{}: preset \"{}\": unknown key \"{}\"", origin, p.name, key));
        }
        if ((key == "top_k" || key == "penalty_last_n") && !value.is_number_integer()) {
            throw Error(fmt::format("{}: preset \"{}\": key \"{}\" must be an integer, got {}", origin, p.name, key,
                                    value.dump()));
        }
    }
    try {
        (void)Chain::from_params(s);   // validates the order and every parameter
    } catch (const Error& e) {
        throw Error(fmt::format("{}: preset \"{}\": {}", origin, p.name, e.what()));
    }
    return p;
}

}  // namespace

std::vector<Preset> parse_presets(std::string_view json_text, std::string_view origin) {
    std::string json_error;
    json doc = io::parse_json_strict(json_text, json_error);
    if (!json_error.empty()) throw Error(fmt::format("{}: not valid JSON: {}", origin, json_error));
    if (!doc.is_object() || !doc.contains("presets") || !doc["presets"].is_array()) {
        throw Error(fmt::format("{}: expected an object {{\"presets\": [...]}}", origin));
    }
    for (const auto& [key, value] : doc.items()) {
        if (key != "presets") throw Error(fmt::format("{}: unknown top-level key \"{}\"", origin, key));
    }
    std::vector<Preset> out;
    for (std::size_t i = 0; i < doc["presets"].size(); ++i) {
        Preset p = parse_one(doc["presets"][i], origin, i);
        for (const auto& q : out) {
            if (q.name == p.name) throw Error(fmt::format("{}: preset \"{}\" is defined twice", origin, p.name));
        }
        out.push_back(std::move(p));
    }
    return out;
}

std::vector<Preset> load_presets(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(fmt::format("{}: cannot open the preset file", path.string()));
    std::ostringstream text;
    text << in.rdbuf();
    return parse_presets(text.str(), path.string());
}

}  // namespace gpt2::sampling
