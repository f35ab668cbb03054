#pragma once
// dist: the final draw. u = rng.uniform() in [0, 1) (one draw per token,
// always, so streams stay aligned), then the first candidate, in the current
// candidate order, whose cumulative probability exceeds u · Σp (sums in
// double). Inverse-CDF sampling; no <random> distribution objects (their
// output differs between standard libraries). Throws gpt2::Error when every
// candidate has probability 0 (e.g. all banned).
#include "gpt2/sampling/sampler.hpp"

namespace gpt2::sampling {

class Dist final : public Sampler {
public:
    void apply(Candidates& cand, Rng& rng) override;
    std::unique_ptr<Sampler> clone() const override { return std::make_unique<Dist>(*this); }
    std::string name() const override { return "dist"; }
    bool selects() const override { return true; }
};

// The inverse-CDF draw used by dist and mirostat: index into cand (probs
// must be current) for uniform u in [0, 1).
std::size_t draw_index(const Candidates& cand, double u);

}  // namespace gpt2::sampling
