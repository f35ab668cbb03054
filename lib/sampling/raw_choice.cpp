#include "sampling/raw_choice.hpp"

#include <cmath>

#include "sampling/exp_pass.hpp"
#include "sampling/vec_math.hpp"

namespace gpt2::sampling {

namespace {

detail::ExpPass raw_pass(std::span<const float> logits, std::int32_t id, float max, float& m, float& zc) {
    const float* z = logits.data();
    m = std::isnan(max) ? vec::max(z, logits.size()) : max;
    zc = z[static_cast<std::size_t>(id)];
    return detail::exp_pass<false, false, true>(nullptr, z, logits.size(), m, zc);
}

RawChoice choice_of(const detail::ExpPass& r, float m, float zc) {
    RawChoice out;
    out.rank = r.above + 1;
    if (zc == -std::numeric_limits<float>::infinity()) {
        out.logp = -std::numeric_limits<double>::infinity();
        out.p = 0.0;
        return out;
    }
    // z_id - m in double: exact for two floats, unlike the float difference.
    out.logp = (static_cast<double>(zc) - static_cast<double>(m)) - std::log(r.sum);
    out.p = std::exp(out.logp);
    return out;
}

}  // namespace

RawChoice raw_choice(std::span<const float> logits, std::int32_t id, float max) {
    float m = 0.0f, zc = 0.0f;
    const detail::ExpPass r = raw_pass(logits, id, max, m, zc);
    return choice_of(r, m, zc);
}

RawChoiceEntropy raw_p_with_entropy(std::span<const float> logits, std::int32_t id, float max,
                                    const Candidates::ExpSums* raw) {
    detail::ExpPass r;
    float m = 0.0f;
    if (raw != nullptr) {
        r = detail::kept_pass(*raw);
        m = raw->max;
    } else {
        m = std::isnan(max) ? vec::max(logits.data(), logits.size()) : max;
        r = detail::exp_pass<false, true, false>(nullptr, logits.data(), logits.size(), m);
    }
    RawChoice choice = choice_of(r, m, logits[static_cast<std::size_t>(id)]);
    choice.rank = 0;   // not counted: no pass over the logits needed it
    return {choice, detail::entropy_of(r)};
}

}  // namespace gpt2::sampling
