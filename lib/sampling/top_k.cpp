#include "gpt2/sampling/top_k.hpp"

#include <string>

namespace gpt2::sampling {

TopK::TopK(int k) : k_(k) {}

std::string TopK::params() const { return k_ <= 0 ? "k=off" : "k=" + std::to_string(k_); }

void TopK::apply(Candidates& cand, Rng& /*rng*/) {
    if (k_ <= 0 || static_cast<std::size_t>(k_) >= cand.size()) return;   // off
    const auto k = static_cast<std::size_t>(k_);
    if (cand.sorted()) {
        // Already ordered: extend the cut over ties with the k-th logit.
        auto z = cand.logits();
        std::size_t n = k;
        while (n < z.size() && z[n] == z[k - 1]) ++n;
        cand.truncate(n);
        return;
    }
    cand.keep_top(k);   // one scan: select the k-th and collect together
}

}  // namespace gpt2::sampling
