// `gpt2 tokenize` and `gpt2 detokenize`: text <-> GPT-2 token ids.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "gpt2/error.hpp"
#include "gpt2/tokenizer.hpp"

namespace gpt2::cli {
namespace {

struct TokenizerSource {
    std::string model_dir;
    std::string tokenizer_dir;
};

void add_tokenizer_options(CLI::App& cmd, TokenizerSource& src) {
    auto* model = cmd.add_option("--model", src.model_dir, "Model directory holding vocab.json + merges.txt");
    auto* tok = cmd.add_option("--tokenizer", src.tokenizer_dir,
                               "Tokenizer directory (vocab.json + merges.txt or encoder.json + vocab.bpe); "
                               "default $GPT2_DATA_DIR/gpt2-tokenizer, else the source tree's data/gpt2-tokenizer");
    model->excludes(tok);
    tok->excludes(model);
}

Tokenizer load_tokenizer(const TokenizerSource& src) {
    if (!src.model_dir.empty()) return Tokenizer::from_dir(src.model_dir);
    if (!src.tokenizer_dir.empty()) return Tokenizer::from_dir(src.tokenizer_dir);
    if (const char* data = std::getenv("GPT2_DATA_DIR"); data != nullptr && *data != '\0') {
        return Tokenizer::from_dir(std::filesystem::path(data) / "gpt2-tokenizer");
    }
    return Tokenizer::from_dir(std::filesystem::path(GPT2_SOURCE_DIR) / "data" / "gpt2-tokenizer");
}

std::string read_stream(std::istream& in) {
    std::ostringstream buffer;
    buffer << in.rdbuf();
    return std::move(buffer).str();
}

std::string read_input(const std::string& file) {
    if (file.empty()) return read_stream(std::cin);
    std::ifstream in(file, std::ios::binary);
    if (!in) throw Error(fmt::format("cannot open input file '{}'", file));
    return read_stream(in);
}

void write_bytes(std::string_view bytes) { std::fwrite(bytes.data(), 1, bytes.size(), stdout); }

struct TokenizeOptions {
    TokenizerSource src;
    std::string text;
    bool have_text = false;
    std::string file;
    bool json = false;
    bool jsonl = false;
    bool allow_special = false;
};

void run_jsonl(const Tokenizer& tok, const TokenizeOptions& o) {
    std::ifstream file_in;
    if (!o.file.empty()) {
        file_in.open(o.file, std::ios::binary);
        if (!file_in) throw Error(fmt::format("cannot open input file '{}'", o.file));
    }
    std::istream& in = o.file.empty() ? std::cin : file_in;
    const std::string source = o.file.empty() ? "stdin" : o.file;
    std::string line, out;
    std::vector<std::int32_t> ids;
    std::size_t line_no = 0;
    while (std::getline(in, line)) {
        ++line_no;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty()) continue;
        nlohmann::json value;
        try {
            value = nlohmann::json::parse(line);
        } catch (const nlohmann::json::exception& e) {  // parse_error, out_of_range (1e999)
            throw Error(fmt::format("{} line {}: expected one JSON string, found invalid JSON ({})", source,
                                    line_no, e.what()));
        }
        if (!value.is_string()) {
            throw Error(fmt::format("{} line {}: expected one JSON string, found a JSON {}", source, line_no,
                                    value.type_name()));
        }
        ids.clear();
        tok.encode_into(value.get_ref<const std::string&>(), ids, {.allow_special = o.allow_special});
        out.clear();
        out += '[';
        for (std::size_t i = 0; i < ids.size(); ++i) {
            if (i) out += ',';
            out += std::to_string(ids[i]);
        }
        out += "]\n";
        write_bytes(out);
    }
}

void run_tokenize(const TokenizeOptions& o) {
    const Tokenizer tok = load_tokenizer(o.src);
    if (o.jsonl) {
        run_jsonl(tok, o);
        return;
    }
    const std::string text = o.have_text ? o.text : read_input(o.file);
    const auto ids = tok.encode(text, {.allow_special = o.allow_special});
    if (o.json) {
        nlohmann::json pieces = nlohmann::json::array();
        for (auto id : ids) pieces.push_back(visible_piece(tok.token_bytes(id)));
        const nlohmann::json doc = {{"ids", ids}, {"pieces", pieces}, {"n_tokens", ids.size()},
                                    {"n_bytes", text.size()}};
        write_bytes(doc.dump() + "\n");
        return;
    }
    std::string out;
    for (std::size_t i = 0; i < ids.size(); ++i) {
        out += fmt::format("{:>6} {:>6}  {}\n", i, ids[i], visible_piece(tok.token_bytes(ids[i])));
    }
    out += fmt::format("{} tokens, {} bytes\n", ids.size(), text.size());
    write_bytes(out);
}

// Ids from arguments or text: integers separated by spaces, commas, brackets
// or newlines (so `tokenize --jsonl` / `--json` output can be pasted back).
void parse_ids(std::string_view text, std::vector<std::int32_t>& ids) {
    std::size_t i = 0;
    while (i < text.size()) {
        const char c = text[i];
        if (c == ' ' || c == ',' || c == '[' || c == ']' || c == '\n' || c == '\r' || c == '\t') { ++i; continue; }
        std::size_t j = i;
        if (text[j] == '-') ++j;
        while (j < text.size() && text[j] >= '0' && text[j] <= '9') ++j;
        const std::string token(text.substr(i, j - i));
        if (j == i || token == "-" || (j < text.size() && std::string_view(" ,[]\n\r\t").find(text[j]) == std::string_view::npos)) {
            std::size_t end = text.find_first_of(" ,[]\n\r\t", i);
            throw Error(fmt::format("expected token ids (integers), found '{}'",
                                    text.substr(i, end == std::string_view::npos ? text.size() - i : end - i)));
        }
        if (token.size() > 10) throw Error(fmt::format("token id '{}' is out of range", token));
        const long long v = std::stoll(token);
        if (v < INT32_MIN || v > INT32_MAX) throw Error(fmt::format("token id '{}' is out of range", token));
        ids.push_back(static_cast<std::int32_t>(v));
        i = j;
    }
}

struct DetokenizeOptions {
    TokenizerSource src;
    std::vector<std::string> ids;
    bool visible = false;
};

void run_detokenize(const DetokenizeOptions& o) {
    const Tokenizer tok = load_tokenizer(o.src);
    std::vector<std::int32_t> ids;
    if (o.ids.empty()) parse_ids(read_stream(std::cin), ids);
    for (const auto& a : o.ids) parse_ids(a, ids);
    const std::string text = tok.decode(ids);  // throws on an id out of range
    write_bytes(o.visible ? visible_piece(text) + "\n" : text);
}

}  // namespace

void add_tokenize_command(CLI::App& app) {
    auto opts = std::make_shared<TokenizeOptions>();
    auto* cmd = app.add_subcommand("tokenize", "Text -> GPT-2 token ids, with each token's bytes shown");
    add_tokenizer_options(*cmd, opts->src);
    auto* text = cmd->add_option("text", opts->text, "Text to tokenize (default: --file, else stdin)");
    auto* file = cmd->add_option("-f,--file", opts->file, "Read the text from this file");
    text->excludes(file);
    auto* json = cmd->add_flag("--json", opts->json, "Print {\"ids\": [...], \"pieces\": [...]} as JSON");
    auto* jsonl = cmd->add_flag("--jsonl", opts->jsonl,
                                "Bulk mode: read one JSON string per line (stdin or --file), "
                                "write one JSON array of ids per line");
    json->excludes(jsonl);
    jsonl->excludes(text);
    cmd->add_flag("--allow-special", opts->allow_special,
                  "Recognise <|endoftext|> in the text as the special token 50256 (default: plain text)");
    cmd->footer(
        "Examples:\n"
        "  gpt2 tokenize \"Hello world\"          # index, id and piece per token (␣ = space, ↵ = newline)\n"
        "  gpt2 tokenize --json --file notes.txt\n"
        "  printf '\"a b\"\\n\"c\"\\n' | gpt2 tokenize --jsonl   # -> [64,275] / [66]");
    cmd->callback([opts, text] {
        opts->have_text = text->count() > 0;
        run_tokenize(*opts);
    });

    auto dopts = std::make_shared<DetokenizeOptions>();
    auto* dcmd = app.add_subcommand("detokenize", "GPT-2 token ids -> the exact text bytes");
    add_tokenizer_options(*dcmd, dopts->src);
    dcmd->add_option("ids", dopts->ids, "Token ids (default: read from stdin; spaces, commas or a JSON array)");
    dcmd->add_flag("--visible", dopts->visible, "Show whitespace and invalid bytes visibly instead of raw bytes");
    dcmd->footer(
        "Examples:\n"
        "  gpt2 detokenize 15496 995               # Hello world\n"
        "  echo '[15496, 995]' | gpt2 detokenize");
    dcmd->callback([dopts] { run_detokenize(*dopts); });
}

}  // namespace gpt2::cli
