// gpt2 compare: the sampling strategies side by side on one prompt.
#include <cmath>
#include <cstdio>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "gpt2/error.hpp"
#include "gpt2/generate.hpp"
#include "gpt2/sampling/presets.hpp"
#include "options.hpp"
#include "render.hpp"

namespace gpt2::cli {

namespace {

struct CompareOptions {
    ModelOptions model;
    std::uint64_t seed = kDefaultSeed;
    std::optional<std::string> prompt;
    std::optional<std::string> file;
    int n = 48;
    std::string strategies = "all";
    int runs = 1;
    std::optional<std::string> presets_file;
};

// The stream a strategy draws from: FNV-1a of its name, so that it depends on
// nothing but the name (adding, removing or reordering strategies never
// changes another one's draws). Run r uses seed + r, as generate --repeat.
std::uint64_t name_stream(std::string_view name) {
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (unsigned char c : name) {
        h ^= c;
        h *= 0x100000001b3ULL;
    }
    return h;
}

// "t=0.8 k=20": the stages' own parameter strings (chain order), "greedy" for
// greedy; dist is implied.
std::string settings(const sampling::Chain& chain) {
    std::string out;
    for (std::size_t i = 0; i < chain.size(); ++i) {
        const sampling::Sampler& s = chain.stage(i);
        std::string part = s.name() == "greedy" ? "argmax" : s.params();
        if (s.name() == "min_p" || s.name() == "typical_p" || s.name() == "top_n_sigma") part = s.name() + ":" + part;
        if (part.empty()) continue;
        if (!out.empty()) out += " ";
        out += part;
    }
    return out.empty() ? "t=1" : out;
}

// Distinct bigrams / bigrams of a token sequence (1 when there are none).
double distinct_2(const std::vector<std::int32_t>& t) {
    if (t.size() < 2) return 1.0;
    std::set<std::pair<std::int32_t, std::int32_t>> seen;
    for (std::size_t i = 0; i + 1 < t.size(); ++i) seen.emplace(t[i], t[i + 1]);
    return static_cast<double>(seen.size()) / static_cast<double>(t.size() - 1);
}

struct Summary {
    std::string name;
    std::string description;
    std::string settings;
    std::string order;
    std::vector<std::string> texts;
    std::vector<std::vector<std::int32_t>> tokens;
    std::vector<std::string> stop_reasons;
    double entropy_nats = 0;       // mean over all tokens of all runs, after the chain
    double effective_vocab = 0;    // mean e^H, after the chain
    double raw_entropy_nats = 0;   // mean H of the model's own distribution
    double mean_log_prob = 0;      // mean ln p_model(token)
    double distinct2 = 0;          // mean over runs
    double tokens_per_s = 0;       // mean over runs
    std::size_t n_tokens = 0;
};

std::vector<sampling::Preset> pick(const CompareOptions& o, const std::vector<sampling::Preset>& user) {
    std::vector<sampling::Preset> all = sampling::compare_presets();
    for (const auto& p : user) {
        bool replaced = false;
        for (auto& q : all) {
            if (q.name == p.name) {
                q = p;
                replaced = true;
            }
        }
        if (!replaced) all.push_back(p);
    }
    if (o.strategies == "all") return all;
    std::vector<sampling::Preset> out;
    std::string_view rest = o.strategies;
    while (true) {
        const std::size_t comma = rest.find(',');
        const std::string name(rest.substr(0, comma));
        try {
            out.push_back(sampling::preset(name, user));
        } catch (const Error& e) {
            usage_error(fmt::format("--strategies: {}", e.what()));
        }
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
    }
    return out;
}

void run_compare(const CompareOptions& o) {
    if (o.n < 1) usage_error(fmt::format("-n {} is out of range: allowed >= 1 (tokens per strategy)", o.n));
    if (o.runs < 1) usage_error(fmt::format("--runs {} is out of range: allowed >= 1", o.runs));
    if (o.model.threads < 0) usage_error(fmt::format("--threads {} is out of range: allowed >= 0 (0 = all)", o.model.threads));
    const std::string prompt_text = read_prompt(o.prompt, o.file);
    std::vector<sampling::Preset> user;
    if (o.presets_file) {
        try {
            user = sampling::load_presets(*o.presets_file);
        } catch (const Error& e) {
            usage_error(fmt::format("--presets: {}", e.what()));
        }
    }
    const std::vector<sampling::Preset> presets = pick(o, user);
    const LoadedModel loaded = load_model(o.model);
    const std::vector<std::int32_t> ids = encode_prompt(loaded, prompt_text);
    const Prefill prompt = prefill(loaded.model, ids, {.max_tokens = 0, .n_threads = o.model.threads});

    GenerateOptions gen;
    gen.max_new_tokens = o.n;
    gen.stats = true;
    std::vector<Summary> rows;
    for (const sampling::Preset& p : presets) {
        const sampling::Chain chain = build_chain(p.params);
        Summary s;
        s.name = p.name;
        s.description = p.description;
        s.settings = settings(chain);
        s.order = p.params.order;
        double d2 = 0, tps = 0;
        for (int r = 0; r < o.runs; ++r) {
            sampling::Rng rng(o.seed + static_cast<std::uint64_t>(r), name_stream(p.name));
            const GenerateResult g = generate(prompt, loaded.tokenizer, chain.clone_chain(), rng, gen);
            for (std::size_t i = 0; i < g.tokens.size(); ++i) {
                s.entropy_nats += g.final_stats[i].entropy_nats;
                s.effective_vocab += g.final_stats[i].perplexity;
                s.raw_entropy_nats += g.raw_stats[i].entropy_nats;
                s.mean_log_prob += std::log(g.p_raw[i]);
            }
            s.n_tokens += g.tokens.size();
            d2 += distinct_2(g.tokens);
            tps += g.decode_tokens_per_s();
            s.texts.push_back(g.text);
            s.tokens.push_back(g.tokens);
            s.stop_reasons.emplace_back(stop_reason_name(g.stop_reason));
        }
        const double n = s.n_tokens > 0 ? static_cast<double>(s.n_tokens) : 1.0;
        s.entropy_nats /= n;
        s.effective_vocab /= n;
        s.raw_entropy_nats /= n;
        s.mean_log_prob /= n;
        s.distinct2 = d2 / o.runs;
        s.tokens_per_s = tps / o.runs;
        rows.push_back(std::move(s));
    }

    if (o.model.json) {
        nlohmann::ordered_json list = nlohmann::ordered_json::array();
        for (const Summary& s : rows) {
            list.push_back({{"strategy", s.name},
                            {"description", s.description},
                            {"settings", s.settings},
                            {"order", s.order},
                            {"texts", s.texts},
                            {"tokens", s.tokens},
                            {"stop_reasons", s.stop_reasons},
                            {"generated_tokens", s.n_tokens},
                            {"mean_entropy_nats", s.entropy_nats},
                            {"mean_effective_vocab", s.effective_vocab},
                            {"mean_model_entropy_nats", s.raw_entropy_nats},
                            {"mean_log_prob", s.mean_log_prob},
                            {"perplexity", std::exp(-s.mean_log_prob)},
                            {"distinct_2", s.distinct2},
                            {"tokens_per_s", s.tokens_per_s}});
        }
        const nlohmann::ordered_json j = {{"model", loaded.model.dir().string()},
                                          {"prompt", prompt_text},
                                          {"prompt_tokens", ids.size()},
                                          {"max_new_tokens", o.n},
                                          {"runs", o.runs},
                                          {"seed", o.seed},
                                          {"prefill_tokens_per_s", prompt.tokens_per_s()},
                                          {"strategies", list}};
        std::fputs((j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n").c_str(), stdout);
        return;
    }

    std::fputs(fmt::format("prompt: {} ({} tokens), {} tokens per strategy, {} run{}, seed {}\n\n",
                           one_line(prompt_text), ids.size(), o.n, o.runs, o.runs == 1 ? "" : "s", o.seed)
                   .c_str(),
               stdout);
    using Col = Table::Column;
    using A = Table::Align;
    Table table({Col{"strategy"}, Col{"text", A::kLeft, true}, Col{"H", A::kRight},
                 Col{"e^H", A::kRight}, Col{"logp", A::kRight}, Col{"ppl", A::kRight}, Col{"d-2", A::kRight},
                 Col{"tok/s", A::kRight}});
    bool first = true;
    for (const Summary& s : rows) {
        if (!first) table.add_rule();
        first = false;
        std::string text = one_line(s.texts.front());
        text.erase(0, text.find_first_not_of(' '));
        table.add_row({s.name + "\n" + s.settings, text, fmt_num(s.entropy_nats), fmt_num(s.effective_vocab, 1),
                       fmt_num(s.mean_log_prob), fmt_num(std::exp(-s.mean_log_prob), 1), fmt_num(s.distinct2),
                       fmt_num(s.tokens_per_s, 0)});
    }
    std::fputs(table.render().c_str(), stdout);
    std::fputs("\n", stdout);
    for (const std::string& line : wrap(fmt::format("H: mean entropy (nats) of the distribution each token was drawn from (after the chain); "
                           "e^H: its mean effective vocabulary; logp: mean ln p of the strategy's own tokens under "
                           "the model (temperature 1), ppl = e^-logp; d-2: distinct bigrams / bigrams; tok/s: decode "
                           "speed (sampling included, statistics not).{}",
                           o.runs > 1 ? " Text: the first run; numbers: all runs." : ""),
                               kScreenWidth)) {
        std::fputs((line + "\n").c_str(), stdout);
    }
    std::fprintf(stderr, "gpt2: prompt %zu tokens prefilled once (%.1f tokens/s), %zu strategies x %d run%s\n",
                 ids.size(), prompt.tokens_per_s(), rows.size(), o.runs, o.runs == 1 ? "" : "s");
}

}  // namespace

void add_compare_command(CLI::App& app) {
    auto o = std::make_shared<CompareOptions>();
    CLI::App* cmd = app.add_subcommand("compare", "Run the sampling strategies on one prompt and compare them in a table");
    cmd->add_option("-p,--prompt", o->prompt, "Prompt text (else --file, else stdin)");
    cmd->add_option("-f,--file", o->file, "Read the prompt from a file");
    cmd->add_option("-n,--n-tokens", o->n, "Tokens per strategy and run")->capture_default_str();
    cmd->add_option("--strategies", o->strategies,
                    "all, or a comma-separated subset of: greedy, low_temp, medium_temp, high_temp, top_k_20, "
                    "top_k_50, top_p_90, top_p_95, nucleus (near_greedy and --presets names too)")
        ->capture_default_str();
    cmd->add_option("--runs", o->runs, "Runs per strategy (seeds seed, seed+1, ...); numbers are averaged")
        ->capture_default_str();
    cmd->add_option("--presets", o->presets_file, "JSON file of extra presets (see docs/cli.md); they join 'all'");
    cmd->add_option("-s,--seed", o->seed, "Random seed; each strategy draws from its own stream of it")
        ->capture_default_str();
    add_model_options(*cmd, o->model);
    cmd->footer(
        "Examples:\n"
        "  gpt2 compare --prompt \"In the beginning God\" -n 40\n"
        "  gpt2 compare -p \"And it came to pass\" --strategies greedy,top_p_90,high_temp --runs 3 --json\n");
    cmd->callback([o] { run_compare(*o); });
}

}  // namespace gpt2::cli
