#pragma once
// Running the built gpt2 executable from tests, with stdout and stderr kept
// apart, and a tiny random model to run it on.
#include <filesystem>
#include <string>

#include "support/test_env.hpp"

namespace gpt2::test {

struct CliResult {
    int status = -1;     // exit code; -1 when killed by a signal (a crash)
    std::string out;     // stdout
    std::string err;     // stderr
};

// Runs `gpt2 <args>` through /bin/sh (args are shell words: quote them with
// shell_quote), stdin from /dev/null unless `stdin_text` is given, with
// `env` (e.g. "NO_COLOR=1 GPT2_MODEL_DIR=/x") prefixed.
CliResult run_cli(const std::string& args, const std::string& env = {}, const std::string* stdin_text = nullptr);

// 'text' with embedded single quotes escaped, for /bin/sh.
std::string shell_quote(const std::string& text);

// A "tiny" random model (2 layers, 64 wide, n_ctx 128, GPT-2 vocabulary and
// tokenizer files) written once per test program into a temp directory.
const std::filesystem::path& tiny_model_dir();

}  // namespace gpt2::test
