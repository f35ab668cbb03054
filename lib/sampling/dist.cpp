#include "gpt2/sampling/dist.hpp"

#include "gpt2/error.hpp"

namespace gpt2::sampling {

std::size_t draw_index(const Candidates& cand, double u) {
    const auto p = cand.probs();
    double total = 0.0;
    for (float v : p) total += v;
    if (!(total > 0.0)) throw Error("dist: every candidate has probability 0 (all banned?)");
    // Inverse CDF: the first i with u * total < cumsum_i; the guard returns
    // the last positive-probability candidate if rounding runs off the end.
    const double target = u * total;
    double cum = 0.0;
    std::size_t last_positive = 0;
    for (std::size_t i = 0; i < p.size(); ++i) {
        if (p[i] > 0.0f) {
            cum += p[i];
            last_positive = i;
            if (target < cum) return i;
        }
    }
    return last_positive;
}

void Dist::apply(Candidates& cand, Rng& rng) {
    if (cand.empty()) throw Error("dist: no candidates left to sample from");
    cand.compute_probs();
    const double u = rng.uniform();   // always one draw per token: streams stay aligned
    cand.selected = cand.ids()[draw_index(cand, u)];
}

}  // namespace gpt2::sampling
