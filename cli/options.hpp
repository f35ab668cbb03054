#pragma once
// Options shared by the generating subcommands (generate, compare, sample,
// bench), defined once here and registered on each subcommand, and the steps
// every command takes with them: find the model, load it with its tokenizer,
// validate the sampler settings and build the chain.
//
// Errors: a bad option value is a usage error (usage_error(): one line on
// stderr, exit 2); a missing or broken model directory is a runtime error
// (gpt2::Error, exit 1, printed by main.cpp).
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "gpt2/model.hpp"
#include "gpt2/sampling/chain.hpp"
#include "gpt2/sampling/params.hpp"
#include "gpt2/session.hpp"
#include "gpt2/tokenizer.hpp"

namespace gpt2::cli {

inline constexpr std::uint64_t kDefaultSeed = 42;

// --model, --threads, --json (and --seed via SamplerOptions).
struct ModelOptions {
    std::string model_dir;   // empty: default_model_dir()
    int threads = 0;         // 0: every hardware thread
    KvDtype kv_dtype = KvDtype::kF32;   // --kv-dtype f32|f16
    bool json = false;
};

// --kv-dtype f32|f16 (default f32), for the commands that run a session;
// anything else is a usage error naming the allowed values.
void add_kv_dtype_option(CLI::App& cmd, KvDtype& kv_dtype);
// "f32" / "f16".
std::string kv_dtype_name(KvDtype dtype);
// Bytes of one cached K or V element: 4 (f32) or 2 (f16).
inline std::int64_t kv_element_bytes(KvDtype kv) { return kv == KvDtype::kF16 ? 2 : 4; }

// --seed and every sampler option. `set` records which were given, so a
// stage they need can be added to the default order (see build_params()).
struct SamplerOptions {
    std::uint64_t seed = kDefaultSeed;
    std::string samplers;                      // --samplers ORDER ("" = default order)
    std::vector<std::string> boosts;           // --boost PIECE=VALUE | ID=VALUE
    sampling::SamplingParams params;           // the values as parsed
    std::vector<const CLI::Option*> options;   // for count(): what was given
    bool given(std::string_view long_name) const;
};

// The default model directory: $GPT2_MODEL_DIR if set, else the bundled
// <source dir>/models/kjv-small.
std::filesystem::path default_model_dir();

void add_model_options(CLI::App& cmd, ModelOptions& options);
void add_sampler_options(CLI::App& cmd, SamplerOptions& options);

// Prints "gpt2: error: <message>" on stderr and makes the program exit 2.
[[noreturn]] void usage_error(const std::string& message);

// The model and its tokenizer (vocab.json + merges.txt in the model
// directory; else the GPT-2 files shipped with gpt2 when the vocabulary is
// GPT-2's). Throws gpt2::Error naming the directory and the fix.
struct LoadedModel {
    Model model;
    Tokenizer tokenizer;
};
LoadedModel load_model(const ModelOptions& options);

// Validates every given sampler value against its documented range (usage
// error naming the option and the allowed range), resolves --boost pieces to
// token ids with `tokenizer`, and works out the stage order: --samplers
// verbatim if given (an option whose stage it lacks is a usage error), else
// the default order plus the stages the options ask for (typical_p after
// top_k, top_n_sigma before it; mirostat: "penalties,temperature,mirostat").
sampling::SamplingParams build_params(const SamplerOptions& options, const Tokenizer& tokenizer);
// Chain::from_params(params), its errors turned into usage errors.
sampling::Chain build_chain(const sampling::SamplingParams& params);

// The prompt: --prompt TEXT, else --file F, else stdin when it is not a
// terminal. Usage error when none is given or both are; the text is returned
// verbatim (no trailing newline stripped from --prompt; one final newline
// stripped from a file or stdin, as editors add it).
std::string read_prompt(const std::optional<std::string>& prompt, const std::optional<std::string>& file);
// Encodes the prompt; usage errors for an empty prompt and for one longer
// than the model's context (naming both lengths).
std::vector<std::int32_t> encode_prompt(const LoadedModel& loaded, const std::string& text);

// Parses "1,2,4" into integers >= min_value (usage error naming `option`).
std::vector<int> parse_int_list(const std::string& text, std::string_view option, int min_value = 1);
// bench's --kv-dtype list, e.g. "f32,f16" (usage_error on an unknown type).
std::vector<KvDtype> parse_kv_dtype_list(const std::string& text);

}  // namespace gpt2::cli
