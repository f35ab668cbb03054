#include "gpt2/sampling/stats.hpp"

#include <algorithm>
#include <cmath>
#include <functional>

#include <nlohmann/json.hpp>

#include "sampling/vec_math.hpp"

namespace gpt2::sampling {

std::size_t nucleus_size(std::span<const float> probs, double mass, std::vector<float>& scratch) {
    const std::size_t n = probs.size();
    // Partial selection of the top m, widened x8 until the mass is reached.
    for (std::size_t m = 64;; m *= 8) {
        scratch.assign(probs.begin(), probs.end());
        const bool full = 4 * m >= n;
        const std::size_t take = full ? n : m;
        if (full) {
            std::sort(scratch.begin(), scratch.end(), std::greater<float>());
        } else {
            std::nth_element(scratch.begin(), scratch.begin() + static_cast<std::ptrdiff_t>(take), scratch.end(),
                             std::greater<float>());
            std::sort(scratch.begin(), scratch.begin() + static_cast<std::ptrdiff_t>(take), std::greater<float>());
        }
        double cum = 0.0;
        for (std::size_t j = 0; j < take; ++j) {
            cum += scratch[j];
            if (cum >= mass) return j + 1;
        }
        if (full) return n;
    }
}

DistStats compute_stats(const Candidates& cand, std::vector<float>& scratch) {
    DistStats s;
    s.size = cand.size();
    if (cand.empty()) return s;
    std::vector<float> local;
    std::span<const float> p = cand.probs();
    if (!cand.probs_current()) {
        local.resize(cand.size());
        const double sum = vec::exp_shifted(local.data(), cand.logits().data(), cand.size(), cand.max_logit());
        for (float& v : local) v = static_cast<float>(v / sum);
        p = local;
    }
    double h = 0.0;
    double top = 0.0;
    std::size_t support = 0;
    for (float v : p) {
        if (v > 0.0f) {
            h -= static_cast<double>(v) * std::log(static_cast<double>(v));
            ++support;
        }
        top = std::max(top, static_cast<double>(v));
    }
    s.entropy_nats = h;
    s.entropy_bits = h / std::log(2.0);
    s.perplexity = std::exp(h);
    s.support = support;
    s.top1_p = top;
    s.nucleus_90 = nucleus_size(p, 0.90, scratch);
    s.nucleus_95 = nucleus_size(p, 0.95, scratch);
    return s;
}

DistStats compute_stats(const Candidates& cand) {
    std::vector<float> scratch;
    return compute_stats(cand, scratch);
}

TokenStats token_stats(const Candidates& cand, std::int32_t token) {
    TokenStats t;
    const auto ids = cand.ids();
    const auto p = cand.probs();
    std::size_t at = ids.size();
    if (cand.dense() && token >= 0 && static_cast<std::size_t>(token) < ids.size()) {
        at = static_cast<std::size_t>(token);
    } else {
        at = static_cast<std::size_t>(std::find(ids.begin(), ids.end(), token) - ids.begin());
    }
    if (at == ids.size()) return t;
    t.present = true;
    t.p = p[at];
    t.rank = 1 + static_cast<std::size_t>(std::count_if(p.begin(), p.end(), [&](float v) { return v > p[at]; }));
    return t;
}

namespace {

nlohmann::json to_json(const DistStats& s) {
    return {{"size", s.size},           {"entropy_nats", s.entropy_nats}, {"entropy_bits", s.entropy_bits},
            {"perplexity", s.perplexity}, {"support", s.support},         {"top1_p", s.top1_p},
            {"nucleus_90", s.nucleus_90}, {"nucleus_95", s.nucleus_95}};
}

nlohmann::json to_json(const TokenStats& t) { return {{"p", t.p}, {"rank", t.rank}, {"present", t.present}}; }

nlohmann::json to_json(const std::vector<TraceEntry>& entries) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& e : entries) {
        // -inf logits are not JSON numbers: write null.
        nlohmann::json logit = std::isfinite(e.logit) ? nlohmann::json(e.logit) : nlohmann::json(nullptr);
        out.push_back({{"id", e.id}, {"logit", logit}, {"p", e.p}});
    }
    return out;
}

}  // namespace

std::string trace_to_json(const StepTrace& trace) {
    nlohmann::json stages = nlohmann::json::array();
    for (const auto& st : trace.stages) {
        stages.push_back({{"name", st.name},
                          {"params", st.params},
                          {"before", to_json(st.before)},
                          {"after", to_json(st.after)},
                          {"top_before", to_json(st.top_before)},
                          {"top_after", to_json(st.top_after)},
                          {"chosen_before", to_json(st.chosen_before)},
                          {"chosen_after", to_json(st.chosen_after)}});
    }
    nlohmann::json j = {{"chosen", trace.chosen},
                        {"raw", to_json(trace.raw)},
                        {"final", to_json(trace.final)},
                        {"chosen_raw", to_json(trace.chosen_raw)},
                        {"chosen_final", to_json(trace.chosen_final)},
                        {"stages", stages}};
    return j.dump();
}

}  // namespace gpt2::sampling
