#pragma once
// greedy: selects the argmax. Ties go to the candidate that comes first
// (the lowest token id while candidates are in id order). Keeps only the
// chosen candidate (probability 1), so the "after" distribution in a trace is
// what is actually sampled: a point mass.
#include "gpt2/sampling/sampler.hpp"

namespace gpt2::sampling {

class Greedy final : public Sampler {
public:
    void apply(Candidates& cand, Rng& rng) override;
    std::unique_ptr<Sampler> clone() const override { return std::make_unique<Greedy>(*this); }
    std::string name() const override { return "greedy"; }
    bool selects() const override { return true; }
};

}  // namespace gpt2::sampling
