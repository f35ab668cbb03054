#include "tokenizer/load.hpp"

#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "gpt2/error.hpp"
#include "tokenizer/byte_unicode.hpp"
#include "io/json_strict.hpp"

namespace gpt2::tokenizer {
namespace {

std::string read_file(const std::filesystem::path& path, const char* what) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) {
        throw Error(fmt::format("tokenizer {} file not found: '{}'", what, path.string()));
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(fmt::format("cannot open tokenizer {} file '{}'", what, path.string()));
    std::ostringstream buffer;
    buffer << in.rdbuf();
    if (!in && !in.eof()) throw Error(fmt::format("cannot read tokenizer {} file '{}'", what, path.string()));
    return std::move(buffer).str();
}

// Shortens a token or line for an error message.
std::string shown(std::string_view s) {
    constexpr std::size_t kMax = 40;
    std::string out = s.size() > kMax ? std::string(s.substr(0, kMax)) + "..." : std::string(s);
    return "'" + out + "'";
}

}  // namespace

std::shared_ptr<const Tokenizer::Tables> load_tables(const std::filesystem::path& vocab_json,
                                                     const std::filesystem::path& merges_txt) {
    auto tables = std::make_shared<Tokenizer::Tables>();
    const std::string vocab_name = vocab_json.string();
    const std::string merges_name = merges_txt.string();

    // --- the vocabulary: {"token spelled with GPT-2 stand-ins": id, ...}
    const std::string vocab_text = read_file(vocab_json, "vocabulary");
    std::string json_error;
    const nlohmann::json vocab = io::parse_json_strict(vocab_text, json_error);
    if (!json_error.empty()) {
        throw Error(fmt::format("malformed JSON in tokenizer vocabulary '{}': {}", vocab_name, json_error));
    }
    if (!vocab.is_object() || vocab.empty()) {
        throw Error(fmt::format("tokenizer vocabulary '{}': expected a non-empty JSON object of "
                                "token -> id, found {}", vocab_name, vocab.type_name()));
    }
    const std::size_t n_vocab = vocab.size();
    std::vector<std::optional<std::string>> by_id(n_vocab);
    for (const auto& [key, value] : vocab.items()) {
        if (!value.is_number_integer()) {
            throw Error(fmt::format("tokenizer vocabulary '{}': token {} has id {}, expected an integer",
                                    vocab_name, shown(key), value.dump()));
        }
        const auto id = value.get<std::int64_t>();
        if (id < 0 || static_cast<std::uint64_t>(id) >= n_vocab) {
            throw Error(fmt::format("tokenizer vocabulary '{}': token {} has id {}, expected 0..{} "
                                    "(ids must be dense)", vocab_name, shown(key), id, n_vocab - 1));
        }
        auto& slot = by_id[static_cast<std::size_t>(id)];
        if (slot) {
            throw Error(fmt::format("tokenizer vocabulary '{}': id {} is used twice", vocab_name, id));
        }
        slot = unicode_to_bytes(key);
        if (!slot) {
            throw Error(fmt::format("tokenizer vocabulary '{}': token {} (id {}) has a character outside "
                                    "GPT-2's byte-to-unicode alphabet", vocab_name, shown(key), id));
        }
    }
    std::size_t blob_size = 0;
    for (const auto& bytes : by_id) blob_size += bytes->size();
    tables->blob.reserve(blob_size + kDecodeCopyBytes);
    tables->offsets.reserve(n_vocab + 1);
    tables->offsets.push_back(0);
    for (const auto& bytes : by_id) {
        tables->blob += *bytes;
        tables->offsets.push_back(static_cast<std::uint32_t>(tables->blob.size()));
    }
    by_id.clear();
    tables->blob.append(kDecodeCopyBytes, '\0');  // padding for decode's fixed-size copies

    // All tokens by bytes (specials included) to resolve merges.
    BytesToIdMap all_ids;
    all_ids.reserve(n_vocab);
    for (std::size_t id = 0; id < n_vocab; ++id) {
        const auto bytes = tables->bytes(static_cast<std::int32_t>(id));
        if (bytes.empty()) {
            throw Error(fmt::format("tokenizer vocabulary '{}': token id {} is empty", vocab_name, id));
        }
        if (!all_ids.insert(bytes, static_cast<std::int32_t>(id))) {
            throw Error(fmt::format("tokenizer vocabulary '{}': token id {} repeats the bytes of id {}",
                                    vocab_name, id, all_ids.find(bytes)));
        }
    }
    for (unsigned b = 0; b < 256; ++b) {
        const char c = static_cast<char>(b);
        tables->byte_ids[b] = all_ids.find(std::string_view(&c, 1));
        if (tables->byte_ids[b] < 0) {
            throw Error(fmt::format("tokenizer vocabulary '{}': no token for the single byte 0x{:02X} "
                                    "(a byte-level vocabulary needs all 256)", vocab_name, b));
        }
    }
    tables->eot_id = all_ids.find("<|endoftext|>");

    // --- the merges: "#version: 0.2" then one "left right" per line, rank = order.
    const std::string merges_text = read_file(merges_txt, "merges");
    std::vector<std::int32_t> rank_of(n_vocab, PairToMergeMap::kNoRank);
    std::int32_t rank = 0;
    std::size_t line_no = 0;
    std::size_t pos = 0;
    while (pos < merges_text.size()) {
        std::size_t end = merges_text.find('\n', pos);
        if (end == std::string::npos) end = merges_text.size();
        std::string_view line(merges_text.data() + pos, end - pos);
        pos = end + 1;
        ++line_no;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty()) continue;
        if (line_no == 1 && line.starts_with("#version")) continue;
        const std::size_t space = line.find(' ');
        if (space == std::string_view::npos || space == 0 || space + 1 == line.size() ||
            line.find(' ', space + 1) != std::string_view::npos) {
            throw Error(fmt::format("tokenizer merges '{}' line {}: expected two tokens separated by one "
                                    "space, found {}", merges_name, line_no, shown(line)));
        }
        const auto left = unicode_to_bytes(line.substr(0, space));
        const auto right = unicode_to_bytes(line.substr(space + 1));
        if (!left || !right) {
            throw Error(fmt::format("tokenizer merges '{}' line {}: {} has a character outside GPT-2's "
                                    "byte-to-unicode alphabet", merges_name, line_no, shown(line)));
        }
        const std::int32_t merged = all_ids.find(*left + *right);
        if (merged < 0 || all_ids.find(*left) < 0 || all_ids.find(*right) < 0) {
            throw Error(fmt::format("tokenizer merges '{}' line {}: {} uses or makes a token that is not "
                                    "in the vocabulary '{}'", merges_name, line_no, shown(line), vocab_name));
        }
        if (rank_of[static_cast<std::size_t>(merged)] == PairToMergeMap::kNoRank) {
            rank_of[static_cast<std::size_t>(merged)] = rank;
        }
        ++rank;
    }

    // Ordinary tokens are the single bytes and the merge results; anything else
    // (here <|endoftext|>) is special and never produced from text.
    tables->ordinary_ids.reserve(n_vocab);
    for (std::size_t id = 0; id < n_vocab; ++id) {
        const auto bytes = tables->bytes(static_cast<std::int32_t>(id));
        if (bytes.size() == 1 || rank_of[id] != PairToMergeMap::kNoRank) {
            tables->ordinary_ids.insert(bytes, static_cast<std::int32_t>(id));
        }
    }
    // tiktoken's rule: two adjacent tokens merge when their concatenated bytes
    // are a merge-made token, with that token's rank, however the bytes are
    // split between them (e.g. "a"+"bc" as well as "ab"+"c" make "abc"). So
    // every split of every merged token into two ordinary tokens is a pair.
    struct Pair { std::int32_t left, right; Merge merge; };
    std::vector<Pair> pairs;
    for (std::size_t id = 0; id < n_vocab; ++id) {
        if (rank_of[id] == PairToMergeMap::kNoRank) continue;
        const auto bytes = tables->bytes(static_cast<std::int32_t>(id));
        for (std::size_t k = 1; k < bytes.size(); ++k) {
            const std::int32_t a = tables->ordinary_ids.find(bytes.substr(0, k));
            if (a < 0) continue;
            const std::int32_t b = tables->ordinary_ids.find(bytes.substr(k));
            if (b < 0) continue;
            pairs.push_back({a, b, {rank_of[id], static_cast<std::int32_t>(id)}});
        }
    }
    tables->merges.reserve(pairs.size());
    for (const Pair& p : pairs) tables->merges.insert(p.left, p.right, p.merge);
    return tables;
}

}  // namespace gpt2::tokenizer
