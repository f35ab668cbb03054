#pragma once
// The abstract sampling stage. A stage is a small object that transforms the
// candidates (filter, reshape logits) or selects a token (greedy, dist,
// mirostat). A Chain of stages is itself a Sampler.
//
//   class MyStage final : public gpt2::sampling::Sampler {
//       void apply(Candidates& c, Rng&) override { ...; c.mark_logits_changed(); }
//       std::unique_ptr<Sampler> clone() const override { return std::make_unique<MyStage>(*this); }
//       std::string name() const override { return "my_stage"; }
//   };
//
// Contract for apply(): keep the Candidates flags honest (see candidates.hpp);
// a filter keeps at least one candidate; a selecting stage sets
// Candidates::selected to a live candidate's id. Parameters are validated in
// constructors (gpt2::Error naming the parameter, its allowed range and the
// value; never a silent clamp); apply() itself checks nothing in the hot path
// beyond what its input can make impossible (e.g. everything banned).
//
// Ownership/threads: stages with memory (penalties, mirostat) keep it inside
// the object; clone() copies it. One thread per stage object; clone() to use
// the same configuration elsewhere.
#include <cstdint>
#include <memory>
#include <string>

#include "gpt2/sampling/candidates.hpp"
#include "gpt2/sampling/rng.hpp"

namespace gpt2::sampling {

class Sampler {
public:
    virtual ~Sampler() = default;

    // Transforms `cand` in place; may draw from `rng`.
    virtual void apply(Candidates& cand, Rng& rng) = 0;
    // Tells a stateful stage which token was finally chosen (or fed as
    // prompt). Default: nothing.
    virtual void accept(std::int32_t /*token*/) {}
    // Forgets any state (history, mirostat's mu). Default: nothing.
    virtual void reset() {}
    // A deep copy with the same parameters and state.
    virtual std::unique_ptr<Sampler> clone() const = 0;
    // Stable identifier, as written in a chain spec ("top_k").
    virtual std::string name() const = 0;
    // Parameters for display, e.g. "k=40" ("" when none).
    virtual std::string params() const { return {}; }
    // True when apply() sets Candidates::selected (must end a chain).
    virtual bool selects() const { return false; }
};

}  // namespace gpt2::sampling
