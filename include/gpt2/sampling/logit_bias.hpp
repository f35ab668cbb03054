#pragma once
// logit_bias ("hot token boost"): z_t ← z_t + b_t for the listed token ids;
// b_t = −inf bans t. Text forms like `--boost " ch=2.3"` are resolved to ids
// by the caller (the CLI, with the tokenizer); this stage only takes
// (id, bias) pairs. A repeated id sums its biases.
// Valid: id ≥ 0; bias finite or −inf (+inf and NaN are errors). An id that is
// not in the vocabulary is an error at apply() time (the vocabulary size is
// only known then). If the biases ban every candidate, the selecting stage
// throws gpt2::Error.
#include <cstdint>
#include <utility>
#include <vector>

#include "gpt2/sampling/sampler.hpp"

namespace gpt2::sampling {

class LogitBias final : public Sampler {
public:
    explicit LogitBias(std::vector<std::pair<std::int32_t, float>> biases);
    void apply(Candidates& cand, Rng& rng) override;
    std::unique_ptr<Sampler> clone() const override { return std::make_unique<LogitBias>(*this); }
    std::string name() const override { return "logit_bias"; }
    std::string params() const override;
    const std::vector<std::pair<std::int32_t, float>>& biases() const { return biases_; }

private:
    std::vector<std::pair<std::int32_t, float>> biases_;   // merged, sorted by id
    std::vector<float> by_id_;                              // dense table, [max id + 1]
};

}  // namespace gpt2::sampling
