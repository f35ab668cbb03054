#include "gpt2/sampling/top_p.hpp"

#include <span>

#include "sampling/validate.hpp"

namespace gpt2::sampling {

namespace {

// Number of leading entries (descending) that HF's rule keeps, or 0 when the
// prefix runs out before the tail mass drops to <= q (caller must widen).
// tail_j = total - head_j, in double; compared in float like torch's float
// cumsum output against the float-cast threshold.
template <class ProbAt>
std::size_t kept_prefix(std::size_t n_prefix, std::size_t n_all, double total, float q, ProbAt prob_at) {
    double head = 0.0;
    for (std::size_t j = 0; j < n_prefix; ++j) {
        const auto tail = static_cast<float>(total - head);
        if (j > 0 && tail <= q) return j;
        head += prob_at(j);
    }
    return n_prefix == n_all ? n_all : 0;
}

}  // namespace

TopP::TopP(double p) : p_(p) { detail::check_range("top_p", p, 0.0, true, 1.0, false); }

std::string TopP::params() const { return "p=" + detail::show(p_); }

void TopP::apply(Candidates& cand, Rng& /*rng*/) {
    if (p_ >= 1.0 || cand.size() <= 1) return;   // off
    cand.compute_probs();
    // HF: cumulative_probs <= (1 - top_p), the Python double 1 - p cast to float.
    const auto q = static_cast<float>(1.0 - p_);
    const auto probs = cand.probs();
    double total = 0.0;
    for (float v : probs) total += v;
    const std::size_t n = cand.size();

    if (cand.sorted()) {
        const std::size_t keep = kept_prefix(n, n, total, q, [&](std::size_t j) { return probs[j]; });
        cand.truncate(keep);
        return;
    }
    // Select the top M without sorting everything; widen x8 until the kept
    // prefix ends inside the selection. Peaked distributions stop at M = 64.
    auto& sel = cand.scratch();
    for (std::size_t m = 64;; m *= 8) {
        if (4 * m >= n) {
            cand.sort_descending();
            const auto sp = cand.probs();
            cand.truncate(kept_prefix(n, n, total, q, [&](std::size_t j) { return sp[j]; }));
            return;
        }
        cand.collect_at_least(cand.kth_largest_logit(m), sel);
        const std::size_t keep =
            kept_prefix(sel.size(), n, total, q, [&](std::size_t j) { return sel[j].p; });
        if (keep > 0) {
            cand.replace(std::span(sel).first(keep), true, false);
            return;
        }
    }
}

}  // namespace gpt2::sampling
