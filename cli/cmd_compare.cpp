// gpt2 compare: the sampling strategies side by side on one prompt.
//
// The prompt is evaluated once; then every (strategy, run) pair — a "lane" —
// is decoded from a fork of it, all lanes together: each step samples one
// token per lane and evaluates them in one batched forward pass
// (gpt2::BatchDecoder), so every weight matrix is read once per step for all
// lanes rather than once per lane. The decoder gives each lane the bits its
// own session would have given, so the tokens are those of generate() with
// the same chain and seed. A lane leaves the batch when it stops (end of
// text, -n tokens, or the context is full).
#include <algorithm>
#include <chrono>
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
#include "gpt2/batch.hpp"
#include "gpt2/error.hpp"
#include "gpt2/generate.hpp"
#include "gpt2/sampling/presets.hpp"
#include "gpt2/sampling/stats.hpp"
#include "gpt2/utf8_stream.hpp"
#include "options.hpp"
#include "render.hpp"
#include "sampling/raw_choice.hpp"

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

// One (strategy, run) sequence: its sampler state, its fork of the prompt's
// session, and what it produced.
struct Lane {
    Lane(std::size_t strategy_index, sampling::Chain c, sampling::Rng r, Session s)
        : strategy(strategy_index), chain(std::move(c)), rng(r), session(std::move(s)) {}

    std::size_t strategy;   // index into the table rows
    sampling::Chain chain;
    sampling::Rng rng;
    Session session;
    std::span<const float> logits;   // the next token's logits
    std::int32_t next = -1;          // the token the lane's last step chose, to evaluate
    Utf8Stream utf8;
    std::vector<std::int32_t> tokens;
    std::string text;
    StopReason stop_reason = StopReason::kMaxTokens;
    std::vector<double> p_raw;   // softmax(logits)[token], per token
    std::vector<sampling::EntropyStats> raw_stats, final_stats;
    double seconds = 0;   // own sampling (statistics excluded) + the batched passes it took part in
    bool done = false;
};

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// One lane's share of step i of the generate() loop (include/gpt2/generate.hpp:
// sample, stop at end of text, accept, statistics, stop at -n tokens or a
// full context). Leaves the token to evaluate in l.next unless the lane is
// done. compare has no stop strings and no callback, so the text is the
// tokens' bytes through a Utf8Stream. Touches nothing but the lane and
// `cand` (the tokenizer is read-only), so lanes can run on different
// threads, each with its own candidates buffer.
void sample_lane(Lane& l, sampling::Candidates& cand, int i, int n, std::int32_t eot, const Tokenizer& tokenizer) {
    const auto t0 = Clock::now();
    cand.load(l.logits);
    l.chain.apply(cand, l.rng);
    const std::int32_t id = cand.selected;
    if (id == eot) {
        l.stop_reason = StopReason::kEndOfText;
        l.done = true;
        l.seconds += seconds_since(t0);
        return;
    }
    l.chain.accept(id);
    // The chosen token's raw probability (generate()'s p_raw, to the last
    // bit) and the raw distribution's entropy from one pass over the
    // logits; the final distribution's entropy from the chain's candidates.
    // The table shows entropies only: compute_entropy gives compute_stats'
    // bits for them without its nucleus-size passes.
    const auto s0 = Clock::now();   // statistics are measuring, not decoding
    const sampling::RawChoiceEntropy raw =
        sampling::raw_p_with_entropy(l.logits, id, cand.input_max(), cand.loaded_exp_sums());
    l.p_raw.push_back(raw.choice.p);
    l.raw_stats.push_back(raw.entropy);
    l.final_stats.push_back(sampling::compute_entropy(cand));
    const double stats_seconds = seconds_since(s0);
    l.text += l.utf8.push(tokenizer.token_bytes(id));
    l.tokens.push_back(id);
    l.next = id;
    if (i + 1 == n) {
        l.stop_reason = StopReason::kMaxTokens;
        l.done = true;
    } else if (l.session.position() >= l.session.max_tokens()) {
        l.stop_reason = StopReason::kContext;
        l.done = true;
    }
    l.seconds += seconds_since(t0) - stats_seconds;
}

// Every lane in lock step: each step samples the lanes' tokens on the
// decoder's threads (a lane's sampling and statistics cost about as much as
// the whole batched forward pass shares per lane on the default model), then
// evaluates them in one batched forward pass. A lane's result depends only on
// its own chain, seed and logits, so the threads change no bits. Returns the
// loop's wall time.
double decode_together(std::vector<Lane>& lanes, const Prefill& prompt, const Tokenizer& tokenizer,
                       BatchDecoder& decoder, int n) {
    const std::int32_t eot = tokenizer.eot_id();
    const auto t_all = Clock::now();
    for (Lane& l : lanes) {
        const auto t0 = Clock::now();
        l.chain.set_trace(false);
        for (std::int32_t id : prompt.prompt) l.chain.accept(id);
        l.logits = prompt.logits;
        l.seconds += seconds_since(t0);
    }
    // One candidates buffer per thread, shared by the lanes that thread
    // samples: 3 x 200 KB that stay in L2 from lane to lane, where a buffer
    // per lane (the chain's own) made nine, 5.4 MB, each step reading
    // another from L3 (docs/benchmarks.md, fifteenth round). Each keeps the
    // softmax sums for the statistics (Candidates::keep_entropy_sums).
    std::vector<sampling::Candidates> buffers(static_cast<std::size_t>(decoder.n_threads()));
    for (sampling::Candidates& c : buffers) c.keep_entropy_sums(true);
    std::vector<Lane*> active, batch;
    std::vector<Session*> sessions;
    std::vector<std::int32_t> ids;
    for (int i = 0;; ++i) {
        active.clear();
        for (Lane& l : lanes) {
            if (!l.done) active.push_back(&l);
        }
        decoder.parallel_for_each(active.size(), [&](std::size_t a, int slot) {
            sample_lane(*active[a], buffers[static_cast<std::size_t>(slot)], i, n, eot, tokenizer);
        });
        batch.clear();
        sessions.clear();
        ids.clear();
        for (Lane* l : active) {
            if (l->done) continue;
            batch.push_back(l);
            sessions.push_back(&l->session);
            ids.push_back(l->next);
        }
        if (batch.empty()) break;
        const auto t0 = Clock::now();
        const std::span<const float> logits = decoder.eval(sessions, ids);
        const double step_seconds = seconds_since(t0);
        const std::size_t V = logits.size() / batch.size();
        for (std::size_t b = 0; b < batch.size(); ++b) {
            batch[b]->logits = logits.subspan(b * V, V);
            batch[b]->seconds += step_seconds;
        }
    }
    for (Lane& l : lanes) l.text += l.utf8.flush();
    return seconds_since(t_all);
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
    const Prefill prompt = prefill(loaded.model, ids, {.max_tokens = 0, .n_threads = o.model.threads, .kv_dtype = o.model.kv_dtype});

    // One lane per (strategy, run), in table order.
    std::vector<Lane> lanes;
    std::vector<Summary> rows;
    for (std::size_t k = 0; k < presets.size(); ++k) {
        const sampling::Preset& p = presets[k];
        const sampling::Chain chain = build_chain(p.params);
        Summary s;
        s.name = p.name;
        s.description = p.description;
        s.settings = settings(chain);
        s.order = p.params.order;
        rows.push_back(std::move(s));
        for (int r = 0; r < o.runs; ++r) {
            lanes.emplace_back(k, chain.clone_chain(),
                               sampling::Rng(o.seed + static_cast<std::uint64_t>(r), name_stream(p.name)),
                               prompt.session.fork());
        }
    }
    BatchDecoder decoder(loaded.model, o.model.threads);
    const double decode_seconds = decode_together(lanes, prompt, loaded.tokenizer, decoder, o.n);

    std::size_t total_tokens = 0;
    for (std::size_t k = 0; k < rows.size(); ++k) {
        Summary& s = rows[k];
        double d2 = 0, tps = 0;
        for (const Lane& l : lanes) {
            if (l.strategy != k) continue;
            for (std::size_t i = 0; i < l.tokens.size(); ++i) {
                s.entropy_nats += l.final_stats[i].entropy_nats;
                s.effective_vocab += l.final_stats[i].perplexity;
                s.raw_entropy_nats += l.raw_stats[i].entropy_nats;
                s.mean_log_prob += std::log(l.p_raw[i]);
            }
            s.n_tokens += l.tokens.size();
            d2 += distinct_2(l.tokens);
            tps += l.seconds > 0.0 ? static_cast<double>(l.tokens.size()) / l.seconds : 0.0;
            s.texts.push_back(l.text);
            s.tokens.push_back(l.tokens);
            s.stop_reasons.emplace_back(stop_reason_name(l.stop_reason));
        }
        total_tokens += s.n_tokens;
        const double n = s.n_tokens > 0 ? static_cast<double>(s.n_tokens) : 1.0;
        s.entropy_nats /= n;
        s.effective_vocab /= n;
        s.raw_entropy_nats /= n;
        s.mean_log_prob /= n;
        s.distinct2 = d2 / o.runs;
        s.tokens_per_s = tps / o.runs;
    }
    const double all_tokens_per_s = decode_seconds > 0.0 ? static_cast<double>(total_tokens) / decode_seconds : 0.0;

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
                                          {"decode_seconds", decode_seconds},
                                          {"decode_tokens_per_s", all_tokens_per_s},
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
                           "the model (temperature 1), ppl = e^-logp; d-2: distinct bigrams / bigrams; tok/s: the "
                           "strategy's decode speed (its sampling, statistics not, plus each batched forward pass it "
                           "took part in: the strategies are decoded together, one pass per step).{}",
                           o.runs > 1 ? " Text: the first run; numbers: all runs." : ""),
                               kScreenWidth)) {
        std::fputs((line + "\n").c_str(), stdout);
    }
    std::fprintf(stderr,
                 "gpt2: prompt %zu tokens prefilled once (%.1f tokens/s), %zu strategies x %d run%s decoded "
                 "together: %zu tokens in %.2f s (%.1f tokens/s)\n",
                 ids.size(), prompt.tokens_per_s(), rows.size(), o.runs, o.runs == 1 ? "" : "s", total_tokens,
                 decode_seconds, all_tokens_per_s);
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
