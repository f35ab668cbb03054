#include "gpt2/sampling/dist.hpp"

#include "gpt2/error.hpp"
#include "sampling/vec_math.hpp"

namespace gpt2::sampling {

std::size_t draw_index(const Candidates& cand, double u) {
    const auto p = cand.probs();
    const std::size_t n = p.size();
    const double total = vec::sum(p.data(), n);
    if (!(total > 0.0)) throw Error("dist: every candidate has probability 0 (all banned?)");
    // Inverse CDF: the first i with u * total < cumsum_i. Whole 64-token
    // blocks below the target are skipped with one vectorised sum each; the
    // guard returns the last positive-probability candidate if rounding runs
    // off the end.
    constexpr std::size_t kBlock = 64;
    const double target = u * total;
    double cum = 0.0;
    std::size_t i = 0;
    for (; i + kBlock <= n; i += kBlock) {
        const double block = vec::sum(p.data() + i, kBlock);
        if (target < cum + block) break;
        cum += block;
    }
    std::size_t last_positive = n;
    for (; i < n; ++i) {
        if (p[i] > 0.0f) {
            cum += p[i];
            last_positive = i;
            if (target < cum) return i;
        }
    }
    if (last_positive == n) {   // the skipped blocks held the remaining mass
        for (std::size_t j = n; j-- > 0;) {
            if (p[j] > 0.0f) return j;
        }
    }
    return last_positive;
}

void Dist::apply(Candidates& cand, Rng& rng) {
    if (cand.empty()) throw Error("dist: no candidates left to sample from");
    cand.compute_probs();
    const double u = rng.uniform();   // always one draw per token: streams stay aligned
    cand.selected = cand.id(draw_index(cand, u));
}

}  // namespace gpt2::sampling
