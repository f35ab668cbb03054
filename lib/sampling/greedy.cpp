#include "gpt2/sampling/greedy.hpp"

#include <cmath>

#include "gpt2/error.hpp"

namespace gpt2::sampling {

void Greedy::apply(Candidates& cand, Rng& /*rng*/) {
    if (cand.empty()) throw Error("greedy: no candidates left to choose from");
    const std::size_t best = cand.argmax();
    const Candidates::Entry e = cand.entry(best);
    if (std::isinf(e.logit)) throw Error("greedy: every candidate has logit -inf (all banned)");
    const Candidates::Entry only{e.id, e.logit, 1.0f};
    cand.replace({&only, 1}, true, true);
    cand.selected = e.id;
}

}  // namespace gpt2::sampling
