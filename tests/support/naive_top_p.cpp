#include "support/naive_top_p.hpp"

#include <algorithm>
#include <cstddef>
#include <numeric>

#include "gpt2/sampling/candidates.hpp"

namespace gpt2::test {

std::vector<int> naive_top_p(const std::vector<float>& z, double top_p) {
    sampling::Candidates c;
    c.load(z);
    c.compute_probs();
    std::vector<int> order(z.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return z[static_cast<std::size_t>(a)] > z[static_cast<std::size_t>(b)]; });
    double total = 0.0;
    for (float v : c.probs()) total += v;
    const auto q = static_cast<float>(1.0 - top_p);
    std::vector<int> kept;
    double head = 0.0;
    for (std::size_t j = 0; j < order.size(); ++j) {
        if (j > 0 && static_cast<float>(total - head) <= q) break;
        kept.push_back(order[j]);
        head += c.probs()[static_cast<std::size_t>(order[j])];
    }
    std::sort(kept.begin(), kept.end());
    return kept;
}

}  // namespace gpt2::test
