#include "gpt2/sampling/top_p.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
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
constexpr std::size_t kMassLanes = 4;    // interleaved partial masses per bucket
constexpr double kFloorMargin = 4.0;     // tokens below the floor have p < q / (kFloorMargin·n)

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

    // 1) Peaked steps: the top 64 usually hold the whole nucleus. Tried only
    // when they can: the walk ends at j < 64 only if float(total - head_j) <= q,
    // and head_j <= 64 p_max, so when total - 64 p_max exceeds q by more than
    // float rounding (1e-6 relative, vs 2^-23) the attempt is skipped (flat
    // steps: two scans saved). Either way the kept set is the exact one.
    const float* pp = cand.probs().data();
    const double pmax = vec::max(pp, n);
    if (total - static_cast<double>(kFirstTry) * pmax <= static_cast<double>(q) * (1.0 + 1e-6)) {
        cand.collect_top(kFirstTry, edge_);
        kept.clear();
        if (walk(edge_, 0, 0.0, total, q, kept)) {
            cand.replace(kept, true, false);
            return;
        }
    }
    cut_by_buckets(cand, total, q, pmax);
}

void TopP::cut_by_buckets(Candidates& cand, double total, float q, double pmax) {
    // 2) Flat steps: bucket tokens by logit (monotone in p), sum the mass per
    // bucket, find the bucket where the tail drops to <= q, and sort
    // only that bucket; then one order-preserving compaction keeps the
    // buckets above it and the edge bucket's kept tokens. O(n) plus a sort of
    // ~n/kBuckets tokens; no Entry copies of the kept set.
    const std::size_t n = cand.size();
    const float* z = cand.logits().data();
    const float* p = cand.probs().data();
    const float zmax = cand.max_logit();
    // Tokens far below the top never matter. p_i <= pmax·e^(z_i - zmax)
    // (to a few ulps: probabilities are e^(z - zmax)·(1/S) and the largest
    // is 1/S), so below `floor` every p_i < q / (4n): the tail of such a
    // token, its mass and that of everything after it, is < q/4 and it is
    // never kept (nor is any token after it). Only the tokens at or above
    // the floor add to the bucket masses; see below for why the kept set is
    // still the one of the whole vocabulary's masses, to the bit. The
    // default model parks 40,462 unused tokens ~12-15 nats below the top,
    // and so does bench_sampling's tied shape: their per-token adds were a
    // third of top-p's time (docs/benchmarks.md, sixteenth round).
    // q below 1e-7 (p within 1e-7 of 1) takes every token: the tails' double
    // rounding (~n·2^-53) must stay far below the q/4 margin.
    float floor = -std::numeric_limits<float>::infinity();
    if (q >= 1e-7f && pmax > 0.0) {
        floor = static_cast<float>(static_cast<double>(zmax) +
                                   std::log(static_cast<double>(q) / (kFloorMargin * static_cast<double>(n) * pmax)));
    }
    live_.resize(n + 16);
    const vec::AtLeast at_least = vec::indices_at_least(live_.data(), z, n, floor);
    const std::uint32_t* live = live_.data();
    // The bucket scale spans every finite logit, those below the floor too,
    // so a token's bucket does not depend on the floor. Below zmax - 104,
    // exp underflows in float: those tokens share the last bucket.
    const float range = std::min(zmax - at_least.min_finite, 104.0f);
    const float scale = range > 0.0f ? static_cast<float>(kBuckets) / range : 0.0f;
    bucket_.resize(n);
    vec::bucket_index(bucket_.data(), z, n, zmax, scale, static_cast<float>(kBuckets - 1));
    const std::uint16_t* bk = bucket_.data();
    mass_.assign(kBuckets * kMassLanes, 0.0);
    double* mass = mass_.data();
    // Token i adds to lane i % 4 of its bucket, and a bucket's mass is
    // (lane 0 + lane 1) + (lane 2 + lane 3): four independent chains where
    // one (mass[bk[i]] += p[i]) waited on a store and its reload per token.
    // A trained model's unused tokens share one logit, so one bucket can hold
    // ~80% of the vocabulary (the default model: 40,462 tokens), and that
    // chain was half of top-p's time: 220 -> 125 us per token on its logits,
    // bench_sampling's tied shape 235 -> 142, flat 121 -> 120. The lanes sit
    // side by side per bucket: four lane-major tables, 32 KB apart, aliased
    // in the store buffer (133 us). The order only changes the
    // masses' last bits, which locate the edge bucket; the kept set is HF's
    // rule either way (tests/test_sampling_fast_paths.cpp).
    // Over the live tokens when the floor skips many; else over every
    // token, as if there were no floor (the same kept set, as shown below):
    // a flat step skips few, and going through the list cost it ~5 us.
    if (at_least.count <= n / 2) {
        for (std::size_t k = 0; k < at_least.count; ++k) {
            const std::uint32_t i = live[k];
            mass[bk[i] * kMassLanes + i % kMassLanes] += p[i];
        }
    } else {
        std::size_t i = 0;
        for (; i + kMassLanes <= n; i += kMassLanes)
            for (std::size_t l = 0; l < kMassLanes; ++l) mass[bk[i + l] * kMassLanes + l] += p[i + l];
        for (std::size_t l = 0; i < n; ++i, ++l) mass[bk[i] * kMassLanes + l] += p[i];
    }
    for (std::size_t b = 0; b < kBuckets; ++b) {
        const double* l = mass + b * kMassLanes;
        mass[b] = (l[0] + l[1]) + (l[2] + l[3]);
    }
    // First bucket whose start has tail <= q; the cut lies in the one before.
    //
    // Why the floor changes nothing: the bucket index is monotone in the
    // logit, so every token below the floor sits in the floor's own bucket
    // or later ones, and each bucket before it holds the same tokens, added
    // in the same order, as without the floor: the same masses, so the same
    // tails up to the floor's bucket. Past it the tail is at most the mass
    // below the floor (< q/4), so the search stops there at the latest, on
    // the bucket it would stop on anyway, with the same head. The edge
    // bucket's tokens, those below the floor included, are then walked and
    // compacted as they always were.
    std::size_t edge_bucket = kBuckets - 1;
    double head = 0.0, edge_head = 0.0;
    for (std::size_t b = 0; b < kBuckets; ++b) {
        if (static_cast<float>(total - head) <= q) {
            edge_bucket = b == 0 ? 0 : b - 1;
            break;
        }
        edge_head = head;
        head += mass[b];
    }
    if (edge_bucket == 0) edge_head = 0.0;
    const auto edge = static_cast<std::uint16_t>(edge_bucket);
    edge_.clear();
    for (std::size_t i = vec::find_u16(bk, n, 0, edge); i < n; i = vec::find_u16(bk, n, i + 1, edge)) {
        edge_.push_back({cand.id(i), z[i], p[i]});
    }
    std::stable_sort(edge_.begin(), edge_.end(), [](const auto& a, const auto& b) { return a.logit > b.logit; });
    auto& kept = cand.scratch();
    kept.clear();
    // The walk only needs to know whether any token precedes the edge bucket
    // (the first token is always kept); the max sits in bucket 0, so one does
    // exactly when the edge bucket is not bucket 0.
    walk(edge_, edge_bucket > 0 ? 1 : 0, edge_head, total, q, kept);
    const std::size_t edge_kept = kept.size();
    // The kept edge tokens are a prefix of the stable sort: every logit above
    // the last kept one, and of the tokens tied with it the first `ties` in
    // index order (the stable sort kept index order among equals).
    const float cut = edge_kept > 0 ? kept[edge_kept - 1].logit : std::numeric_limits<float>::infinity();
    std::size_t ties = 0;
    for (std::size_t j = 0; j < edge_kept; ++j) ties += kept[j].logit == cut ? 1 : 0;
    // Order-preserving in-place compaction: buckets before the edge are kept
    // whole, the edge bucket token by token. When nothing is removed the
    // arrays are unchanged (w == n) and truncate() does nothing.
    std::int32_t* ids = cand.ids().data();
    float* zw = cand.logits().data();
    float* pw = cand.probs().data();
    const std::size_t w = vec::compact_below(ids, zw, pw, bk, n, edge, [&](std::size_t i) {
        const bool keep = zw[i] > cut || (zw[i] == cut && ties > 0);
        if (keep && zw[i] == cut) --ties;
        return keep;
    });
    cand.truncate(w);
}

}  // namespace gpt2::sampling
