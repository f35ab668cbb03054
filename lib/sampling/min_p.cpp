#include "gpt2/sampling/min_p.hpp"

#include <cmath>

#include "sampling/validate.hpp"

namespace gpt2::sampling {

MinP::MinP(float min_p) : min_p_(min_p) { detail::check_range("min_p", min_p, 0.0, false, 1.0, false); }

std::string MinP::params() const { return "min_p=" + detail::show(min_p_); }

void MinP::apply(Candidates& cand, Rng& /*rng*/) {
    if (min_p_ == 0.0f || cand.size() <= 1) return;   // off
    // p_i >= min_p * p_max  <=>  z_i - z_max >= ln(min_p): no softmax needed.
    const float m = cand.max_logit();
    cand.filter_logits_at_least(m + std::log(min_p_));
}

}  // namespace gpt2::sampling
