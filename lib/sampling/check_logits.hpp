#pragma once
// The input checks of a logits vector, shared by Candidates::load()/assign()
// and compute_stats() of a logits span, so both reject the same inputs with
// the same words.
#include <cstddef>

namespace gpt2::sampling {

// Throws gpt2::Error when `bad` (the count of NaN or +inf among z[0, n),
// vec::copy_check / vec::check_only) is non-zero (naming the first one), when
// n is 0, or when the max is -inf (nothing could be sampled).
void check_logits(const float* z, std::size_t n, std::size_t bad, float max);

}  // namespace gpt2::sampling
