#include "gpt2/sampling/typical_p.hpp"

#include <algorithm>
#include <cmath>

#include "sampling/validate.hpp"

namespace gpt2::sampling {

TypicalP::TypicalP(float typical_p) : typical_p_(typical_p) {
    detail::check_range("typical_p", typical_p, 0.0, true, 1.0, false);
}

std::string TypicalP::params() const { return "p=" + detail::show(typical_p_); }

void TypicalP::apply(Candidates& cand, Rng& /*rng*/) {
    if (typical_p_ >= 1.0f || cand.size() <= 1) return;   // off
    cand.compute_probs();
    const auto probs = cand.probs();
    const auto logits = cand.logits();
    const auto ids = cand.ids();
    const std::size_t n = cand.size();

    // log p_i = z_i - m - ln(sum exp(z - m)), as log_softmax; H = -sum p ln p.
    const float m = cand.max_logit();
    double s = 0.0;
    for (float z : logits) s += std::exp(static_cast<double>(z) - m);
    const double log_s = std::log(s);
    double entropy = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
        if (probs[i] > 0.0f) entropy -= probs[i] * (logits[i] - m - log_s);
    }
    // score_i = |-log p_i - H| (inf for p = 0 tokens: they sort last).
    auto& sel = cand.scratch();
    sel.resize(n);
    scores_.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
        const double neg_log_p = std::isinf(logits[i]) ? HUGE_VAL : -(logits[i] - m - log_s);
        scores_[i] = {static_cast<float>(std::fabs(neg_log_p - entropy)), static_cast<std::uint32_t>(i)};
    }
    std::stable_sort(scores_.begin(), scores_.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    // HF: last_ind = #(cumsum < mass), clamped to n - 1; keep scores <= the
    // score at last_ind (ties at the cut are kept).
    const float mass = typical_p_;
    double cum = 0.0;
    std::size_t last = 0;
    for (std::size_t j = 0; j < n; ++j) {
        cum += probs[scores_[j].second];
        if (static_cast<float>(cum) < mass) last = j + 1;
        else break;
    }
    last = std::min(last, n - 1);
    const float cut = scores_[last].first;
    std::size_t kept = 0;
    for (std::size_t j = 0; j < n && (scores_[j].first <= cut || j == 0); ++j) {
        const std::uint32_t i = scores_[j].second;
        sel[kept++] = {ids[i], logits[i], probs[i]};
    }
    sel.resize(kept);
    cand.replace(sel, /*sorted=*/false, /*probs_current=*/false);
}

}  // namespace gpt2::sampling
