#pragma once
// top_k: keeps the candidates whose logit is ≥ the k-th largest logit.
// Ties at the k-th logit are all kept (so more than k may survive), exactly as
// Hugging Face's TopKLogitsWarper (scores < topk(scores, k)[-1] are removed);
// this never favours a token for its id. k ≤ 0 or k ≥ size: off (no-op).
// Output is sorted descending. Cost: one heap-select scan + one collect scan,
// no sort of the vocabulary.
#include "gpt2/sampling/sampler.hpp"

namespace gpt2::sampling {

class TopK final : public Sampler {
public:
    explicit TopK(int k);   // any int is valid; ≤ 0 means off
    void apply(Candidates& cand, Rng& rng) override;
    std::unique_ptr<Sampler> clone() const override { return std::make_unique<TopK>(*this); }
    std::string name() const override { return "top_k"; }
    std::string params() const override;
    int k() const { return k_; }

private:
    int k_;
};

}  // namespace gpt2::sampling
