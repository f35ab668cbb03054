#include "gpt2/sampling/temperature.hpp"

#include <cmath>

#include "sampling/validate.hpp"

namespace gpt2::sampling {

Temperature::Temperature(float temperature) : temperature_(temperature) {
    detail::check_range("temperature", temperature, 0.0, false, detail::kInf, true);
}

std::string Temperature::params() const { return "t=" + detail::show(temperature_); }

void Temperature::apply(Candidates& cand, Rng& /*rng*/) {
    if (cand.empty()) return;
    if (temperature_ == 0.0f) {
        // The T -> 0 limit: a point mass on the argmax (ties: first candidate).
        const Candidates::Entry e = cand.entry(cand.argmax());
        const Candidates::Entry only{e.id, e.logit, 1.0f};
        cand.replace({&only, 1}, true, true);
        return;
    }
    // z / 1 is z for every value: leave the candidates untouched, so that
    // they stay as loaded and a later softmax serves the raw statistics too
    // (Candidates::loaded_exp_sums, compare's t = 1 lane).
    if (temperature_ == 1.0f) return;
    const float m = cand.max_logit();
    if (std::isinf(m)) return;   // all -inf: nothing to scale; the selector reports it
    const float t = temperature_;
    auto z = cand.logits();
    // Division by t > 0 rounds monotonically, so the largest logit goes to
    // the largest quotient: the softmax after this needs no max pass.
    if (std::isinf(m / t)) {
        // Tiny T would overflow z/T to +inf (and inf - inf = NaN in softmax):
        // shift by the max first; the distribution is the same.
        for (float& v : z) v = (v - m) / t;
        cand.mark_logits_rescaled((m - m) / t);
    } else {
        for (float& v : z) v = v / t;   // exactly HF's scores / temperature
        cand.mark_logits_rescaled(m / t);
    }
}

}  // namespace gpt2::sampling
