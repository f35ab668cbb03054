#pragma once
// Building the tokenizer's tables from a vocabulary (token string -> id, JSON)
// and a merges list (one "left right" pair per line, in merge order).
#include <filesystem>
#include <memory>

#include "tokenizer/tables.hpp"

namespace gpt2::tokenizer {

// Throws gpt2::Error naming the file (and line or token) on any problem.
std::shared_ptr<const Tokenizer::Tables> load_tables(const std::filesystem::path& vocab_json,
                                                     const std::filesystem::path& merges_txt);

}  // namespace gpt2::tokenizer
