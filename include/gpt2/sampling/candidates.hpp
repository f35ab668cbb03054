#pragma once
// The one candidates type that flows through a sampler chain.
//
//   gpt2::sampling::Candidates cand;          // reuse across steps: no per-token allocation
//   cand.load(logits);                        // every token of the vocabulary, in id order
//   chain.apply(cand, rng);                   // stages filter / reshape / select
//   std::int32_t next = cand.selected;
//
// Layout: structure of arrays (ids, logits, probs) over [0, size()), so the
// hot scans (max, exp, compare) vectorise. Buffers keep their capacity across
// load() calls; after the first token nothing is allocated.
//
// State flags, which every stage must keep honest:
//   probs_current  probs[i] == softmax(logits)[i] over the live candidates.
//                  Any change to a logit or to the set makes it false
//                  (use mark_logits_changed()/truncate()); readers call
//                  compute_probs(), which is a no-op when current.
//   sorted         logits are in descending order over [0, size()).
//   dense          ids[i] == i for every i and size() == vocab(): the
//                  candidate of token t sits at index t (penalties and logit
//                  bias then index directly instead of scanning).
//   selected       the chosen token id, or -1 until a selecting stage ran.
//
// Removed tokens are dropped from the arrays (not kept at -inf), so later
// stages only see survivors. Tokens whose logit is -inf on input stay
// (probability 0) until a filter drops them.
//
// Ownership/threads: a Candidates owns its buffers; one thread at a time.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace gpt2::sampling {

class Candidates {
public:
    // One candidate as a value (used for sorting and for traces).
    struct Entry {
        std::int32_t id;
        float logit;
        float p;
    };

    // Replaces the contents with every token of `logits` (id = index), in id
    // order. Throws gpt2::Error when logits is empty, holds a NaN or +inf, or
    // is -inf everywhere (nothing could be sampled).
    void load(std::span<const float> logits);
    // Replaces the contents with explicit entries (ids must be >= 0);
    // for tests and for callers that already filtered. Same checks as load().
    void assign(std::span<const Entry> entries);

    std::size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    // Size of the vocabulary at the last load() (== size() right after it).
    std::size_t vocab() const { return vocab_; }
    // Largest logit given to the last load()/assign(), before any stage ran
    // (load() finds it in its checking pass; free to read).
    float input_max() const { return input_max_; }

    // The ids array. After load() it is not written (ids[i] == i is implied):
    // the first call fills it (one pass), so stages that never ask for the
    // whole array (top_k, dist, greedy use id()) skip that pass.
    std::span<std::int32_t> ids() { ensure_ids(); return {ids_.data(), size_}; }
    std::span<float> logits() { return {logits_.data(), size_}; }
    // Only meaningful when probs_current (call compute_probs() first).
    std::span<float> probs() { return {probs_.data(), size_}; }
    std::span<const std::int32_t> ids() const { ensure_ids(); return {ids_.data(), size_}; }
    std::span<const float> logits() const { return {logits_.data(), size_}; }
    std::span<const float> probs() const { return {probs_.data(), size_}; }
    // Token id of candidate i (i < size()) without materialising ids().
    std::int32_t id(std::size_t i) const { return ids_valid_ ? ids_[i] : static_cast<std::int32_t>(i); }
    Entry entry(std::size_t i) const { return {id(i), logits_[i], probs_[i]}; }

    bool probs_current() const { return probs_current_; }
    bool sorted() const { return sorted_; }
    bool dense() const { return dense_; }

    // The chosen token, or -1. Set by selecting stages (greedy, dist, mirostat).
    std::int32_t selected = -1;

    // softmax(logits) into probs if they are stale; the max is subtracted first
    // so no exp overflows. Three passes (max; exp+sum; scale), vectorisable.
    void compute_probs();

    // With `on`, compute_probs() also sums what the entropy needs and keeps
    // it (exp_sums, loaded_exp_sums), for a caller that takes the entropy
    // of every step: ~10 us more per softmax of the 50,257 vocabulary, for
    // the ~35 us pass compute_entropy() then skips. Off by default; kept
    // across load().
    void keep_entropy_sums(bool on) { keep_sums_ = on; }

    // What compute_probs()'s exp pass summed besides the probabilities, with
    // e_i = exp(z_i − max): S = Σ e_i, the entropy's W = Σ e_i·(z_i − max)
    // over the terms with e_i > 0, and their count; the statistics
    // (compute_entropy) take them instead of a pass of their own, with the
    // same bits (lib/sampling/exp_pass.hpp sums every caller alike).
    struct ExpSums {
        double sum = 0.0;
        double weighted = 0.0;
        std::size_t support = 0;
        float max = 0.0f;
    };
    // The sums of the last compute_probs() while the candidates are still
    // what it saw (no logit, member or order changed since); null otherwise
    // or without keep_entropy_sums(true).
    const ExpSums* exp_sums() const { return sums_current_ ? &sums_ : nullptr; }
    // The sums of a compute_probs() that ran on the candidates exactly as
    // load() left them (every token in id order, the raw logits): those of
    // softmax(the loaded logits), kept until the next load()/assign() however
    // later stages change the candidates; null when no such pass ran.
    const ExpSums* loaded_exp_sums() const { return loaded_sums_valid_ ? &loaded_sums_ : nullptr; }
    // Call after writing logits in place: probabilities become stale; sorted
    // is kept only when `same_order` (ids do not move, so dense is kept).
    void mark_logits_changed(bool same_order = false);
    // Call after mapping every logit through one non-decreasing function
    // (temperature's z / T): mark_logits_changed(true), and the largest
    // logit is now `new_max` (the image of the old largest), which
    // max_logit() returns without a pass.
    void mark_logits_rescaled(float new_max);

    // Largest logit over the live candidates (-inf when empty). O(n), no sort;
    // kept until the logits or the set change (load() finds it while it
    // copies), so the stages after the first that asks pay no pass.
    float max_logit() const;
    // Index of the largest logit; ties go to the lowest index. O(n).
    std::size_t argmax() const;

    // The k-th largest logit (1-based; k <= size()) without sorting: one scan
    // with a k-element heap that skips 16-wide blocks below the current k-th
    // value. O(n + k log k · log(n/k)) typical.
    float kth_largest_logit(std::size_t k) const;

    // Keeps exactly the candidates with logit >= threshold, sorted descending
    // (ties keep their current relative order). Clears dense and
    // probs_current, sets sorted. Keeps the probs array contents aligned
    // (stale but reordered) so callers can reuse them before renormalising.
    void keep_at_least(float threshold);
    // Writes into `out` (cleared first) the candidates with logit >= threshold,
    // sorted descending, without changing *this. `out` is caller-owned scratch.
    void collect_at_least(float threshold, std::vector<Entry>& out) const;
    // collect_at_least(kth_largest_logit(k), out) in one scan instead of two:
    // while the heap scan runs, every value >= the current k-th is noted (the
    // k-th only grows, so the final set is among them), then filtered and
    // sorted. Same result, ties included. k is clamped to [1, size()].
    void collect_top(std::size_t k, std::vector<Entry>& out) const;
    // Keeps exactly the candidates collect_top(k) returns (keep_at_least of
    // the k-th largest logit), sorted descending, in one scan.
    void keep_top(std::size_t k);
    // Replaces the contents with `entries` in that order (probabilities copied
    // as given, probs_current set to `probs_current`; dense cleared; sorted
    // set to `sorted`).
    void replace(std::span<const Entry> entries, bool sorted, bool probs_current);
    // Sorts every candidate by descending logit (stable), when not sorted yet.
    void sort_descending();
    // Keeps the first n candidates (n <= size()); probabilities become stale.
    void truncate(std::size_t n);
    // Keeps, in their current order, the candidates with logit >= threshold
    // (only the argmax if none qualifies, so a filter never empties the set).
    // Clears dense and probs_current if anything was removed. One pass.
    void filter_logits_at_least(float threshold);
    // Same with probabilities (probs must be current).
    void filter_probs_at_least(float threshold);

    // Scratch for stages (reused; no per-token allocation once grown).
    std::vector<Entry>& scratch() { return scratch_; }

private:
    void check_input() const;
    // Fills ids_ with 0..size()-1 if load() left it implied.
    void ensure_ids() const;
    template <class Keep>
    void compact(Keep keep);

    mutable std::vector<std::int32_t> ids_;   // valid only when ids_valid_ (else ids[i] == i)
    std::vector<float> logits_;
    std::vector<float> probs_;
    std::vector<Entry> scratch_;
    mutable std::vector<float> heap_;   // kth_largest_logit() scratch
    std::size_t size_ = 0;
    std::size_t vocab_ = 0;
    float input_max_ = 0.0f;
    // Any change to the logits, the set or the order: the cached sums and
    // max no longer describe the candidates, and they are no longer as
    // loaded.
    void changed() {
        sums_current_ = false;
        as_loaded_ = false;
        max_valid_ = false;
    }
    mutable float max_ = 0.0f;         // max_logit(), when max_valid_
    mutable bool max_valid_ = false;

    mutable bool ids_valid_ = false;
    ExpSums sums_, loaded_sums_;
    bool keep_sums_ = false;
    bool sums_current_ = false;
    bool as_loaded_ = false;          // unchanged since load()
    bool loaded_sums_valid_ = false;
    bool probs_current_ = false;
    bool sorted_ = false;
    bool dense_ = false;
};

}  // namespace gpt2::sampling
