#pragma once
// penalties: repetition, frequency and presence penalties over the last
// `last_n` accepted tokens (prompt tokens count if the caller accept()s them).
//
//   repetition (CTRL, Keskar et al. 2019, arXiv:1909.05858; as Hugging Face's
//   RepetitionPenaltyLogitsProcessor): for each distinct token t in the window,
//   z_t ← z_t / r if z_t > 0, else z_t · r.       r = 1: off.
//   frequency/presence (OpenAI API reference): with c_t the count of t in the
//   window, z_t ← z_t − c_t·α_freq − [c_t > 0]·α_pres.   0: off.
// The repetition rule is applied first, then frequency/presence (llama.cpp's
// order).
//
// Valid: 0 < repeat < ∞; −2 ≤ frequency, presence ≤ 2 (the OpenAI range);
// 0 ≤ last_n ≤ 1,048,576 (0: the window is empty, nothing is penalised).
// State: the window (a ring buffer) and per-token counts, updated by
// accept(); reset() clears them. Cost: O(window) when the candidates are
// dense (fresh from load()), else one O(n) pass.
#include <cstdint>
#include <vector>

#include "gpt2/sampling/sampler.hpp"

namespace gpt2::sampling {

struct PenaltyParams {
    float repeat = 1.0f;
    float frequency = 0.0f;
    float presence = 0.0f;
    int last_n = 64;
};

class Penalties final : public Sampler {
public:
    explicit Penalties(PenaltyParams params);
    void apply(Candidates& cand, Rng& rng) override;
    void accept(std::int32_t token) override;
    void reset() override;
    std::unique_ptr<Sampler> clone() const override { return std::make_unique<Penalties>(*this); }
    std::string name() const override { return "penalties"; }
    std::string params() const override;
    const PenaltyParams& settings() const { return params_; }
    // Count of `token` in the current window.
    int count(std::int32_t token) const;

private:
    void penalise(float& logit, int count) const;

    PenaltyParams params_;
    std::vector<std::int32_t> window_;   // ring buffer, capacity last_n
    std::size_t head_ = 0;               // next write position
    std::vector<int> counts_;            // counts_[id], grown on accept()
    std::vector<std::int32_t> distinct_; // scratch: distinct ids of the window
};

}  // namespace gpt2::sampling
