// gpt2 logits: the raw next-token logits of a token sequence, for checking
// the engine from outside (NumPy, PyTorch) or looking at its top choices.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <string>
#include <vector>

#include "commands.hpp"
#include "gpt2/error.hpp"
#include "gpt2/model.hpp"
#include "gpt2/session.hpp"
#include "io/npy.hpp"

namespace gpt2::cli {

namespace {

struct LogitsOptions {
    std::string model_dir;
    std::string ids;
    bool all_positions = false;
    std::string out;
    int threads = 0;
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
void print_top(int position, std::int32_t input_id, const float* logits, int V) {
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
    std::printf("position %d (input id %d): top %d next tokens\n", position, input_id, k);
    std::printf("  %4s %8s %12s %10s\n", "rank", "id", "logit", "prob");
    for (int r = 0; r < k; ++r) {
        const int id = order[static_cast<std::size_t>(r)];
        std::printf("  %4d %8d %12.5f %10.6f\n", r + 1, id, logits[id],
                    std::exp(static_cast<double>(logits[id]) - max_logit) / sum);
    }
}

void run_logits(const LogitsOptions& opt) {
    const std::vector<std::int32_t> ids = parse_ids(opt.ids);   // malformed: a usage error (exit 2)
    const Model model = Model::load(opt.model_dir);
    const int V = model.config().vocab_size;
    Session session(model, {.max_tokens = 0, .n_threads = opt.threads});
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
                  logits.data() + static_cast<std::size_t>(r) * static_cast<std::size_t>(V), V);
}

}  // namespace

void add_logits_command(CLI::App& app) {
    auto opt = std::make_shared<LogitsOptions>();
    CLI::App* cmd = app.add_subcommand("logits", "Next-token logits of a token sequence (all positions or the last)");
    cmd->add_option("--model", opt->model_dir, "Model directory (config.json + model.safetensors)")->required();
    cmd->add_option("--ids", opt->ids, "Comma-separated token ids, e.g. 464,3290,318")->required();
    cmd->add_flag("--all-positions", opt->all_positions, "Logits of every position, not only the last");
    cmd->add_option("--out", opt->out,
                    "Write float32 logits [positions, vocab] to this .npy file instead of printing the top 10");
    cmd->add_option("--threads", opt->threads, "Worker threads (0 = all cores)")->check(CLI::NonNegativeNumber);
    cmd->footer(
        "Examples:\n"
        "  gpt2 logits --model models/gpt2 --ids 464,3290,318 --all-positions --out logits.npy\n"
        "  gpt2 logits --model models/gpt2 --ids 464,3290,318       # top-10 next tokens of the last position\n"
        "The .npy holds the raw float32 logits, shape [positions, vocab_size]; numpy.load reads it.");
    cmd->callback([opt] { run_logits(*opt); });
}

}  // namespace gpt2::cli
