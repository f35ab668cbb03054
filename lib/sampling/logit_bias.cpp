#include "gpt2/sampling/logit_bias.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "gpt2/error.hpp"
#include "sampling/validate.hpp"

namespace gpt2::sampling {

LogitBias::LogitBias(std::vector<std::pair<std::int32_t, float>> biases) {
    std::int32_t max_id = -1;
    for (const auto& [id, bias] : biases) {
        if (id < 0) throw Error(fmt::format("logit_bias: token id must be >= 0, got {}", id));
        if (std::isnan(bias) || bias == HUGE_VALF) {
            throw Error(fmt::format("logit_bias: bias for token {} must be finite or -inf, got {}", id, bias));
        }
        max_id = std::max(max_id, id);
    }
    std::sort(biases.begin(), biases.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [id, bias] : biases) {   // merge repeated ids by summing
        if (!biases_.empty() && biases_.back().first == id) biases_.back().second += bias;
        else biases_.emplace_back(id, bias);
    }
    by_id_.assign(static_cast<std::size_t>(max_id + 1), 0.0f);
    for (const auto& [id, bias] : biases_) by_id_[static_cast<std::size_t>(id)] = bias;
}

std::string LogitBias::params() const {
    std::string out;
    for (const auto& [id, bias] : biases_) {
        if (!out.empty()) out += ' ';
        out += fmt::format("{}:{}", id, std::isinf(bias) ? std::string("ban") : detail::show(bias));
    }
    return out.empty() ? "none" : out;
}

void LogitBias::apply(Candidates& cand, Rng& /*rng*/) {
    if (biases_.empty()) return;
    if (static_cast<std::size_t>(biases_.back().first) >= cand.vocab()) {
        throw Error(fmt::format("logit_bias: token id {} is outside the vocabulary [0, {})", biases_.back().first,
                                cand.vocab()));
    }
    auto z = cand.logits();
    if (cand.dense()) {
        for (const auto& [id, bias] : biases_) z[static_cast<std::size_t>(id)] += bias;
    } else {
        // Tokens already filtered out stay out: put logit_bias early.
        const auto ids = cand.ids();
        for (std::size_t i = 0; i < ids.size(); ++i) {
            const auto id = static_cast<std::size_t>(ids[i]);
            if (id < by_id_.size()) z[i] += by_id_[id];
        }
    }
    cand.mark_logits_changed();
}

}  // namespace gpt2::sampling
