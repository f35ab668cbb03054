#pragma once
// top_p (nucleus, Holtzman et al. 2020, arXiv:1904.09751): keeps the most
// probable candidates whose mass reaches p.
//
// Rule, matching Hugging Face's TopPLogitsWarper in float: sort probabilities
// ascending, take the cumulative sum, remove every token whose cumulative sum
// is ≤ 1 − p, keep at least the most probable token. Equivalently, walking
// descending, token j is kept iff the mass of it and everything less probable
// (its "tail") is > 1 − p. The descending rule ("smallest prefix whose
// cumulative sum ≥ p", llama.cpp) differs only when a float cumulative sum
// lands on the boundary, which the two orders round differently; we follow
// HF. Tail sums are accumulated in double and compared in float, as torch's
// CPU cumsum (double accumulator, float output) does.
//
// p = 1: off (no-op). Valid: 0 < p ≤ 1.
// Cost: softmax (if stale); then sorted or small (≤ 2048) sets are walked
// after a sort; otherwise, when the 64 most probable tokens can hold the
// nucleus (64·p_max ≥ p), they are selected (one heap scan, no sort) and
// walked, which ends peaked steps; flat steps bucket the logits (4096
// buckets), sum the mass per bucket over the tokens that could be kept at
// all (those within ln(q / 4n·p_max) of the top), sort only the bucket
// holding the cut, and keep the survivors with one in-place compaction:
// O(n), never a full sort of the vocabulary. Output order: sorted
// descending on the first two paths, the input order on the bucket path.
#include <cstdint>
#include <vector>

#include "gpt2/sampling/sampler.hpp"

namespace gpt2::sampling {

class TopP final : public Sampler {
public:
    explicit TopP(double p);   // double: HF computes 1 - p in Python double
    void apply(Candidates& cand, Rng& rng) override;
    std::unique_ptr<Sampler> clone() const override { return std::make_unique<TopP>(*this); }
    std::string name() const override { return "top_p"; }
    std::string params() const override;
    double p() const { return p_; }

private:
    void cut_by_buckets(Candidates& cand, double total, float q, double pmax);

    double p_;
    std::vector<Candidates::Entry> edge_;   // scratch: candidates at the cut
    std::vector<std::uint32_t> live_;       // scratch: indices of the candidates at or above the floor
    std::vector<std::uint16_t> bucket_;     // scratch: bucket of each candidate
    std::vector<double> mass_;              // scratch: probability mass per bucket
};

}  // namespace gpt2::sampling
