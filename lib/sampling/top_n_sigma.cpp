#include "gpt2/sampling/top_n_sigma.hpp"

#include <cmath>

#include "sampling/validate.hpp"

namespace gpt2::sampling {

TopNSigma::TopNSigma(float n) : n_(n) { detail::check_range("top_n_sigma", n, 0.0, false, detail::kInf, true); }

std::string TopNSigma::params() const { return "n=" + detail::show(n_); }

void TopNSigma::apply(Candidates& cand, Rng& /*rng*/) {
    if (cand.size() <= 1) return;
    // Population mean and standard deviation of the finite logits, two
    // passes in double (no cancellation from sum-of-squares).
    const auto z = cand.logits();
    double sum = 0.0;
    std::size_t count = 0;
    for (float v : z) {
        if (std::isfinite(v)) {
            sum += v;
            ++count;
        }
    }
    if (count == 0) return;
    const double mean = sum / static_cast<double>(count);
    double ss = 0.0;
    for (float v : z) {
        if (std::isfinite(v)) ss += (v - mean) * (v - mean);
    }
    const double sigma = std::sqrt(ss / static_cast<double>(count));
    const float m = cand.max_logit();
    cand.filter_logits_at_least(static_cast<float>(m - n_ * sigma));
}

}  // namespace gpt2::sampling
