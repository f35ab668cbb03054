#pragma once
// Named sampling strategies (the nine of `compare`, plus near_greedy) and
// user presets from a JSON file.
//
//   const gpt2::sampling::Preset& p = gpt2::sampling::preset("top_p_90");
//   auto chain = gpt2::sampling::Chain::from_params(p.params);
//
// Every preset states every setting: its `order` lists exactly the stages it
// uses, and each unused parameter is set to its "off" value, so nothing is
// switched on by a hidden default.
//
// User preset file (JSON):
//   { "presets": [
//       { "name": "my_story", "description": "loose", "order": "top_k,temperature,dist",
//         "top_k": 60, "temperature": 1.1 } ] }
// Keys: name (required, [A-Za-z0-9_-]+), description, order (required) and
// any SamplingParams field by its name (temperature, top_k, top_p, min_p,
// typical_p, top_n_sigma, repeat_penalty, frequency_penalty,
// presence_penalty, penalty_last_n, mirostat_tau, mirostat_eta, logit_bias
// as [[id, bias], ...]). Fields not given take their "off" value (as in the
// built-ins), never the llama.cpp-like defaults. Unknown keys, wrong types,
// duplicate names and invalid values are gpt2::Error naming the file, the
// preset and the key. Every preset is validated by building its chain.
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "gpt2/sampling/params.hpp"

namespace gpt2::sampling {

struct Preset {
    std::string name;
    std::string description;
    SamplingParams params;
};

// SamplingParams with every stage off (temperature 1, top_k 0, top_p 1,
// min_p 0, typical_p 1, penalties neutral, no bias) and order "dist".
SamplingParams off_params();

// The built-in presets in table order: greedy, near_greedy, low_temp,
// medium_temp, high_temp, top_k_20, top_k_50, top_p_90, top_p_95, nucleus.
const std::vector<Preset>& builtin_presets();
// The nine strategies of `compare` (builtin_presets() without near_greedy).
std::vector<Preset> compare_presets();

// Looks a preset up by name among the built-ins and `extra` (user presets
// win on a name clash). Throws gpt2::Error listing the known names.
const Preset& preset(std::string_view name, const std::vector<Preset>& extra = {});

// Parses a user preset file / JSON text (`origin` names it in errors).
std::vector<Preset> load_presets(const std::filesystem::path& path);
std::vector<Preset> parse_presets(std::string_view json_text, std::string_view origin = "<presets>");

}  // namespace gpt2::sampling
