#pragma once
// Each subcommand lives in its own cli/cmd_<name>.cpp and registers itself on
// the app through one of these functions; main.cpp only wires them up.
#include <CLI/CLI.hpp>

namespace gpt2::cli {

// Exit codes: 0 success, 1 runtime error (bad file, bad input), 2 usage error.
inline constexpr int kExitRuntimeError = 1;
inline constexpr int kExitUsageError = 2;

void add_generate_command(CLI::App& app);
void add_compare_command(CLI::App& app);
void add_sample_command(CLI::App& app);
// `gpt2 tokenize` and `gpt2 detokenize` (cmd_tokenize.cpp).
void add_tokenize_command(CLI::App& app);
void add_logits_command(CLI::App& app);
void add_info_command(CLI::App& app);
void add_bench_command(CLI::App& app);
void add_make_model_command(CLI::App& app);
void add_convert_command(CLI::App& app);

}  // namespace gpt2::cli
