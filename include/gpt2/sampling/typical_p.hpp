#pragma once
// typical_p: locally typical sampling (Meister, Pimentel, Wiher, Cotterell
// 2022/2023, "Locally Typical Sampling", arXiv:2202.00666).
// With H = −Σ p_i ln p_i, rank candidates by |−ln p_i − H| ascending, take
// the cumulative probability in that order, and keep the shortest prefix
// whose mass reaches typical_p: as Hugging Face's TypicalLogitsWarper, the
// cut index is the number of prefix sums < typical_p (clamped to n−1), and
// every candidate whose score is ≤ the score at the cut index is kept (ties
// at the cut survive). At least one candidate is kept.
// typical_p = 1: off. Valid: 0 < typical_p ≤ 1. Needs a full sort by score.
#include <cstdint>
#include <utility>
#include <vector>

#include "gpt2/sampling/sampler.hpp"

namespace gpt2::sampling {

class TypicalP final : public Sampler {
public:
    explicit TypicalP(float typical_p);
    void apply(Candidates& cand, Rng& rng) override;
    std::unique_ptr<Sampler> clone() const override { return std::make_unique<TypicalP>(*this); }
    std::string name() const override { return "typical_p"; }
    std::string params() const override;
    float typical_p() const { return typical_p_; }

private:
    float typical_p_;
    std::vector<std::pair<float, std::uint32_t>> scores_;   // scratch: (score, index)
};

}  // namespace gpt2::sampling
