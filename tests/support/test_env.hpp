#pragma once
// Paths and small helpers shared by the tests.
#include <filesystem>
#include <string>

namespace gpt2::test {

// The repository's source tree and tests/data.
std::filesystem::path source_dir();
std::filesystem::path test_data_dir();
// The committed GPT-2 tokenizer files (vocab.json, merges.txt).
std::filesystem::path tokenizer_dir();
// The built gpt2 executable.
std::filesystem::path cli_path();
// A fresh, empty directory under the system temp dir, unique per test.
std::filesystem::path make_temp_dir(const std::string& tag);

}  // namespace gpt2::test
