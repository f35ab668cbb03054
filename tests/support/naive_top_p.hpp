#pragma once
// The top-p rule of Hugging Face's TopPLogitsWarper, the slow way: a full
// stable sort by logit (ties by index), tails as total - head in double
// compared in float with 1 - p. The independent twin the fast top-p paths
// of lib/sampling/top_p.cpp are tested against.
#include <vector>

namespace gpt2::test {

// The ids top-p keeps from logits z, in increasing id order.
std::vector<int> naive_top_p(const std::vector<float>& z, double top_p);

}  // namespace gpt2::test
