// gpt2 generate: continue a prompt, streaming the text as it is made.
#include <cmath>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "gpt2/generate.hpp"
#include "options.hpp"
#include "render.hpp"

namespace gpt2::cli {

namespace {

struct GenerateCommandOptions {
    ModelOptions model;
    SamplerOptions sampler;
    std::optional<std::string> prompt;
    std::optional<std::string> file;
    int n = 64;
    std::vector<std::string> stop;
    bool color = false;
    int repeat = 1;
    bool ignore_eot = false;
    bool no_echo = false;
};

double mean_log_prob(const std::vector<double>& p) {
    if (p.empty()) return 0.0;
    double s = 0.0;
    for (double v : p) s += std::log(v);
    return s / static_cast<double>(p.size());
}

void run_generate(const GenerateCommandOptions& o) {
    if (o.n < 0) usage_error(fmt::format("-n {} is out of range: allowed >= 0 (tokens to generate)", o.n));
    if (o.repeat < 1) usage_error(fmt::format("--repeat {} is out of range: allowed >= 1 (runs)", o.repeat));
    if (o.model.threads < 0) usage_error(fmt::format("--threads {} is out of range: allowed >= 0 (0 = all)", o.model.threads));
    for (const std::string& s : o.stop) {
        if (s.empty()) usage_error("--stop \"\": a stop string must not be empty");
    }
    const std::string prompt_text = read_prompt(o.prompt, o.file);
    const LoadedModel loaded = load_model(o.model);
    const sampling::SamplingParams params = build_params(o.sampler, loaded.tokenizer);
    const sampling::Chain chain = build_chain(params);
    const std::vector<std::int32_t> ids = encode_prompt(loaded, prompt_text);

    const Prefill prompt = prefill(loaded.model, ids, {.max_tokens = 0, .n_threads = o.model.threads, .kv_dtype = o.model.kv_dtype});
    GenerateOptions gen;
    gen.max_new_tokens = o.n;
    gen.stop = o.stop;
    gen.stop_at_eot = !o.ignore_eot;

    const bool color = !o.model.json && color_enabled(o.color);
    nlohmann::ordered_json runs = nlohmann::ordered_json::array();
    for (int k = 0; k < o.repeat; ++k) {
        const std::uint64_t seed = o.sampler.seed + static_cast<std::uint64_t>(k);
        sampling::Rng rng(seed);
        TokenCallback stream;
        if (!o.model.json) {
            if (o.repeat > 1) std::fputs(fmt::format("--- run {}/{} (seed {}) ---\n", k + 1, o.repeat, seed).c_str(), stdout);
            if (!o.no_echo) std::fputs(prompt_text.c_str(), stdout);
            std::fflush(stdout);
            stream = [color](const TokenEvent& e) {
                // The final event (id -1) only flushes held-back text: no colour.
                std::fputs((e.id < 0 ? std::string(e.text) : heat(e.text, e.p_raw, color)).c_str(), stdout);
                std::fflush(stdout);
                return true;
            };
        }
        const GenerateResult r = generate(prompt, loaded.tokenizer, chain.clone_chain(), rng, gen, stream);
        if (!o.model.json) {
            std::fputs("\n", stdout);
            std::fflush(stdout);
            std::fprintf(stderr,
                         "gpt2: prompt %d tokens, generated %zu tokens (stop: %s); prefill %.1f tokens/s, decode %.1f "
                         "tokens/s\n",
                         r.prompt_tokens, r.tokens.size(), stop_reason_name(r.stop_reason), r.prefill_tokens_per_s(),
                         r.decode_tokens_per_s());
            if (r.stop_reason == StopReason::kContext) {
                std::fprintf(stderr, "gpt2: stopped at the model's context of %d tokens\n",
                             loaded.model.config().n_ctx);
            }
        }
        const double mlp = mean_log_prob(r.p_raw);
        runs.push_back({{"seed", seed},
                        {"text", r.text},
                        {"tokens", r.tokens},
                        {"generated_tokens", r.tokens.size()},
                        {"stop_reason", stop_reason_name(r.stop_reason)},
                        {"stop_string", r.stop_string},
                        {"mean_log_prob", mlp},
                        {"perplexity", std::exp(-mlp)},
                        {"decode_seconds", r.decode_seconds},
                        {"decode_tokens_per_s", r.decode_tokens_per_s()}});
    }
    if (color) std::fprintf(stdout, "%s\n", heat_legend(true).c_str());
    if (o.model.json) {
        const nlohmann::ordered_json j = {
            {"model", loaded.model.dir().string()},
            {"prompt", prompt_text},
            {"prompt_tokens", ids.size()},
            {"sampler", chain.params()},
            {"order", params.order},
            {"max_new_tokens", o.n},
            {"prefill_seconds", prompt.seconds},
            {"prefill_tokens_per_s", prompt.tokens_per_s()},
            {"runs", runs},
        };
        std::fputs((j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n").c_str(), stdout);
    }
}

}  // namespace

void add_generate_command(CLI::App& app) {
    auto o = std::make_shared<GenerateCommandOptions>();
    CLI::App* cmd = app.add_subcommand("generate", "Continue a prompt, streaming the text as it is made");
    cmd->add_option("-p,--prompt", o->prompt, "Prompt text (else --file, else stdin)");
    cmd->add_option("-f,--file", o->file, "Read the prompt from a file");
    cmd->add_option("-n,--n-tokens", o->n, "Tokens to generate at most")->capture_default_str();
    cmd->add_option("--stop", o->stop, "Stop when the text contains STR (repeatable; not printed)")
        ->allow_extra_args(false);
    cmd->add_flag("--color", o->color, "Colour each token by its probability (heat scale + legend; needs a terminal, "
                                       "honours NO_COLOR)");
    cmd->add_option("--repeat", o->repeat, "Generate K times with seeds seed, seed+1, ... (the prompt is evaluated once)")
        ->capture_default_str();
    cmd->add_flag("--ignore-eot", o->ignore_eot, "Do not stop at <|endoftext|> (id 50256); print it and go on");
    cmd->add_flag("--no-echo", o->no_echo, "Print only the generated text, not the prompt");
    add_model_options(*cmd, o->model);
    add_sampler_options(*cmd, o->sampler);
    cmd->footer(
        "Examples:\n"
        "  gpt2 generate --prompt \"In the beginning\" -n 40\n"
        "  gpt2 generate -p \"And the LORD said\" --temperature 0.7 --top-p 0.9 --stop \".\" --repeat 3\n"
        "  echo \"Blessed are\" | gpt2 generate --color --seed 7\n");
    cmd->callback([o] { run_generate(*o); });
}

}  // namespace gpt2::cli
