// gpt2 make-model: writes a deterministic random GPT-2 checkpoint.
#include <optional>
#include <string>

#include <fmt/format.h>

#include "commands.hpp"
#include "gpt2/error.hpp"
#include "gpt2/random_model.hpp"

namespace gpt2::cli {

namespace {

struct MakeModelOptions {
    std::string preset;
    std::string dtype = "f32";
    std::uint64_t seed = RandomModelSpec{}.seed;
    std::optional<int> n_layer, n_head, n_embd, n_ctx, vocab_size;
    std::string out;
};

}  // namespace

void add_make_model_command(CLI::App& app) {
    auto o = std::make_shared<MakeModelOptions>();
    CLI::App* cmd = app.add_subcommand(
        "make-model", "Write a deterministic random GPT-2 checkpoint (config.json, model.safetensors, tokenizer)");
    cmd->add_option("--preset", o->preset, "Base shape: tiny (2 layers, 64 wide) or 124M (GPT-2 small)")
        ->required()
        ->check(CLI::IsMember({"tiny", "124M"}));
    cmd->add_option("--dtype", o->dtype, "Storage dtype of every tensor")
        ->check(CLI::IsMember({"f32", "f16", "bf16"}))
        ->capture_default_str();
    cmd->add_option("--seed", o->seed, "Random seed (same seed and shape: identical files)")->capture_default_str();
    cmd->add_option("--n-layer", o->n_layer, "Override the number of layers");
    cmd->add_option("--n-head", o->n_head, "Override the number of attention heads");
    cmd->add_option("--n-embd", o->n_embd, "Override the embedding width");
    cmd->add_option("--n-ctx", o->n_ctx, "Override the context length (n_positions)");
    cmd->add_option("--vocab-size", o->vocab_size,
                    "Override the vocabulary size (the GPT-2 tokenizer files are copied only for 50257)");
    cmd->add_option("-o,--out", o->out, "Output directory (created)")->required();
    cmd->footer("Example:\n  gpt2 make-model --preset tiny --dtype bf16 --seed 7 --n-layer 3 --out /tmp/tiny3\n");
    cmd->callback([o] {
        RandomModelSpec spec = random_model_preset(o->preset);
        spec.seed = o->seed;
        spec.dtype = o->dtype == "f16" ? DType::kF16 : o->dtype == "bf16" ? DType::kBF16 : DType::kF32;
        Config& c = spec.config;
        if (o->n_layer) c.n_layer = *o->n_layer;
        if (o->n_head) c.n_head = *o->n_head;
        if (o->n_embd) c.n_embd = *o->n_embd;
        if (o->n_ctx) c.n_ctx = *o->n_ctx;
        if (o->vocab_size) {
            c.vocab_size = *o->vocab_size;
            c.bos_token_id = c.eos_token_id = c.vocab_size - 1;
        }
        try {
            c.validate("make-model");
        } catch (const Error& e) {
            throw CLI::ValidationError(e.what());   // a bad flag: usage error (exit 2)
        }
        const bool gpt2_vocab = c.vocab_size == 50257;
        write_random_model(o->out, spec, gpt2_vocab ? default_tokenizer_dir() : std::filesystem::path{});
        fmt::print("wrote {} (n_layer {}, n_head {}, n_embd {}, n_ctx {}, vocab_size {}, {}, seed {}{})\n", o->out,
                   c.n_layer, c.n_head, c.n_embd, c.n_ctx, c.vocab_size, dtype_name(spec.dtype), spec.seed,
                   gpt2_vocab ? "" : "; no tokenizer files: vocabulary is not GPT-2's");
    });
}

}  // namespace gpt2::cli
