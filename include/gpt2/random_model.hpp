#pragma once
// Deterministic random GPT-2 checkpoints for tests and benchmarks.
//
//   gpt2::RandomModelSpec spec = gpt2::random_model_preset("tiny");
//   spec.dtype = gpt2::DType::kBF16;
//   gpt2::write_random_model(dir, spec, gpt2::default_tokenizer_dir());
//   gpt2::Model model = gpt2::Model::load(dir);
//
// Writes DIR/config.json, DIR/model.safetensors (real safetensors, the HF
// tensor names without "transformer.", in checkpoint_tensor_specs() order)
// and copies the GPT-2 tokenizer files (vocab.json, merges.txt) from a
// tokenizer directory. Matrices and biases ~ N(0, 0.02), LayerNorm weights
// ~ 1 + N(0, 0.1) and biases ~ N(0, 0.1), so that a bug in any term shows in
// the logits. Values come from splitmix64 + Box-Muller in one stream in
// table order, so they do not depend on the standard library's <random>;
// 16-bit files are the F32 values rounded to nearest even.
// Thread-safety: the functions are independent and reentrant.
#include <cstdint>
#include <filesystem>
#include <string>

#include "gpt2/config.hpp"
#include "gpt2/safetensors.hpp"

namespace gpt2 {

struct RandomModelSpec {
    Config config;
    DType dtype = DType::kF32;
    std::uint64_t seed = 1234;
};

// "tiny" (2 layers, 64 wide, 4 heads, n_ctx 128, GPT-2 vocabulary) or "124M"
// (GPT-2 small: 12 layers, 768 wide, 12 heads, n_ctx 1024). Throws on others.
RandomModelSpec random_model_preset(const std::string& name);

// Writes the checkpoint (creating DIR); `tokenizer_dir` holds vocab.json and
// merges.txt to copy (skipped when empty; they only fit a model whose
// vocab_size is 50257). Same spec → byte-identical files. Throws
// gpt2::Error on an invalid config or an I/O failure.
void write_random_model(const std::filesystem::path& dir, const RandomModelSpec& spec,
                        const std::filesystem::path& tokenizer_dir = {});

// Where the GPT-2 tokenizer files are: $GPT2_DATA_DIR/gpt2-tokenizer when
// that variable is set; else the source tree's data/gpt2-tokenizer when it
// exists (build-tree runs); else <prefix>/share/gpt2/gpt2-tokenizer next to
// the installed executable's bin/. Does not check that the files exist.
std::filesystem::path default_tokenizer_dir();

}  // namespace gpt2
