#pragma once
// Building the tokenizer's tables from a vocabulary (token string -> id, JSON)
// and a merges list (one "left right" pair per line, in merge order).
#include <filesystem>
#include <memory>
#include <string_view>

#include "tokenizer/tables.hpp"

namespace gpt2::tokenizer {

// Throws gpt2::Error naming the file (and line or token) on any problem.
std::shared_ptr<const Tokenizer::Tables> load_tables(const std::filesystem::path& vocab_json,
                                                     const std::filesystem::path& merges_txt);

// The same from the files' contents; the names only label error messages
// (the fuzz target tests/fuzz/fuzz_vocab.cpp feeds arbitrary text here).
std::shared_ptr<const Tokenizer::Tables> load_tables_from_text(std::string_view vocab_text,
                                                               std::string_view merges_text,
                                                               const std::string& vocab_name,
                                                               const std::string& merges_name);

}  // namespace gpt2::tokenizer
