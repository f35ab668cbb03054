// gpt2 logits: the raw next-token logits of a token sequence, for checking
// the engine from outside (NumPy, PyTorch) or looking at its top choices.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <numeric>
#include <optional>
#include <string>
#include <vector>

#include "commands.hpp"
#include "gpt2/error.hpp"
#include "gpt2/model.hpp"
#include "gpt2/session.hpp"
#include "gpt2/tokenizer.hpp"
#include "io/npy.hpp"
#include "options.hpp"

namespace gpt2::cli {

namespace {

struct LogitsOptions {
    ModelOptions model;
    std::string ids;
    std::string prompt;
    bool all_positions = false;
    std::string out;
};

std::vector<std::int32_t> parse_ids(const std::string& text) {
    std::vector<std::int32_t> ids;
    std::size_t pos = 0;
    while (pos <= text.size()) {
        const std::size_t comma = std::min(text.find(',', pos), text.size());
        const std::string item = text.substr(pos, comma - pos);
        std::size_t used = 0;
        long long value = 0;
        try {
            value = std::stoll(item, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (used == 0 || used != item.size() || value < INT32_MIN || value > INT32_MAX)
            throw CLI::ValidationError("--ids", "'" + item +
                                       "' is not a token id (expected comma-separated integers, e.g. 464,3290)");
        ids.push_back(static_cast<std::int32_t>(value));
        pos = comma + 1;
    }
    return ids;
}

// The 10 largest logits of one row with their softmax probabilities.
// The piece of a token for display, when the model has a tokenizer.
std::string piece_of(const Tokenizer* tok, std::int32_t id) {
    return tok != nullptr && id < tok->vocab_size() ? visible_piece(tok->token_bytes(id)) : std::string();
}

void print_top(int position, std::int32_t input_id, const float* logits, int V, const Tokenizer* tok) {
    constexpr int kTop = 10;
    const int k = std::min(kTop, V);
    std::vector<int> order(static_cast<std::size_t>(V));
    std::iota(order.begin(), order.end(), 0);
    std::partial_sort(order.begin(), order.begin() + k, order.end(), [&](int a, int b) {
        return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
    });
    // Softmax in double over the whole row (max subtracted).
    const double max_logit = logits[order[0]];
    double sum = 0.0;
    for (int i = 0; i < V; ++i) sum += std::exp(static_cast<double>(logits[i]) - max_logit);
    const std::string input_piece = piece_of(tok, input_id);
    std::printf("position %d (input id %d%s%s): top %d next tokens\n", position, input_id,
                input_piece.empty() ? "" : " ", input_piece.c_str(), k);
    std::printf("  %4s %8s %12s %10s  %s\n", "rank", "id", "logit", "prob", "piece");
    for (int r = 0; r < k; ++r) {
        const int id = order[static_cast<std::size_t>(r)];
        std::printf("  %4d %8d %12.5f %10.6f  %s\n", r + 1, id, logits[id],
                    std::exp(static_cast<double>(logits[id]) - max_logit) / sum,
                    piece_of(tok, id).c_str());
    }
}

void run_logits(const LogitsOptions& opt) {
    if (opt.ids.empty() == opt.prompt.empty()) usage_error("logits: give exactly one of --ids and --prompt");
    std::vector<std::int32_t> ids;
    if (!opt.ids.empty()) ids = parse_ids(opt.ids);   // malformed: a usage error (exit 2)
    // --ids works on any checkpoint, even one without tokenizer files (the
    // pieces are then not shown); --prompt needs the tokenizer.
    std::optional<LoadedModel> loaded;
    std::optional<Model> bare;
    if (!opt.prompt.empty() || std::filesystem::exists(std::filesystem::path(opt.model.model_dir.empty()
            ? default_model_dir().string() : opt.model.model_dir) / "vocab.json")) {
        loaded.emplace(load_model(opt.model));
    } else {
        bare.emplace(Model::load(opt.model.model_dir));
    }
    const Model& model = loaded ? loaded->model : *bare;
    const Tokenizer* tok = loaded ? &loaded->tokenizer : nullptr;
    if (!opt.prompt.empty()) ids = tok->encode(opt.prompt);
    if (ids.empty()) usage_error("logits: the prompt encodes to no tokens; give a non-empty --prompt");
    const int V = model.config().vocab_size;
    Session session(model, {.max_tokens = 0, .n_threads = opt.model.threads, .kv_dtype = opt.model.kv_dtype});
    const int T = static_cast<int>(ids.size());
    const std::span<const float> logits = opt.all_positions ? session.eval_all(ids) : session.eval(ids);
    const int rows = opt.all_positions ? T : 1;
    const int first = T - rows;

    if (!opt.out.empty()) {
        io::write_npy_f32(opt.out, logits, {rows, V});
        std::fprintf(stderr, "wrote %s: float32 [%d, %d] (positions %d..%d)\n", opt.out.c_str(), rows, V, first,
                     T - 1);
        return;
    }
    for (int r = 0; r < rows; ++r)
        print_top(first + r, ids[static_cast<std::size_t>(first + r)],
                  logits.data() + static_cast<std::size_t>(r) * static_cast<std::size_t>(V), V, tok);
}

}  // namespace

void add_logits_command(CLI::App& app) {
    auto opt = std::make_shared<LogitsOptions>();
    CLI::App* cmd = app.add_subcommand("logits", "Next-token logits of a token sequence (all positions or the last)");
    cmd->add_option("-m,--model", opt->model.model_dir,
                    "Model directory (config.json, model.safetensors, vocab.json, merges.txt); default: "
                    "$GPT2_MODEL_DIR, else the bundled models/kjv-small");
    cmd->add_option("-t,--threads", opt->model.threads, "Worker threads (0 = all cores)")
        ->check(CLI::NonNegativeNumber);
    add_kv_dtype_option(*cmd, opt->model.kv_dtype);
    cmd->add_option("--ids", opt->ids, "Comma-separated token ids, e.g. 464,3290,318");
    cmd->add_option("--prompt", opt->prompt, "Text, encoded with the model's tokenizer (instead of --ids)");
    cmd->add_flag("--all-positions", opt->all_positions, "Logits of every position, not only the last");
    cmd->add_option("--out", opt->out,
                    "Write float32 logits [positions, vocab] to this .npy file instead of printing the top 10");
    cmd->footer(
        "Examples:\n"
        "  gpt2 logits --model models/gpt2 --ids 464,3290,318 --all-positions --out logits.npy\n"
        "  gpt2 logits --model models/gpt2 --ids 464,3290,318       # top-10 next tokens of the last position\n"
        "  gpt2 logits --prompt \"And God said\" --all-positions     # the default model, text in\n"
        "The .npy holds the raw float32 logits, shape [positions, vocab_size]; numpy.load reads it.");
    cmd->callback([opt] { run_logits(*opt); });
}

}  // namespace gpt2::cli
