#include "sampling/raw_choice.hpp"

#include <cmath>

#include "sampling/vec_math.hpp"

namespace gpt2::sampling {

RawChoice raw_choice(std::span<const float> logits, std::int32_t id, float max) {
    const std::size_t n = logits.size();
    const float* z = logits.data();
    const float m = std::isnan(max) ? vec::max(z, n) : max;
    const float zc = z[static_cast<std::size_t>(id)];
    const vec::ExpSumCount r = vec::exp_sum_count_above(z, n, m, zc);
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

}  // namespace gpt2::sampling
