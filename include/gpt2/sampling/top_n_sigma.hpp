#pragma once
// top_n_sigma (Tang et al. 2024, "Top-nσ: Not All Logits Are You Need",
// arXiv:2411.07641): keeps z_i ≥ max(z) − n·σ(z), σ the population standard
// deviation of the finite logits of the live candidates. Ties at the
// threshold are kept; the argmax always survives. Applied to raw logits (the
// paper's statement: the rule is temperature-invariant in the kept set only
// up to the σ scaling, so put it before temperature as llama.cpp does).
// Valid: 0 ≤ n < ∞ (n = 0 keeps only the maximum and its ties).
#include "gpt2/sampling/sampler.hpp"

namespace gpt2::sampling {

class TopNSigma final : public Sampler {
public:
    explicit TopNSigma(float n);
    void apply(Candidates& cand, Rng& rng) override;
    std::unique_ptr<Sampler> clone() const override { return std::make_unique<TopNSigma>(*this); }
    std::string name() const override { return "top_n_sigma"; }
    std::string params() const override;
    float n() const { return n_; }

private:
    float n_;
};

}  // namespace gpt2::sampling
