#pragma once
// mirostat v2 (Basu et al. 2021, "Mirostat", arXiv:2007.14966, Alg. 2; as
// llama.cpp's mirostat_v2): a selecting stage that steers the observed
// surprise −log2 p(token) towards τ.
//   keep candidates with −log2 p_i ≤ μ (at least the most probable one),
//   renormalise, draw one token x from the kept set, then
//   μ ← μ − η · (−log2 p'(x) − τ), p' the renormalised probability.
// μ starts at 2τ; reset() restores it. Valid: 0 < τ < ∞ (bits), 0 < η ≤ 1.
// One uniform draw per token. No sort: −log2 p_i ≤ μ ⟺ p_i ≥ 2^−μ.
#include "gpt2/sampling/sampler.hpp"

namespace gpt2::sampling {

class MirostatV2 final : public Sampler {
public:
    MirostatV2(float tau, float eta);
    void apply(Candidates& cand, Rng& rng) override;
    void reset() override { mu_ = 2.0f * tau_; }
    std::unique_ptr<Sampler> clone() const override { return std::make_unique<MirostatV2>(*this); }
    std::string name() const override { return "mirostat"; }
    std::string params() const override;
    bool selects() const override { return true; }
    float mu() const { return mu_; }

private:
    float tau_;
    float eta_;
    float mu_;
};

}  // namespace gpt2::sampling
