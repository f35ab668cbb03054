#include "gpt2/sampling/stats.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cmath>
#include <functional>
#include <limits>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "gpt2/error.hpp"

#include "sampling/check_logits.hpp"
#include "sampling/exp_pass.hpp"
#include "sampling/vec_math.hpp"

namespace gpt2::sampling {

namespace {

// Smallest k such that the k largest of v[0, n) sum (in double) to >= mass,
// or n when they never do. Expected O(n): a quickselect that keeps only the
// side of each pivot where the boundary lies, instead of sorting. v is
// reordered. Why not a sort: compare and generate compute these statistics
// for every token of every strategy, and a flat distribution's nucleus is
// tens of thousands of tokens (a full sort of 50,257 values: ~3 ms).
std::size_t mass_count(float* v, std::size_t n, double mass) {
    // mass <= 0: the largest value alone reaches it (the partition below
    // would narrow to nothing on ties and answer n).
    if (mass <= 0.0) return std::min<std::size_t>(n, 1);
    std::size_t lo = 0, hi = n;   // undecided values
    std::size_t taken = 0;        // values known to be in the top set
    double need = mass;
    while (hi - lo > 32) {
        // Median of three as pivot, then a three-way partition of [lo, hi):
        // [lo, gt_end) > pivot, [gt_end, eq_end) == pivot, [eq_end, hi) < pivot.
        const float a = v[lo], b = v[lo + (hi - lo) / 2], c = v[hi - 1];
        const float pivot = std::max(std::min(a, b), std::min(std::max(a, b), c));
        std::size_t gt_end = lo, i = lo, lt_begin = hi;
        while (i < lt_begin) {
            if (v[i] > pivot) std::swap(v[i++], v[gt_end++]);
            else if (v[i] < pivot) std::swap(v[i], v[--lt_begin]);
            else ++i;
        }
        double sum_gt = 0.0;
        for (std::size_t j = lo; j < gt_end; ++j) sum_gt += v[j];
        if (sum_gt >= need) {
            hi = gt_end;   // the boundary is among the larger values
            continue;
        }
        need -= sum_gt;
        taken += gt_end - lo;
        for (std::size_t j = gt_end; j < lt_begin; ++j) {   // the values equal to the pivot
            need -= pivot;
            ++taken;
            if (need <= 0.0) return taken;
        }
        lo = lt_begin;
    }
    std::sort(v + lo, v + hi, std::greater<float>());
    for (std::size_t j = lo; j < hi; ++j) {
        need -= v[j];
        ++taken;
        if (need <= 0.0) return taken;
    }
    return n;
}

// The counts for several masses at once. One pass files every value into a
// bucket by its leading bits (for non-negative floats the bit pattern orders
// like the value: 8 exponent + 4 mantissa bits, 1/16-octave buckets) with
// the bucket's count and sum; walking the buckets from the top finds the one
// where each mass is crossed, and only that bucket's values go through
// mass_count. Why: this is computed for every token of every strategy in
// compare and generate, and a flat distribution's nucleus holds tens of
// thousands of tokens.
//
// The bucket sums are exact, whatever the order of the additions: the values
// of one bucket share their exponent, so each is an integer number of units
// of 2^(exponent - 150) below 2^24, and fewer than 2^29 of them sum to less
// than 2^53. So the histogram keeps integers: per bucket the count and the
// sum of the low 19 mantissa bits (the top 4 are the bucket's), packed in one
// uint64 (count << 41 | bit sum), one integer add per value. Value i goes to
// sub-histogram i % 4, the four of a bucket side by side (32 bytes): with one
// histogram, nearby values in the same bucket chained through a
// store-to-load forwarded read-modify-write (perf: 30% of compute_stats).
// Each sub-histogram sees at most 2^22 values (n <= 2^24), so the bit sum
// stays below 2^41 and the count below 2^23.
constexpr int kShift = 19;
constexpr std::size_t kBuckets = std::size_t{1} << (31 - kShift);   // 4096: every non-negative float
constexpr std::size_t kSub = 4;
constexpr int kCountShift = 41;
constexpr std::uint64_t kLowMask = (std::uint64_t{1} << kCountShift) - 1;
constexpr std::size_t kMaxValues = std::size_t{1} << 24;

std::uint32_t key_of(float v) { return std::bit_cast<std::uint32_t>(v) >> kShift; }   // v >= 0: sign bit clear

// The exact sum of a bucket's values from its count and low-bit sum.
double bucket_sum(std::uint32_t k, std::uint64_t count, std::uint64_t low) {
    const std::uint32_t exponent = k >> 4;
    const std::uint64_t top = (exponent != 0 ? std::uint64_t{1} << 23 : 0) + (std::uint64_t{k & 15u} << kShift);
    const int scale = static_cast<int>(std::max<std::uint32_t>(exponent, 1)) - 150;
    return std::ldexp(static_cast<double>(count * top + low), scale);   // < 2^53 units: exact
}

// Files p[0, n) into the histogram (which is all zero on entry) and returns
// the smallest and largest key filed. Blocks of 8 whose keys are all below
// `skip_below` are left out (so only buckets >= skip_below are complete). With kScale, p[i] *= scale first and is
// stored back (compute_stats' normalisation, fused into this pass).
template <bool kScale, class F>
std::pair<std::uint32_t, std::uint32_t> fill_histogram(F* p, std::size_t n, float scale, std::uint32_t skip_below,
                                                       std::uint64_t* hist) {
    using V8u = std::uint32_t __attribute__((vector_size(32)));
    constexpr std::uint64_t kOne = std::uint64_t{1} << kCountShift;
    constexpr std::uint32_t kLow = (1u << kShift) - 1;
    V8u lo = {}, hi = {};
    lo -= 1;   // all ones
    std::size_t i = 0;
    for (; i + vec::kLanes <= n; i += vec::kLanes) {
        vec::V8f v = vec::load8(p + i);
        if constexpr (kScale) {
            v *= vec::splat(scale);
            vec::store8(p + i, v);
        }
        const V8u bits = reinterpret_cast<V8u>(v);
        const V8u key = bits >> kShift;
        if (!vec::any_lane(reinterpret_cast<vec::V8i>(key >= skip_below))) continue;
        lo = key < lo ? key : lo;
        hi = key > hi ? key : hi;
        // The scatter re-reads the values as scalars from p (where kScale
        // has just stored them): extracting the lanes from the registers
        // one by one cost more than the scatter itself (perf annotate).
        for (std::size_t j = 0; j < vec::kLanes; ++j) {
            const std::uint32_t b = std::bit_cast<std::uint32_t>(p[i + j]);
            hist[(b >> kShift) * kSub + j % kSub] += kOne + (b & kLow);
        }
    }
    std::uint32_t kmin = static_cast<std::uint32_t>(kBuckets), kmax = 0;
    for (std::size_t j = 0; j < vec::kLanes; ++j) {
        kmin = std::min(kmin, lo[j]);
        kmax = std::max(kmax, hi[j]);
    }
    for (; i < n; ++i) {
        if constexpr (kScale) p[i] *= scale;
        const std::uint32_t bits = std::bit_cast<std::uint32_t>(p[i]);
        const std::uint32_t key = bits >> kShift;
        hist[key * kSub + i % kSub] += kOne + (bits & kLow);
        kmin = std::min(kmin, key);
        kmax = std::max(kmax, key);
    }
    return {kmin, kmax};
}

// Writes to out_a[0, count_a) the values of p whose key is a, and to
// out_b[0, count_b) those whose key is b (a != b), in index order: one pass
// for both cuts. out_a and out_b hold room for n values. Blocks of 8 without
// either key cost one vector compare; the others are written branch-free
// (every value is stored, the cursor advances on a match).
struct Collected {
    std::size_t count_a, count_b;
};
Collected collect_buckets(const float* p, std::size_t n, std::uint32_t a, std::uint32_t b, float* out_a, float* out_b) {
    using V8u = std::uint32_t __attribute__((vector_size(32)));
    V8u av = {}, bv = {};
    av += a;
    bv += b;
    Collected c{0, 0};
    auto one = [&](float v) {
        const std::uint32_t k = key_of(v);
        out_a[c.count_a] = v;
        c.count_a += k == a ? 1 : 0;
        out_b[c.count_b] = v;
        c.count_b += k == b ? 1 : 0;
    };
    std::size_t i = 0;
    for (; i + vec::kLanes <= n; i += vec::kLanes) {
        const vec::V8f v = vec::load8(p + i);
        const V8u key = reinterpret_cast<V8u>(v) >> kShift;
#if defined(__AVX512F__) && defined(__AVX512VL__)
        // A flat distribution's cut buckets hold a value in about every
        // third block: compress-stores instead of eight scalar steps.
        const __m256i k = reinterpret_cast<__m256i>(key);
        const __mmask8 ma = _mm256_cmpeq_epi32_mask(k, reinterpret_cast<__m256i>(av));
        const __mmask8 mb = _mm256_cmpeq_epi32_mask(k, reinterpret_cast<__m256i>(bv));
        if ((ma | mb) == 0) continue;
        _mm256_mask_compressstoreu_ps(out_a + c.count_a, ma, reinterpret_cast<__m256>(v));
        _mm256_mask_compressstoreu_ps(out_b + c.count_b, mb, reinterpret_cast<__m256>(v));
        c.count_a += static_cast<std::size_t>(__builtin_popcount(ma));
        c.count_b += static_cast<std::size_t>(__builtin_popcount(mb));
#else
        const vec::V8i hit = reinterpret_cast<vec::V8i>((key == av) | (key == bv));
        if (!vec::any_lane(hit)) continue;
        for (std::size_t j = i; j < i + vec::kLanes; ++j) one(p[j]);
#endif
    }
    for (; i < n; ++i) one(p[i]);
    return c;
}

// The counts for M masses (M <= 2) of the values p[0, n) (times `scale` when
// kScale, which is then stored into p; F is const float otherwise).
// `masses` ascending. skip_below: see fill_histogram; the caller guarantees
// that the buckets >= skip_below hold more than the largest mass (so both
// cuts lie among complete buckets; 0 when it cannot).
template <bool kScale, std::size_t M, class F>
std::array<std::size_t, M> mass_counts(F* p, std::size_t n, float scale, std::uint32_t skip_below,
                                       const std::array<double, M>& masses, StatsScratch& scratch) {
    static_assert(M >= 1 && M <= 2);
    if (n > kMaxValues) {
        throw Error(fmt::format("nucleus statistics: expected at most {} values, got {}", kMaxValues, n));
    }
    auto& hist = scratch.histogram;
    if (hist.size() != kBuckets * kSub) hist.assign(kBuckets * kSub, 0);   // then kept zero between calls
    std::array<std::size_t, M> out{};
    out.fill(n);
    if (n == 0) return out;
    const auto [kmin, kmax] = fill_histogram<kScale>(p, n, scale, skip_below, hist.data());
    // Walk from the top bucket down, both masses at once (each with its own
    // remaining need, as separate walks would), zeroing the histogram behind.
    std::array<double, M> need = masses;
    std::array<std::size_t, M> taken{};
    std::array<std::uint32_t, M> cut{};
    std::array<bool, M> found{};
    for (std::uint32_t k = kmax + 1; k-- > kmin;) {
        std::uint64_t count = 0, low = 0;
        for (std::size_t s = 0; s < kSub; ++s) {
            std::uint64_t& h = hist[k * kSub + s];
            count += h >> kCountShift;
            low += h & kLowMask;
            h = 0;
        }
        if (count == 0) continue;
        const double sum = bucket_sum(k, count, low);
        for (std::size_t q = 0; q < M; ++q) {
            if (found[q]) continue;
            if (sum < need[q]) {
                need[q] -= sum;
                taken[q] += count;
            } else {
                found[q] = true;
                cut[q] = k;
            }
        }
    }
    if (!found[0]) return out;   // masses ascending: neither is reached
    // Room for n values in each (grown only: the counts are kept apart, so
    // no call pays for resizing down and up again).
    auto& first = scratch.bucket;
    auto& second = scratch.bucket_second;
    if (first.size() < n) first.resize(n);
    if (second.size() < n) second.resize(n);
    const bool two = M == 2 && found[M - 1] && cut[M - 1] != cut[0];
    // With one cut (or both in one bucket) the second key is one no value has.
    const std::uint32_t other = two ? cut[M - 1] : static_cast<std::uint32_t>(kBuckets);
    Collected c = collect_buckets(p, n, cut[0], other, first.data(), second.data());
    if (M == 2 && found[M - 1] && !two) {   // both cuts in one bucket: a copy, before mass_count reorders it
        std::copy(first.begin(), first.begin() + static_cast<std::ptrdiff_t>(c.count_a), second.begin());
        c.count_b = c.count_a;
    }
    out[0] = taken[0] + mass_count(first.data(), c.count_a, need[0]);
    if (M == 2 && found[M - 1]) out[M - 1] = taken[M - 1] + mass_count(second.data(), c.count_b, need[M - 1]);
    return out;
}

// compute_stats' single pass over the logits (sampling/exp_pass.hpp):
// e_i = exp(z_i - m) into out, S = Σ e_i (double lanes, the order of
// Candidates::compute_probs), the support #{e_i > 0} and W = Σ e_i (z_i - m)
// over e_i > 0 in sixteen partial sums (one chain of dependent double
// additions is latency-bound). Each term e_i (z_i - m) is a product of two
// floats, exact in double.
using detail::entropy_of;
using detail::exp_pass;

// The statistics of softmax(z[0, n)) given m = max z (finite).
DistStats stats_of_logits(const float* z, std::size_t n, float m, StatsScratch& stats_scratch) {
    DistStats s;
    s.size = n;
    if (n == 0) return s;
    std::vector<float>& probs = stats_scratch.probs;
    probs.resize(n);
    const detail::ExpPass e = exp_pass<true, true, false>(probs.data(), z, n, m);
    const EntropyStats h = entropy_of(e);
    s.entropy_nats = h.entropy_nats;
    s.entropy_bits = h.entropy_bits;
    s.perplexity = h.perplexity;
    s.support = e.support;
    s.top1_p = 1.0 / e.sum;   // the max logit's term is exp(0) = 1
    // p_i = e_i · (float)(1/S), normalised inside the histogram pass.
    const auto inv = static_cast<float>(1.0 / e.sum);
    // The histogram can leave out values below t = 0.025 / n: together they
    // weigh less than 0.025, so the values >= t (Σ p = 1 within float
    // rounding) hold more than 0.975 > 0.95 and both cuts lie among them. In
    // a peaked distribution that is most of the vocabulary (measured: ~1,600
    // of 50,257 values are >= t in BM_ComputeStats' peaked shape).
    const std::uint32_t skip_below = key_of(0.025f / static_cast<float>(n));
    const auto counts = mass_counts<true, 2>(probs.data(), n, inv, skip_below, {0.90, 0.95}, stats_scratch);
    s.nucleus_90 = counts[0];
    s.nucleus_95 = counts[1];
    return s;
}

}  // namespace

std::size_t nucleus_size(std::span<const float> probs, double mass, StatsScratch& scratch) {
    return mass_counts<false, 1>(probs.data(), probs.size(), 1.0f, 0, {mass}, scratch)[0];
}

DistStats compute_stats(const Candidates& cand, StatsScratch& scratch) {
    if (cand.empty()) return {};
    return stats_of_logits(cand.logits().data(), cand.size(), cand.max_logit(), scratch);
}

DistStats compute_stats(const Candidates& cand) {
    StatsScratch scratch;
    return compute_stats(cand, scratch);
}

DistStats compute_stats(std::span<const float> logits, StatsScratch& scratch) {
    if (logits.empty()) return {};
    // Candidates::load()'s checks, in one read-only pass that also finds the max.
    const float* z = logits.data();
    const std::size_t n = logits.size();
    const vec::CopyCheck r = vec::check_only(z, n);
    check_logits(z, n, r.bad, r.max);
    const float m = r.max;
    return stats_of_logits(z, n, m, scratch);
}

EntropyStats compute_entropy(const Candidates& cand) {
    if (cand.empty()) return {};
    // compute_probs() summed S and W over these very candidates (a
    // temperature lane's full vocabulary): the same bits without the pass.
    if (const Candidates::ExpSums* s = cand.exp_sums()) return entropy_of(detail::kept_pass(*s));
    return entropy_of(exp_pass<false, true, false>(nullptr, cand.logits().data(), cand.size(), cand.max_logit()));
}

EntropyStats compute_entropy(std::span<const float> logits) {
    if (logits.empty()) return {};
    const float* z = logits.data();
    const std::size_t n = logits.size();
    const vec::CopyCheck r = vec::check_only(z, n);
    check_logits(z, n, r.bad, r.max);
    return entropy_of(exp_pass<false, true, false>(nullptr, z, n, r.max));
}

TokenStats token_stats(const Candidates& cand, std::int32_t token) {
    TokenStats t;
    const auto p = cand.probs();
    const std::size_t n = cand.size();
    std::size_t at = n;
    if (cand.dense() && token >= 0 && static_cast<std::size_t>(token) < n) {
        at = static_cast<std::size_t>(token);
    } else {
        for (std::size_t i = 0; i < n && at == n; ++i) at = cand.id(i) == token ? i : n;
    }
    if (at == n) return t;
    t.present = true;
    t.p = p[at];
    t.rank = 1 + static_cast<std::size_t>(std::count_if(p.begin(), p.end(), [&](float v) { return v > p[at]; }));
    return t;
}

namespace {

nlohmann::json to_json(const DistStats& s) {
    return {{"size", s.size},           {"entropy_nats", s.entropy_nats}, {"entropy_bits", s.entropy_bits},
            {"perplexity", s.perplexity}, {"support", s.support},         {"top1_p", s.top1_p},
            {"nucleus_90", s.nucleus_90}, {"nucleus_95", s.nucleus_95}};
}

nlohmann::json to_json(const TokenStats& t) { return {{"p", t.p}, {"rank", t.rank}, {"present", t.present}}; }

nlohmann::json to_json(const std::vector<TraceEntry>& entries) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& e : entries) {
        // -inf logits are not JSON numbers: write null.
        nlohmann::json logit = std::isfinite(e.logit) ? nlohmann::json(e.logit) : nlohmann::json(nullptr);
        out.push_back({{"id", e.id}, {"logit", logit}, {"p", e.p}});
    }
    return out;
}

}  // namespace

std::string trace_to_json(const StepTrace& trace) {
    nlohmann::json stages = nlohmann::json::array();
    for (const auto& st : trace.stages) {
        stages.push_back({{"name", st.name},
                          {"params", st.params},
                          {"before", to_json(st.before)},
                          {"after", to_json(st.after)},
                          {"top_before", to_json(st.top_before)},
                          {"top_after", to_json(st.top_after)},
                          {"chosen_before", to_json(st.chosen_before)},
                          {"chosen_after", to_json(st.chosen_after)}});
    }
    nlohmann::json j = {{"chosen", trace.chosen},
                        {"raw", to_json(trace.raw)},
                        {"final", to_json(trace.final)},
                        {"chosen_raw", to_json(trace.chosen_raw)},
                        {"chosen_final", to_json(trace.chosen_final)},
                        {"stages", stages}};
    return j.dump();
}

}  // namespace gpt2::sampling
