#pragma once
// temperature: z_i ← z_i / T, so p ∝ exp(z/T). T < 1 sharpens, T > 1 flattens.
// T = 0 is greedy: only the argmax (ties: first candidate) is kept, with no
// division. If z/T would overflow (tiny T), the max is subtracted first:
// (z_i − max)/T, which leaves the distribution unchanged (softmax is
// shift-invariant) and cannot produce +inf; otherwise plain z/T, as in
// Hugging Face's TemperatureLogitsWarper (scores / temperature).
// Valid: 0 ≤ T < ∞.
#include "gpt2/sampling/sampler.hpp"

namespace gpt2::sampling {

class Temperature final : public Sampler {
public:
    explicit Temperature(float temperature);
    void apply(Candidates& cand, Rng& rng) override;
    std::unique_ptr<Sampler> clone() const override { return std::make_unique<Temperature>(*this); }
    std::string name() const override { return "temperature"; }
    std::string params() const override;
    float temperature() const { return temperature_; }

private:
    float temperature_;
};

}  // namespace gpt2::sampling
