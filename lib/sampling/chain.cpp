#include "gpt2/sampling/chain.hpp"

#include <algorithm>
#include <functional>

#include <fmt/format.h>

#include "gpt2/error.hpp"
#include "gpt2/sampling/dist.hpp"
#include "gpt2/sampling/greedy.hpp"
#include "gpt2/sampling/logit_bias.hpp"
#include "gpt2/sampling/min_p.hpp"
#include "gpt2/sampling/mirostat.hpp"
#include "gpt2/sampling/penalties.hpp"
#include "gpt2/sampling/temperature.hpp"
#include "gpt2/sampling/top_k.hpp"
#include "gpt2/sampling/top_n_sigma.hpp"
#include "gpt2/sampling/top_p.hpp"
#include "gpt2/sampling/typical_p.hpp"

namespace gpt2::sampling {

namespace {

// The one table of stage names: spec parsing, stage_names() and the error
// message all read it. A new stage adds one row.
struct StageFactory {
    const char* name;
    std::function<std::unique_ptr<Sampler>(const SamplingParams&)> make;
};

const std::vector<StageFactory>& factories() {
    static const std::vector<StageFactory> table = {
        {"logit_bias", [](const SamplingParams& p) { return std::make_unique<LogitBias>(p.logit_bias); }},
        {"penalties",
         [](const SamplingParams& p) {
             return std::make_unique<Penalties>(
                 PenaltyParams{p.repeat_penalty, p.frequency_penalty, p.presence_penalty, p.penalty_last_n});
         }},
        {"top_n_sigma", [](const SamplingParams& p) { return std::make_unique<TopNSigma>(p.top_n_sigma); }},
        {"top_k", [](const SamplingParams& p) { return std::make_unique<TopK>(p.top_k); }},
        {"typical_p", [](const SamplingParams& p) { return std::make_unique<TypicalP>(p.typical_p); }},
        {"top_p", [](const SamplingParams& p) { return std::make_unique<TopP>(p.top_p); }},
        {"min_p", [](const SamplingParams& p) { return std::make_unique<MinP>(p.min_p); }},
        {"temperature", [](const SamplingParams& p) { return std::make_unique<Temperature>(p.temperature); }},
        {"greedy", [](const SamplingParams&) { return std::make_unique<Greedy>(); }},
        {"mirostat",
         [](const SamplingParams& p) { return std::make_unique<MirostatV2>(p.mirostat_tau, p.mirostat_eta); }},
        {"dist", [](const SamplingParams&) { return std::make_unique<Dist>(); }},
    };
    return table;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

std::string known_names() {
    std::string out;
    for (const auto& f : factories()) out += (out.empty() ? "" : ", ") + std::string(f.name);
    return out;
}

}  // namespace

std::vector<std::string> Chain::stage_names() {
    std::vector<std::string> names;
    for (const auto& f : factories()) names.emplace_back(f.name);
    return names;
}

Chain Chain::from_params(const SamplingParams& params) { return from_spec(params.order, params); }

Chain Chain::from_spec(std::string_view spec, const SamplingParams& params) {
    std::vector<std::string> names;
    std::string_view rest = spec;
    while (true) {
        const std::size_t comma = rest.find(',');
        const std::string_view item = trim(rest.substr(0, comma));
        if (item.empty()) {
            throw Error(fmt::format("sampler chain \"{}\": empty stage name (expected a comma-separated list of: {})",
                                    spec, known_names()));
        }
        names.emplace_back(item);
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
    }
    // Biases were asked for explicitly: apply them first if the order does
    // not place them (documented in chain.hpp and docs/sampling.md).
    if (!params.logit_bias.empty() && std::find(names.begin(), names.end(), "logit_bias") == names.end()) {
        names.insert(names.begin(), "logit_bias");
    }
    Chain chain;
    for (std::size_t i = 0; i < names.size(); ++i) {
        const auto it = std::find_if(factories().begin(), factories().end(),
                                     [&](const StageFactory& f) { return names[i] == f.name; });
        if (it == factories().end()) {
            throw Error(fmt::format("sampler chain \"{}\": unknown stage \"{}\" (expected one of: {})", spec,
                                    names[i], known_names()));
        }
        auto stage = it->make(params);
        if (stage->selects() && i + 1 != names.size()) {
            throw Error(fmt::format("sampler chain \"{}\": \"{}\" selects the token and must be the last stage", spec,
                                    names[i]));
        }
        chain.stages_.push_back(std::move(stage));
    }
    if (!chain.selects()) chain.stages_.push_back(std::make_unique<Dist>());
    return chain;
}

Chain& Chain::add(std::unique_ptr<Sampler> stage) {
    if (!stage) throw Error("sampler chain: add() got a null stage");
    if (selects()) {
        throw Error(fmt::format("sampler chain: cannot add \"{}\" after the selecting stage \"{}\"", stage->name(),
                                stages_.back()->name()));
    }
    stages_.push_back(std::move(stage));
    return *this;
}

bool Chain::selects() const { return !stages_.empty() && stages_.back()->selects(); }

void Chain::apply(Candidates& cand, Rng& rng) {
    if (!selects()) {
        throw Error(fmt::format("sampler chain \"{}\": must end with a selecting stage (dist, greedy, mirostat)",
                                params()));
    }
    cand.selected = -1;
    if (trace_) {
        apply_traced(cand, rng);
        return;
    }
    for (auto& stage : stages_) stage->apply(cand, rng);
}

void Chain::apply_traced(Candidates& cand, Rng& rng) {
    const std::size_t n = stages_.size();
    snapshots_.resize(n + 1);
    snapshots_[0] = cand;   // copy-assignment reuses the snapshot's capacity
    for (std::size_t i = 0; i < n; ++i) {
        stages_[i]->apply(cand, rng);
        snapshots_[i + 1] = cand;
    }
    StepTrace& t = trace_data_;
    t.chosen = cand.selected;
    std::vector<DistStats> stats(n + 1);
    std::vector<TokenStats> chosen(n + 1);
    std::vector<std::vector<TraceEntry>> tops(n + 1);
    for (std::size_t i = 0; i <= n; ++i) {
        Candidates& s = snapshots_[i];
        s.compute_probs();
        stats[i] = compute_stats(s, stats_scratch_);
        chosen[i] = token_stats(s, t.chosen);
        const std::size_t top_n = std::min(trace_top_n_, s.size());
        auto& top = tops[i];
        if (top_n > 0) {
            auto& sel = s.scratch();
            s.collect_at_least(s.kth_largest_logit(top_n), sel);
            for (std::size_t j = 0; j < top_n && j < sel.size(); ++j) top.push_back({sel[j].id, sel[j].logit, sel[j].p});
        }
    }
    t.raw = stats[0];
    t.final = stats[n];
    t.chosen_raw = chosen[0];
    t.chosen_final = chosen[n];
    t.stages.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
        StageTrace& st = t.stages[i];
        st.name = stages_[i]->name();
        st.params = stages_[i]->params();
        st.before = stats[i];
        st.after = stats[i + 1];
        st.top_before = tops[i];
        st.top_after = tops[i + 1];
        st.chosen_before = chosen[i];
        st.chosen_after = chosen[i + 1];
    }
}

void Chain::accept(std::int32_t token) {
    for (auto& stage : stages_) stage->accept(token);
}

void Chain::reset() {
    for (auto& stage : stages_) stage->reset();
}

Chain Chain::clone_chain() const {
    Chain copy;
    for (const auto& stage : stages_) copy.stages_.push_back(stage->clone());
    copy.trace_ = trace_;
    copy.trace_top_n_ = trace_top_n_;
    return copy;
}

std::unique_ptr<Sampler> Chain::clone() const { return std::make_unique<Chain>(clone_chain()); }

std::string Chain::params() const {
    std::string out;
    for (const auto& stage : stages_) {
        if (!out.empty()) out += " -> ";
        out += stage->name();
        const std::string p = stage->params();
        if (!p.empty()) out += "(" + p + ")";
    }
    return out;
}

std::int32_t Chain::sample(std::span<const float> logits, Rng& rng) {
    cand_.load(logits);
    apply(cand_, rng);
    return cand_.selected;
}

void Chain::set_trace(bool enabled, std::size_t top_n) {
    trace_ = enabled;
    trace_top_n_ = top_n;
    if (!enabled) trace_data_ = {};
}

}  // namespace gpt2::sampling
