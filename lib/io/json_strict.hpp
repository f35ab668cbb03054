#pragma once
// JSON parsing for everything the library reads from disk (safetensors
// headers, config.json, vocab.json, sampler presets).
//
// Why not plain nlohmann::json::parse: it throws several exception types
// (a number like 1e999 is out_of_range, not parse_error), and it silently
// keeps the last of two equal keys in one object — in a safetensors header
// that would hide a tensor, in config.json a setting. Here every problem
// becomes one message, and a repeated key is an error.
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace gpt2::io {

// Parses `text`. On failure returns a null document and sets `error` to a
// one-line reason ("invalid JSON: ...", "number out of range: ...",
// "duplicate key \"k\" in one object"); on success clears `error`.
nlohmann::json parse_json_strict(std::string_view text, std::string& error);

}  // namespace gpt2::io
