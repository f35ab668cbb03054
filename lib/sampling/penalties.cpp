#include "gpt2/sampling/penalties.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "gpt2/error.hpp"
#include "sampling/validate.hpp"

namespace gpt2::sampling {

Penalties::Penalties(PenaltyParams params) : params_(params) {
    detail::check_range("repeat_penalty", params.repeat, 0.0, true, detail::kInf, true);
    detail::check_range("frequency_penalty", params.frequency, -2.0, false, 2.0, false);
    detail::check_range("presence_penalty", params.presence, -2.0, false, 2.0, false);
    detail::check_range("penalty_last_n", params.last_n, 0.0, false, 1048576.0, false);
}

std::string Penalties::params() const {
    return fmt::format("repeat={} freq={} presence={} last_n={}", detail::show(params_.repeat),
                       detail::show(params_.frequency), detail::show(params_.presence), params_.last_n);
}

void Penalties::accept(std::int32_t token) {
    if (token < 0) throw Error(fmt::format("penalties: token id must be >= 0, got {}", token));
    if (params_.last_n == 0) return;
    const auto cap = static_cast<std::size_t>(params_.last_n);
    if (static_cast<std::size_t>(token) >= counts_.size()) counts_.resize(static_cast<std::size_t>(token) + 1, 0);
    if (window_.size() < cap) {
        window_.push_back(token);
    } else {
        --counts_[static_cast<std::size_t>(window_[head_])];
        window_[head_] = token;
        head_ = (head_ + 1) % cap;
    }
    ++counts_[static_cast<std::size_t>(token)];
}

void Penalties::reset() {
    window_.clear();
    head_ = 0;
    std::fill(counts_.begin(), counts_.end(), 0);
}

int Penalties::count(std::int32_t token) const {
    if (token < 0 || static_cast<std::size_t>(token) >= counts_.size()) return 0;
    return counts_[static_cast<std::size_t>(token)];
}

void Penalties::penalise(float& z, int c) const {
    if (params_.repeat != 1.0f) z = z > 0.0f ? z / params_.repeat : z * params_.repeat;   // CTRL
    z -= static_cast<float>(c) * params_.frequency + (c > 0 ? params_.presence : 0.0f);  // OpenAI
}

void Penalties::apply(Candidates& cand, Rng& /*rng*/) {
    const bool neutral = params_.repeat == 1.0f && params_.frequency == 0.0f && params_.presence == 0.0f;
    if (neutral || window_.empty()) return;
    if (cand.dense()) {
        // Token t sits at index t: touch only the window's distinct tokens.
        distinct_.assign(window_.begin(), window_.end());
        std::sort(distinct_.begin(), distinct_.end());
        distinct_.erase(std::unique(distinct_.begin(), distinct_.end()), distinct_.end());
        auto z = cand.logits();
        for (std::int32_t t : distinct_) {
            if (static_cast<std::size_t>(t) < z.size()) penalise(z[static_cast<std::size_t>(t)], count(t));
        }
    } else {
        const auto ids = cand.ids();
        auto z = cand.logits();
        for (std::size_t i = 0; i < ids.size(); ++i) {
            const int c = count(ids[i]);
            if (c > 0) penalise(z[i], c);
        }
    }
    cand.mark_logits_changed();
}

}  // namespace gpt2::sampling
