#include "gpt2/sampling/stats.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cmath>
#include <functional>

#include <nlohmann/json.hpp>

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
// The histogram lives in `scratch` (48 KB, zeroed per call, never
// reallocated once grown).
template <std::size_t M>
std::array<std::size_t, M> mass_counts(std::span<const float> p, const std::array<double, M>& masses,
                                       StatsScratch& scratch) {
    constexpr int kShift = 19;
    constexpr std::size_t kBuckets = std::size_t{1} << (31 - kShift);
    auto& count = scratch.count;
    auto& sum = scratch.mass;
    count.assign(kBuckets, 0);
    sum.assign(kBuckets, 0.0);
    auto& bucket = scratch.bucket;
    auto key = [](float v) { return std::bit_cast<std::uint32_t>(v) >> kShift; };   // v >= 0: sign bit clear
    for (const float v : p) {
        const std::uint32_t k = key(v);
        ++count[k];
        sum[k] += v;
    }
    std::array<std::size_t, M> out{};
    for (std::size_t q = 0; q < M; ++q) {
        double need = masses[q];
        std::size_t taken = 0;
        out[q] = p.size();
        for (std::size_t k = kBuckets; k-- > 0;) {
            if (count[k] == 0) continue;
            if (sum[k] < need) {
                need -= sum[k];
                taken += count[k];
                continue;
            }
            bucket.clear();
            for (const float v : p) {
                if (key(v) == k) bucket.push_back(v);
            }
            const std::size_t in_bucket = mass_count(bucket.data(), bucket.size(), need);
            out[q] = taken + in_bucket;
            break;
        }
    }
    return out;
}

}  // namespace

std::size_t nucleus_size(std::span<const float> probs, double mass, StatsScratch& scratch) {
    return mass_counts<1>(probs, {mass}, scratch)[0];
}

DistStats compute_stats(const Candidates& cand, StatsScratch& stats_scratch) {
    DistStats s;
    s.size = cand.size();
    if (cand.empty()) return s;
    // From the logits z, whether or not the probabilities are current (they
    // are softmax(z) when current): with e_i = exp(z_i - m) and S = sum e_i,
    // p_i = e_i / S and H = -sum p log p = ln S - (1/S) sum e_i (z_i - m),
    // so one vectorised exp pass replaces n logarithms. Terms with e_i = 0
    // (z_i = -inf or underflow) contribute nothing.
    const std::size_t n = cand.size();
    const float* z = cand.logits().data();
    const float m = cand.max_logit();
    std::vector<float>& scratch = stats_scratch.probs;
    scratch.resize(n);
    const double sum = vec::exp_shifted(scratch.data(), z, n, m);
    // Four partial sums (element i into sum i % 4, added pairwise at the
    // end): one chain of dependent double additions was latency-bound.
    double part[4] = {0.0, 0.0, 0.0, 0.0};
    std::size_t support = 0;
    const auto add = [&](std::size_t i, double& sum) {
        const float e = scratch[i];
        if (e > 0.0f) {   // e = 0 for z = -inf, where e · (z - m) would be NaN
            sum += static_cast<double>(e) * static_cast<double>(z[i] - m);
            ++support;
        }
    };
    std::size_t i = 0;
    for (; i + 4 <= n; i += 4)
        for (std::size_t u = 0; u < 4; ++u) add(i + u, part[u]);
    for (; i < n; ++i) add(i, part[i % 4]);
    const double weighted = (part[0] + part[1]) + (part[2] + part[3]);
    const double h = std::max(0.0, std::log(sum) - weighted / sum);
    s.entropy_nats = h;
    s.entropy_bits = h / std::log(2.0);
    s.perplexity = std::exp(h);
    s.support = support;
    s.top1_p = 1.0 / sum;   // the max logit's term is exp(0) = 1
    const auto inv = static_cast<float>(1.0 / sum);
    for (float& v : scratch) v *= inv;
    const auto counts = mass_counts<2>(scratch, {0.90, 0.95}, stats_scratch);
    s.nucleus_90 = counts[0];
    s.nucleus_95 = counts[1];
    return s;
}

DistStats compute_stats(const Candidates& cand) {
    StatsScratch scratch;
    return compute_stats(cand, scratch);
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
