#include "tokenizer/load.hpp"

#include <fstream>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "gpt2/error.hpp"
#include "tokenizer/byte_unicode.hpp"

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

// vocab.json's entries, in file order, read by a SAX handler. Why not a
// DOM (io::parse_json_strict): building nlohmann's std::map of 50,257 keys,
// plus the set of keys that catches a repeated one, was ~70% of loading the
// tokenizer (~0.15 s of every CLI call). Only the shape the vocabulary may
// have is accepted: one object whose values are integers. A repeated key
// needs no set here: it spells the same bytes twice, which the id and bytes
// checks of load_tables() report.
// What VocabReader found: the entries, or the first problem.
struct VocabParse {
    std::vector<std::pair<std::string, std::int64_t>> entries;
    std::string error;               // invalid JSON (parsing stops there)
    bool wrong_shape = false;        // the document is not one object of ids
    std::string found = "nothing";   // the top-level value's type, for the shape error
    std::string bad_key, bad_value;  // the entry whose value is not an integer
};

class VocabReader final : public nlohmann::json_sax<nlohmann::json> {
public:
    VocabParse result;

    bool null() override { return not_an_id("null", "null"); }
    bool boolean(bool v) override { return not_an_id("boolean", v ? "true" : "false"); }
    bool number_integer(number_integer_t v) override { return id(v); }
    bool number_unsigned(number_unsigned_t v) override {
        if (v > static_cast<number_unsigned_t>(std::numeric_limits<std::int64_t>::max())) {
            return not_an_id("number", std::to_string(v));
        }
        return id(static_cast<std::int64_t>(v));
    }
    bool number_float(number_float_t, const string_t& text) override { return not_an_id("number", text); }
    bool string(string_t& v) override { return not_an_id("string", nlohmann::json(v).dump()); }
    bool binary(binary_t&) override { return not_an_id("binary", "binary data"); }
    bool start_object(std::size_t) override {
        if (depth_++ == 0) {
            result.found = "object";
            return true;
        }
        return not_an_id("object", "a JSON object");
    }
    bool key(string_t& k) override {
        key_ = std::move(k);
        return true;
    }
    bool end_object() override {
        --depth_;
        return true;
    }
    bool start_array(std::size_t) override {
        if (depth_ == 0) return shape("array");
        return not_an_id("array", "a JSON array");
    }
    bool end_array() override { return true; }
    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
        result.error = std::string("invalid JSON: ") + e.what();
        return false;
    }

private:
    int depth_ = 0;
    std::string key_;

    bool id(std::int64_t v) {
        if (depth_ != 1) return shape("number");
        result.entries.emplace_back(std::move(key_), v);
        return true;
    }
    // A value that is not an id: inside the object it is a bad entry, at the
    // top level the document has the wrong shape.
    bool not_an_id(const char* type, const std::string& shown_value) {
        if (depth_ == 0) return shape(type);
        result.bad_value = shown_value;
        result.bad_key = key_;
        return false;
    }
    bool shape(const std::string& what) {
        result.found = what;
        result.wrong_shape = true;
        return false;
    }
};

}  // namespace

std::shared_ptr<const Tokenizer::Tables> load_tables(const std::filesystem::path& vocab_json,
                                                     const std::filesystem::path& merges_txt) {
    const std::string vocab_text = read_file(vocab_json, "vocabulary");
    const std::string merges_text = read_file(merges_txt, "merges");
    return load_tables_from_text(vocab_text, merges_text, vocab_json.string(), merges_txt.string());
}

std::shared_ptr<const Tokenizer::Tables> load_tables_from_text(std::string_view vocab_text,
                                                               std::string_view merges_text,
                                                               const std::string& vocab_name,
                                                               const std::string& merges_name) {
    auto tables = std::make_shared<Tokenizer::Tables>();

    // --- the vocabulary: {"token spelled with GPT-2 stand-ins": id, ...}
    VocabReader reader;
    const bool parsed = nlohmann::json::sax_parse(vocab_text, &reader);
    VocabParse& vocab = reader.result;
    if (!vocab.error.empty()) {
        throw Error(fmt::format("malformed JSON in tokenizer vocabulary '{}': {}", vocab_name, vocab.error));
    }
    if (vocab.wrong_shape || vocab.entries.empty()) {
        throw Error(fmt::format("tokenizer vocabulary '{}': expected a non-empty JSON object of "
                                "token -> id, found {}", vocab_name, vocab.wrong_shape ? vocab.found : "an empty object"));
    }
    if (!vocab.bad_value.empty()) {
        throw Error(fmt::format("tokenizer vocabulary '{}': token {} has id {}, expected an integer", vocab_name,
                                shown(vocab.bad_key), vocab.bad_value));
    }
    if (!parsed) throw Error(fmt::format("malformed JSON in tokenizer vocabulary '{}'", vocab_name));
    const std::size_t n_vocab = vocab.entries.size();
    std::vector<std::optional<std::string>> by_id(n_vocab);
    for (auto& [key, id] : vocab.entries) {
        if (id < 0 || static_cast<std::uint64_t>(id) >= n_vocab) {
            throw Error(fmt::format("tokenizer vocabulary '{}': token {} has id {}, expected 0..{} "
                                    "(ids must be dense)", vocab_name, shown(key), id, n_vocab - 1));
        }
        auto bytes = unicode_to_bytes(key);
        if (!bytes) {
            throw Error(fmt::format("tokenizer vocabulary '{}': token {} (id {}) has a character outside "
                                    "GPT-2's byte-to-unicode alphabet", vocab_name, shown(key), id));
        }
        auto& slot = by_id[static_cast<std::size_t>(id)];
        if (slot) {
            throw Error(fmt::format("tokenizer vocabulary '{}': id {} is used twice{}", vocab_name, id,
                                    *slot == *bytes ? fmt::format(" (token {} appears twice)", shown(key)) : ""));
        }
        slot = std::move(bytes);
    }
    vocab.entries = {};
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
            throw Error(fmt::format("tokenizer vocabulary '{}': token id {} repeats the bytes of id {} (the same "
                                    "token twice: a repeated key?)", vocab_name, id, all_ids.find(bytes)));
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
    std::vector<std::int32_t> rank_of(n_vocab, PairToMergeMap::kNoRank);
    std::int32_t rank = 0;
    std::size_t line_no = 0;
    std::size_t pos = 0;
    while (pos < merges_text.size()) {
        std::size_t end = merges_text.find('\n', pos);
        if (end == std::string_view::npos) end = merges_text.size();
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
