#include "gpt2/sampling/candidates.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <numeric>

#include <fmt/format.h>

#include "gpt2/error.hpp"
#include "sampling/check_logits.hpp"
#include "sampling/exp_pass.hpp"
#include "sampling/vec_math.hpp"

namespace gpt2::sampling {

namespace {

constexpr float kInfF = std::numeric_limits<float>::infinity();
// Block width of the skip-scans: a block whose max cannot matter is skipped
// with one vectorised max and one branch.
constexpr std::size_t kBlock = 16;

}  // namespace

// The load()/assign() input checks, given the count of NaN/+inf and the max.
void check_logits(const float* z, std::size_t n, std::size_t bad, float max) {
    if (bad != 0) {
        for (std::size_t i = 0; i < n; ++i) {
            if (!(z[i] < kInfF)) {
                throw Error(fmt::format("logits: expected finite values or -inf, found {} at index {} "
                                        "({} bad value(s) of {})",
                                        std::isnan(z[i]) ? "NaN" : "+inf", i, bad, n));
            }
        }
    }
    if (n == 0) throw Error("logits: expected at least one value, got an empty vector");
    if (max == -kInfF) throw Error(fmt::format("logits: all {} values are -inf; nothing can be sampled", n));
}

void Candidates::check_input() const {
    const float* z = logits_.data();
    check_logits(z, size_, vec::count_not_below_inf(z, size_), size_ == 0 ? -kInfF : max_logit());
}

void Candidates::load(std::span<const float> logits) {
    size_ = logits.size();
    vocab_ = size_;
    if (ids_.size() < size_) {   // grows once; later loads reuse the buffers
        ids_.resize(size_);
        logits_.resize(size_);
        probs_.resize(size_);
    }
    // One pass: copy, NaN/+inf count and max (was four passes). The ids are
    // implied (ids[i] == i) until someone asks for the array: ensure_ids().
    const vec::CopyCheck r = vec::copy_check(logits_.data(), logits.data(), size_);
    ids_valid_ = false;
    probs_current_ = false;
    sums_current_ = false;
    as_loaded_ = true;
    loaded_sums_valid_ = false;
    sorted_ = false;
    dense_ = true;
    selected = -1;
    input_max_ = r.max;
    check_logits(logits_.data(), size_, r.bad, r.max);
    max_ = r.max;   // no NaN or +inf (checked), so the copy's max is vec::max's
    max_valid_ = true;
}

void Candidates::assign(std::span<const Entry> entries) {
    std::int32_t max_id = -1;
    for (const Entry& e : entries) {
        if (e.id < 0) throw Error(fmt::format("candidates: token id must be >= 0, got {}", e.id));
        max_id = std::max(max_id, e.id);
    }
    replace(entries, false, false);
    loaded_sums_valid_ = false;
    vocab_ = static_cast<std::size_t>(max_id + 1);
    dense_ = size_ == vocab_;
    for (std::size_t i = 0; dense_ && i < size_; ++i) dense_ = ids_[i] == static_cast<std::int32_t>(i);
    selected = -1;
    check_input();
    input_max_ = max_logit();
}

void Candidates::ensure_ids() const {
    if (ids_valid_) return;
    for (std::size_t i = 0; i < size_; ++i) ids_[i] = static_cast<std::int32_t>(i);
    ids_valid_ = true;
}

float Candidates::max_logit() const {
    if (!max_valid_) {
        max_ = vec::max(logits_.data(), size_);
        max_valid_ = true;
    }
    return max_;
}

std::size_t Candidates::argmax() const {
    const std::size_t i = vec::find_equal(logits_.data(), size_, max_logit());
    return i < size_ ? i : 0;
}

void Candidates::compute_probs() {
    if (probs_current_) return;
    const float m = max_logit();
    // S in the order every statistic sums it; with keep_sums_, W beside it,
    // so that the entropy of these candidates (compute_entropy) needs no
    // pass of its own (docs/benchmarks.md, fifteenth round).
    const detail::ExpPass r = keep_sums_ ? detail::exp_pass<true, true, false>(probs_.data(), logits_.data(), size_, m)
                                         : detail::exp_pass<true, false, false>(probs_.data(), logits_.data(), size_, m);
    const auto inv = static_cast<float>(1.0 / r.sum);
    float* p = probs_.data();
    for (std::size_t i = 0; i < size_; ++i) p[i] *= inv;
    probs_current_ = true;
    sums_current_ = keep_sums_;
    if (!keep_sums_) return;
    sums_ = {r.sum, r.weighted, r.support, m};
    if (as_loaded_) {
        loaded_sums_ = sums_;
        loaded_sums_valid_ = true;
    }
}

void Candidates::mark_logits_changed(bool same_order) {
    probs_current_ = false;
    changed();
    if (!same_order) sorted_ = false;
}

void Candidates::mark_logits_rescaled(float new_max) {
    mark_logits_changed(true);
    max_ = new_max;
    max_valid_ = true;
}

float Candidates::kth_largest_logit(std::size_t k) const {
    // A min-heap of the k largest values seen so far; heap[0] is the k-th.
    // After warm-up almost every 16-wide block lies entirely below heap[0]
    // and costs one vectorised max: ~n/16 branches instead of n heap checks.
    const float* z = logits_.data();
    const std::size_t n = size_;
    k = std::clamp<std::size_t>(k, 1, n);
    auto& heap = heap_;
    heap.assign(z, z + k);
    std::make_heap(heap.begin(), heap.end(), std::greater<float>());
    auto consider = [&heap](float x) {
        if (x > heap[0]) {
            std::pop_heap(heap.begin(), heap.end(), std::greater<float>());
            heap.back() = x;
            std::push_heap(heap.begin(), heap.end(), std::greater<float>());
        }
    };
    std::size_t i = k;
    for (; i < n && i % kBlock != 0; ++i) consider(z[i]);
    for (; i + kBlock <= n; i += kBlock) {
        if (vec::any_above<kBlock>(z + i, heap[0])) {
            for (std::size_t j = i; j < i + kBlock; ++j) consider(z[j]);
        }
    }
    for (; i < n; ++i) consider(z[i]);
    return heap[0];
}

void Candidates::collect_at_least(float threshold, std::vector<Entry>& out) const {
    out.clear();
    const float* z = logits_.data();
    const std::size_t n = size_;
    auto take = [&](std::size_t j) {
        if (z[j] >= threshold) out.push_back({id(j), z[j], probs_[j]});
    };
    std::size_t i = 0;
    for (; i + kBlock <= n; i += kBlock) {
        if (vec::any_at_least<kBlock>(z + i, threshold)) {
            for (std::size_t j = i; j < i + kBlock; ++j) take(j);
        }
    }
    for (; i < n; ++i) take(i);
    std::stable_sort(out.begin(), out.end(), [](const Entry& a, const Entry& b) { return a.logit > b.logit; });
}

void Candidates::collect_top(std::size_t k, std::vector<Entry>& out) const {
    // kth_largest_logit()'s scan, noting every value >= the heap's minimum
    // (the current k-th largest; non-decreasing) as a candidate. A value >=
    // the final k-th was >= the minimum when it was seen, so it is noted;
    // blocks are skipped only when their max is below the minimum (a tie
    // with it must be noted). Candidates stay in index order, as in
    // collect_at_least(), so the stable sort below gives the same order.
    const float* z = logits_.data();
    const std::size_t n = size_;
    out.clear();
    if (n == 0) return;
    k = std::clamp<std::size_t>(k, 1, n);
    auto& heap = heap_;
    heap.assign(z, z + k);
    std::make_heap(heap.begin(), heap.end(), std::greater<float>());
    for (std::size_t j = 0; j < k; ++j) out.push_back({id(j), z[j], probs_[j]});
    auto consider = [&](std::size_t j) {
        const float x = z[j];
        if (x >= heap[0]) {
            out.push_back({id(j), x, probs_[j]});
            if (x > heap[0]) {
                std::pop_heap(heap.begin(), heap.end(), std::greater<float>());
                heap.back() = x;
                std::push_heap(heap.begin(), heap.end(), std::greater<float>());
            }
        }
    };
    std::size_t i = k;
    for (; i < n && i % kBlock != 0; ++i) consider(i);
    for (; i + kBlock <= n; i += kBlock) {
        if (vec::any_at_least<kBlock>(z + i, heap[0])) {
            for (std::size_t j = i; j < i + kBlock; ++j) consider(j);
        }
    }
    for (; i < n; ++i) consider(i);
    const float threshold = heap[0];
    std::erase_if(out, [threshold](const Entry& e) { return e.logit < threshold; });
    std::stable_sort(out.begin(), out.end(), [](const Entry& a, const Entry& b) { return a.logit > b.logit; });
}

void Candidates::keep_top(std::size_t k) {
    collect_top(k, scratch_);
    replace(scratch_, true, false);
}

void Candidates::keep_at_least(float threshold) {
    collect_at_least(threshold, scratch_);
    replace(scratch_, true, false);
}

void Candidates::replace(std::span<const Entry> entries, bool sorted, bool probs_current) {
    const std::size_t n = entries.size();
    if (ids_.size() < n) {
        ids_.resize(n);
        logits_.resize(n);
        probs_.resize(n);
    }
    for (std::size_t i = 0; i < n; ++i) {
        ids_[i] = entries[i].id;
        logits_[i] = entries[i].logit;
        probs_[i] = entries[i].p;
    }
    size_ = n;
    sorted_ = sorted;
    probs_current_ = probs_current;
    changed();
    dense_ = false;
    ids_valid_ = true;
}

void Candidates::sort_descending() {
    if (sorted_) return;
    scratch_.resize(size_);
    for (std::size_t i = 0; i < size_; ++i) scratch_[i] = {id(i), logits_[i], probs_[i]};
    std::stable_sort(scratch_.begin(), scratch_.end(),
                     [](const Entry& a, const Entry& b) { return a.logit > b.logit; });
    const bool probs = probs_current_;
    replace(scratch_, true, probs);   // a reorder keeps the probabilities valid
}

void Candidates::truncate(std::size_t n) {
    if (n >= size_) return;
    size_ = n;
    dense_ = false;
    probs_current_ = false;
    changed();
}

template <class Keep>
void Candidates::compact(Keep keep) {
    // Order-preserving, branch-free write cursor.
    ensure_ids();
    std::size_t w = 0;
    for (std::size_t i = 0; i < size_; ++i) {
        const bool k = keep(i);
        ids_[w] = ids_[i];
        logits_[w] = logits_[i];
        probs_[w] = probs_[i];
        w += k ? 1 : 0;
    }
    if (w != size_) {
        size_ = w;
        dense_ = false;
        probs_current_ = false;
        changed();
    }
}

void Candidates::filter_logits_at_least(float threshold) {
    const float* z = logits_.data();
    std::size_t kept = 0;
    for (std::size_t i = 0; i < size_; ++i) kept += z[i] >= threshold ? 1 : 0;
    if (kept == size_) return;
    if (kept == 0) {   // keep the argmax so a filter never empties the set
        threshold = max_logit();
    }
    compact([z, threshold](std::size_t i) { return z[i] >= threshold; });
}

void Candidates::filter_probs_at_least(float threshold) {
    const float* p = probs_.data();
    std::size_t kept = 0;
    for (std::size_t i = 0; i < size_; ++i) kept += p[i] >= threshold ? 1 : 0;
    if (kept == size_) return;
    if (kept == 0) {
        const std::size_t best = argmax();
        compact([best](std::size_t i) { return i == best; });
        return;
    }
    compact([p, threshold](std::size_t i) { return p[i] >= threshold; });
}

}  // namespace gpt2::sampling
