#include "gpt2/sampling/top_p.hpp"

#include <algorithm>
#include <cmath>
#include <span>

#include "sampling/validate.hpp"
#include "sampling/vec_math.hpp"

namespace gpt2::sampling {

namespace {

// Walks entries in descending order, starting at global position j0 with
// `head` = mass of everything before; appends the ones HF keeps to `out`.
// Token j is kept iff j == 0 or float(total - head_j) > q (its tail, i.e. the
// ascending cumulative sum at j, is above 1 - p). Returns true when the cut
// was found inside `entries`.
bool walk(std::span<const Candidates::Entry> entries, std::size_t j0, double head, double total, float q,
          std::vector<Candidates::Entry>& out) {
    for (std::size_t j = 0; j < entries.size(); ++j) {
        if (j0 + j > 0 && static_cast<float>(total - head) <= q) return true;
        out.push_back(entries[j]);
        head += entries[j].p;
    }
    return false;
}

constexpr std::size_t kFirstTry = 64;     // peaked steps end here
constexpr std::size_t kSortBelow = 2048;  // small sets: just sort
constexpr std::size_t kBuckets = 4096;

}  // namespace

TopP::TopP(double p) : p_(p) { detail::check_range("top_p", p, 0.0, true, 1.0, false); }

std::string TopP::params() const { return "p=" + detail::show(p_); }

void TopP::apply(Candidates& cand, Rng& /*rng*/) {
    if (p_ >= 1.0 || cand.size() <= 1) return;   // off
    cand.compute_probs();
    // HF: cumulative_probs <= (1 - top_p), the Python double 1 - p cast to float.
    // Tails are total - head in double: torch's CPU cumsum on float also
    // accumulates in double; the result is compared in float.
    const auto q = static_cast<float>(1.0 - p_);
    const std::size_t n = cand.size();
    const double total = vec::sum(cand.probs().data(), n);
    auto& kept = cand.scratch();

    if (cand.sorted() || n <= kSortBelow) {
        cand.sort_descending();
        const auto p = cand.probs();
        double head = 0.0;
        std::size_t keep = n;
        for (std::size_t j = 1; j < n; ++j) {
            head += p[j - 1];
            if (static_cast<float>(total - head) <= q) {
                keep = j;
                break;
            }
        }
        cand.truncate(keep);
        return;
    }

    // 1) Peaked steps: the top 64 usually hold the whole nucleus.
    cand.collect_at_least(cand.kth_largest_logit(kFirstTry), edge_);
    kept.clear();
    if (walk(edge_, 0, 0.0, total, q, kept)) {
        cand.replace(kept, true, false);
        return;
    }

    // 2) Flat steps: bucket tokens by logit (monotone in p), sum the mass per
    // bucket, find the bucket where the tail drops to <= q, and sort only that
    // bucket. O(n) plus a sort of ~n/kBuckets tokens instead of O(n log n).
    const auto z = cand.logits();
    const auto p = cand.probs();
    const auto ids = cand.ids();
    const float zmax = cand.max_logit();
    // Below zmax - 104, exp underflows in float: those tokens share the last bucket.
    const float range = std::min(zmax - vec::min_finite(z.data(), n), 104.0f);
    const float scale = range > 0.0f ? static_cast<float>(kBuckets) / range : 0.0f;
    bucket_.resize(n);
    mass_.assign(kBuckets, 0.0);
    const auto last = static_cast<float>(kBuckets - 1);
    for (std::size_t i = 0; i < n; ++i) {
        const float b = std::min((zmax - z[i]) * scale, last);   // -inf -> last
        bucket_[i] = static_cast<std::uint16_t>(b);
        mass_[bucket_[i]] += p[i];
    }
    // First bucket whose start has tail <= q; the cut lies in the one before.
    std::size_t edge_bucket = kBuckets - 1;
    double head = 0.0, edge_head = 0.0;
    for (std::size_t b = 0; b < kBuckets; ++b) {
        if (static_cast<float>(total - head) <= q) {
            edge_bucket = b == 0 ? 0 : b - 1;
            break;
        }
        edge_head = head;
        head += mass_[b];
    }
    if (edge_bucket == 0) edge_head = 0.0;
    kept.clear();
    edge_.clear();
    for (std::size_t i = 0; i < n; ++i) {
        if (bucket_[i] < edge_bucket) kept.push_back({ids[i], z[i], p[i]});
        else if (bucket_[i] == edge_bucket) edge_.push_back({ids[i], z[i], p[i]});
    }
    std::stable_sort(edge_.begin(), edge_.end(), [](const auto& a, const auto& b) { return a.logit > b.logit; });
    walk(edge_, kept.size(), edge_head, total, q, kept);
    cand.replace(kept, false, false);
}

}  // namespace gpt2::sampling
