// gpt2 sample: one token at a time, with what every stage of the sampler
// chain did to the distribution.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "gpt2/generate.hpp"
#include "gpt2/sampling/stats.hpp"
#include "options.hpp"
#include "render.hpp"

namespace gpt2::cli {

namespace {

struct SampleOptions {
    ModelOptions model;
    SamplerOptions sampler;
    std::optional<std::string> prompt;
    std::optional<std::string> file;
    int n = 1;
    int top = 10;
    bool show_steps = false;
};

bool is_filter(const std::string& stage) {
    return stage == "top_k" || stage == "top_p" || stage == "min_p" || stage == "typical_p" || stage == "top_n_sigma";
}

std::string stats_line(const sampling::DistStats& s) {
    return fmt::format("H {} nats ({} bits)  e^H {}  support {}  top-1 {}  nucleus90 {}  nucleus95 {}",
                       fmt_num(s.entropy_nats, 3), fmt_num(s.entropy_bits, 3), fmt_num(s.perplexity, 1), s.support,
                       fmt_prob(s.top1_p), s.nucleus_90, s.nucleus_95);
}

// The final candidates with current probabilities (a copy only when stale).
const sampling::Candidates& final_candidates(const sampling::Chain& chain, sampling::Candidates& copy) {
    if (chain.candidates().probs_current()) return chain.candidates();
    copy = chain.candidates();
    copy.compute_probs();
    return copy;
}

// The candidates table: the model's top N with their probability before and
// after the chain, the cumulative raw probability, and (show_cuts) a rule
// where each filter stage cut (its survivors, counted in its input's order).
std::string candidates_table(const Tokenizer& tok, const sampling::StepTrace& t, const sampling::Candidates& fin,
                             bool show_cuts) {
    const auto& raw_top = t.stages.front().top_before;
    std::vector<std::pair<std::size_t, std::string>> cuts;   // (rows kept, label)
    if (show_cuts) {
        for (const auto& st : t.stages) {
            if (is_filter(st.name) && st.after.size < st.before.size && st.after.size < raw_top.size()) {
                cuts.emplace_back(st.after.size, fmt::format("{}({}) keeps {}", st.name, st.params, st.after.size));
            }
        }
    }
    using Col = Table::Column;
    using A = Table::Align;
    Table table({Col{"#", A::kRight}, Col{"piece"}, Col{"id", A::kRight}, Col{"logit", A::kRight},
                 Col{"p model", A::kRight}, Col{"p final", A::kRight}, Col{"cum model", A::kRight}, Col{""}});
    double cum = 0.0;
    for (std::size_t i = 0; i < raw_top.size(); ++i) {
        for (const auto& [kept, label] : cuts) {
            if (kept == i) table.add_rule(label);
        }
        const auto& e = raw_top[i];
        cum += e.p;
        const sampling::TokenStats fs = sampling::token_stats(fin, e.id);
        table.add_row({std::to_string(i + 1), piece(tok.token_bytes(e.id)), std::to_string(e.id), fmt_num(e.logit, 3),
                       fmt_prob(e.p), fs.present ? fmt_prob(fs.p) : "cut", fmt_prob(cum),
                       e.id == t.chosen ? "<- chosen" : ""});
    }
    return table.render();
}

// One row per stage: what the distribution looked like before -> after it.
std::string stages_table(const sampling::StepTrace& t) {
    using Col = Table::Column;
    using A = Table::Align;
    Table table({Col{"stage"}, Col{"settings", A::kLeft, true}, Col{"H nats", A::kRight}, Col{"e^H", A::kRight},
                 Col{"support", A::kRight}});
    auto arrow = [](const std::string& a, const std::string& b) { return a + " \u2192 " + b; };
    for (const auto& st : t.stages) {
        table.add_row({st.name, st.params, arrow(fmt_num(st.before.entropy_nats, 3), fmt_num(st.after.entropy_nats, 3)),
                       arrow(fmt_num(st.before.perplexity, 1), fmt_num(st.after.perplexity, 1)),
                       arrow(std::to_string(st.before.support), std::to_string(st.after.support))});
    }
    return table.render();
}

std::string chosen_line(const Tokenizer& tok, const sampling::StepTrace& t) {
    return fmt::format("chosen: {} (id {})  p model {} (rank {})  ->  p final {} (rank {} of {})",
                       piece(tok.token_bytes(t.chosen)), t.chosen, fmt_prob(t.chosen_raw.p), t.chosen_raw.rank,
                       fmt_prob(t.chosen_final.p), t.chosen_final.rank, t.final.size);
}

// The last `width` columns of the text so far, on one line.
std::string context_tail(const std::string& text, int width) {
    const std::string line = one_line(text);
    if (display_width(line) <= width) return line;
    std::size_t start = line.size();
    int w = 0;
    while (start > 0 && w < width - 1) {
        --start;
        while (start > 0 && (static_cast<unsigned char>(line[start]) & 0xC0) == 0x80) --start;
        w = display_width(std::string_view(line).substr(start));
    }
    return "\u2026" + line.substr(start);
}

void run_sample(const SampleOptions& o) {
    if (o.n < 1) usage_error(fmt::format("-n {} is out of range: allowed >= 1 (tokens to sample)", o.n));
    if (o.top < 1 || o.top > 1000) usage_error(fmt::format("--top {} is out of range: allowed [1, 1000]", o.top));
    if (o.model.threads < 0) usage_error(fmt::format("--threads {} is out of range: allowed >= 0 (0 = all)", o.model.threads));
    const std::string prompt_text = read_prompt(o.prompt, o.file);
    const LoadedModel loaded = load_model(o.model);
    const sampling::SamplingParams params = build_params(o.sampler, loaded.tokenizer);
    sampling::Chain chain = build_chain(params);
    const std::vector<std::int32_t> ids = encode_prompt(loaded, prompt_text);
    const Prefill prompt = prefill(loaded.model, ids, {.max_tokens = 0, .n_threads = o.model.threads, .kv_dtype = o.model.kv_dtype});
    const Tokenizer& tok = loaded.tokenizer;

    GenerateOptions gen;
    gen.max_new_tokens = o.n;
    gen.trace = true;
    gen.trace_top_n = static_cast<std::size_t>(o.top);
    gen.stop_at_eot = false;   // show the end-of-text choice like any other
    sampling::Rng rng(o.sampler.seed);
    sampling::Candidates copy;
    std::string so_far = prompt_text;
    nlohmann::ordered_json steps = nlohmann::ordered_json::array();
    const bool json = o.model.json;

    if (!json) {
        std::string head = fmt::format("prompt: {} ({} tokens)\n", one_line(prompt_text), ids.size());
        for (const std::string& line : wrap("sampler: " + chain.params(), kScreenWidth)) head += line + "\n";
        std::fputs(head.c_str(), stdout);
    }
    auto on_token = [&](const TokenEvent& e) {
        if (e.id < 0) return true;   // the final flush: nothing to explain
        const sampling::StepTrace& t = *e.trace;
        const sampling::Candidates& fin = final_candidates(chain, copy);
        const std::string before = so_far;
        so_far += e.bytes;
        if (json) {
            nlohmann::ordered_json step = {{"index", e.index},
                                           {"token", e.id},
                                           {"piece", piece(e.bytes)},
                                           {"p_model", e.p_raw},
                                           {"rank_model", e.rank_raw},
                                           {"p_final", e.p_final},
                                           {"trace", nlohmann::ordered_json::parse(sampling::trace_to_json(t))}};
            steps.push_back(std::move(step));
            return true;
        }
        std::string out;
        const std::string title = fmt::format("\u2500\u2500 step {}/{} ", e.index + 1, o.n);
        out += "\n" + title;
        for (int i = display_width(title); i < kScreenWidth; ++i) out += "\u2500";
        out += "\ncontext: " + context_tail(before, kScreenWidth - 9) + "\n";
        if (o.show_steps) {
            out += candidates_table(tok, t, fin, true);
            out += stages_table(t);
        } else {
            out += "model:  " + stats_line(t.raw) + "\n";
            out += "final:  " + stats_line(t.final) + "\n";
            out += candidates_table(tok, t, fin, false);
        }
        out += chosen_line(tok, t) + "\n";
        std::fputs(out.c_str(), stdout);
        return true;
    };
    const GenerateResult r = generate(prompt, tok, chain, rng, gen, on_token);
    if (json) {
        const nlohmann::ordered_json j = {{"model", loaded.model.dir().string()},
                                          {"prompt", prompt_text},
                                          {"prompt_tokens", ids.size()},
                                          {"sampler", chain.params()},
                                          {"order", params.order},
                                          {"seed", o.sampler.seed},
                                          {"text", r.text},
                                          {"tokens", r.tokens},
                                          {"steps", steps}};
        std::fputs((j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n").c_str(), stdout);
        return;
    }
    std::fputs(fmt::format("\ntext: {}{}\n", one_line(prompt_text), one_line(r.text)).c_str(), stdout);
}

}  // namespace

void add_sample_command(CLI::App& app) {
    auto o = std::make_shared<SampleOptions>();
    CLI::App* cmd = app.add_subcommand(
        "sample", "Sample tokens one at a time and show the distribution (--show-steps: what each stage did)");
    cmd->add_option("-p,--prompt", o->prompt, "Prompt text (else --file, else stdin)");
    cmd->add_option("-f,--file", o->file, "Read the prompt from a file");
    cmd->add_option("-n,--n-tokens", o->n, "Tokens to sample")->capture_default_str();
    cmd->add_option("--top", o->top, "Candidates shown per step")->capture_default_str();
    cmd->add_flag("--show-steps", o->show_steps,
                  "Per token: candidates with cut marks and each stage's entropy / effective vocabulary");
    add_model_options(*cmd, o->model);
    add_sampler_options(*cmd, o->sampler);
    cmd->footer(
        "Examples:\n"
        "  gpt2 sample --prompt \"In the beginning God\"\n"
        "  gpt2 sample -p \"And the LORD said\" --show-steps -n 3 --top-k 20 --top-p 0.9 --top 12\n"
        "  gpt2 sample -p \"Blessed are the\" --show-steps --json > trace.json\n");
    cmd->callback([o] { run_sample(*o); });
}

}  // namespace gpt2::cli
