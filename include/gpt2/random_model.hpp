#pragma once
// Deterministic random GPT-2 checkpoints for tests and benchmarks.
//
// Writes DIR/config.json, DIR/model.safetensors (real safetensors, the HF
// tensor names) and copies the real GPT-2 tokenizer files (vocab.json,
// merges.txt) when the vocabulary is GPT-2's. Matrices ~ N(0, 0.02) and
// LayerNorm weights/biases non-trivial (weight ~ 1 + N(0, 0.1), bias ~
// N(0, 0.1)) so that a bug in any term shows in the logits.
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

// Writes the checkpoint; `tokenizer_dir` holds vocab.json and merges.txt to
// copy (skipped when empty). Same spec → byte-identical files.
void write_random_model(const std::filesystem::path& dir, const RandomModelSpec& spec,
                        const std::filesystem::path& tokenizer_dir = {});

// The committed GPT-2 tokenizer files (data/gpt2-tokenizer in the source tree,
// or the installed share/gpt2/gpt2-tokenizer).
std::filesystem::path default_tokenizer_dir();

}  // namespace gpt2
