#pragma once
// SHA-256 (FIPS 180-4) of a file, as lowercase hex: proves that a test
// regenerated exactly the checkpoint its goldens were made from.
#include <filesystem>
#include <string>

namespace gpt2::test {

std::string sha256_file(const std::filesystem::path& path);

}  // namespace gpt2::test
