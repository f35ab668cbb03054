#pragma once
// min_p (Nguyen et al. 2024, arXiv:2407.01082): keeps p_i ≥ min_p · p_max.
// Computed in logit space without a softmax: p_i/p_max = exp(z_i − z_max), so
// keep z_i ≥ z_max + ln(min_p). Ties at the threshold are kept; the argmax
// always survives. min_p = 0: off. Valid: 0 ≤ min_p ≤ 1. Output sorted
// descending when anything was removed.
#include "gpt2/sampling/sampler.hpp"

namespace gpt2::sampling {

class MinP final : public Sampler {
public:
    explicit MinP(float min_p);
    void apply(Candidates& cand, Rng& rng) override;
    std::unique_ptr<Sampler> clone() const override { return std::make_unique<MinP>(*this); }
    std::string name() const override { return "min_p"; }
    std::string params() const override;
    float min_p() const { return min_p_; }

private:
    float min_p_;
};

}  // namespace gpt2::sampling
