#include "gpt2/sampling/mirostat.hpp"

#include <cmath>

#include <fmt/format.h>

#include "gpt2/error.hpp"
#include "gpt2/sampling/dist.hpp"
#include "sampling/validate.hpp"

namespace gpt2::sampling {

MirostatV2::MirostatV2(float tau, float eta) : tau_(tau), eta_(eta), mu_(2.0f * tau) {
    detail::check_range("mirostat_tau", tau, 0.0, true, detail::kInf, true);
    detail::check_range("mirostat_eta", eta, 0.0, true, 1.0, false);
}

std::string MirostatV2::params() const {
    return fmt::format("tau={} eta={} mu={}", detail::show(tau_), detail::show(eta_), detail::show(mu_));
}

void MirostatV2::apply(Candidates& cand, Rng& rng) {
    if (cand.empty()) throw Error("mirostat: no candidates left to sample from");
    cand.compute_probs();
    // Surprise -log2 p_i <= mu  <=>  p_i >= 2^-mu; keeps at least the argmax.
    cand.filter_probs_at_least(std::exp2(-mu_));
    cand.compute_probs();
    const double u = rng.uniform();
    const std::size_t i = draw_index(cand, u);
    const float observed = -std::log2(cand.probs()[i]);
    mu_ -= eta_ * (observed - tau_);
    cand.selected = cand.id(i);
}

}  // namespace gpt2::sampling
