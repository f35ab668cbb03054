#pragma once
// The chosen token under the model's own distribution (softmax of the raw
// logits, temperature 1): probability, ln p and rank. generate() reports it
// per token (TokenEvent::p_raw, rank_raw) and compare averages ln p (logp);
// both call this one function, so their figures agree to the last bit.
//
//   const RawChoice rc = raw_choice(logits, id, cand.input_max());
//
// How: ln p = (z_id − m) − ln S with S = Σ exp(z_i − m), m the max. One
// vectorised pass (sampling/exp_pass.hpp) computes S (the sampler's 8-lane
// float exp, summed in double lanes) and the rank count; no exp per
// candidate in double, one logarithm in all. Error against a double-exp
// reference: |Δ ln p| ≤ 1e-6 (≈ 2 ulp of float exp per term; tested on
// peaked, flat, tied and -inf logits in test_sampling_raw_choice).
//
// Thread-safety: a pure function.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>

#include "gpt2/sampling/candidates.hpp"
#include "gpt2/sampling/stats.hpp"

namespace gpt2::sampling {

struct RawChoice {
    double p = 0.0;         // softmax(logits)[id]
    double logp = 0.0;      // ln p (-inf when logits[id] is -inf)
    std::size_t rank = 0;   // 1 + #{j : logits[j] > logits[id]}
};

// `logits` non-empty without NaN/+inf (what Candidates::load() accepts), `id`
// a valid index. `max`: max(logits) when the caller already has it (e.g.
// Candidates::input_max() of the same logits); NaN means compute it.
RawChoice raw_choice(std::span<const float> logits, std::int32_t id,
                     float max = std::numeric_limits<float>::quiet_NaN());

// raw_choice() without the rank (choice.rank is 0) and compute_entropy(logits)
// of the same logits, from one exp pass: compare needs both for every token
// of every strategy. The same bits as the two calls, since all of them sum
// through sampling/exp_pass.hpp. Same preconditions as raw_choice (the
// logits already checked, as by Candidates::load(); compute_entropy would
// check them again).
struct RawChoiceEntropy {
    RawChoice choice;
    EntropyStats entropy;
};
// Without the rank, the exp pass does not depend on the chosen token, so
// when the lane's chain already made it (`raw`: Candidates::loaded_exp_sums() of
// these logits, a compute_probs() over the candidates as loaded, as top-p
// and a temperature-1 lane do) nothing is read but logits[id]; otherwise
// one pass, with the same bits either way.
RawChoiceEntropy raw_p_with_entropy(std::span<const float> logits, std::int32_t id, float max,
                                    const Candidates::ExpSums* raw);

}  // namespace gpt2::sampling
