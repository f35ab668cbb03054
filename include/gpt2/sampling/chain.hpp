#pragma once
// A chain of sampling stages; itself a Sampler.
//
//   #include "gpt2/sampling.hpp"
//   namespace gs = gpt2::sampling;
//
//   // From options (what the CLI does): parameters + an order spec.
//   gs::SamplingParams params;                       // llama.cpp-like defaults
//   params.temperature = 0.7f; params.top_k = 20;
//   params.order = "penalties,top_k,top_p,min_p,temperature,dist";
//   gs::Chain chain = gs::Chain::from_params(params);
//   // ... or from a preset: gs::Chain::from_params(gs::preset("nucleus").params)
//   // ... or by hand:
//   gs::Chain c2;
//   c2.add(std::make_unique<gs::TopK>(40)).add(std::make_unique<gs::Temperature>(0.8f))
//     .add(std::make_unique<gs::Dist>());
//
//   gs::Rng rng(/*seed=*/42, /*stream=*/0);
//   chain.set_trace(true, /*top_n=*/10);              // optional: --show-steps
//   std::int32_t next = chain.sample(logits, rng);     // logits: span<const float> [V]
//   chain.accept(next);                                // feeds penalties' history
//   const gs::StepTrace& t = chain.last_trace();       // per-stage stats, top-N
//   std::string json = gs::trace_to_json(t);
//
// Order: stages run in the given order; the last one must select (dist,
// greedy, mirostat) and no selecting stage may come earlier. from_spec()
// appends "dist" when the spec does not end with a selecting stage.
//
// Ownership/threads: a Chain owns its stages (unique_ptr) and a Candidates
// buffer reused across sample() calls (no per-token allocation after the
// first). Not thread-safe; clone() gives an independent copy (stages' state
// included). Trace mode costs a softmax, a statistics pass and a copy of the
// candidates per stage; it is off by default and free when off.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gpt2/sampling/candidates.hpp"
#include "gpt2/sampling/params.hpp"
#include "gpt2/sampling/sampler.hpp"
#include "gpt2/sampling/stats.hpp"

namespace gpt2::sampling {

class Chain final : public Sampler {
public:
    Chain() = default;
    Chain(Chain&&) noexcept = default;
    Chain& operator=(Chain&&) noexcept = default;
    Chain(const Chain&) = delete;              // use clone(): stages are owned
    Chain& operator=(const Chain&) = delete;

    // Builds the stages named in params.order with params' settings.
    // Throws gpt2::Error on an unknown or empty stage name (listing the valid
    // ones), a selecting stage before the end, or an invalid parameter.
    static Chain from_params(const SamplingParams& params);
    // Same, with `spec` as the order ("top_k,top_p,temperature").
    static Chain from_spec(std::string_view spec, const SamplingParams& params = {});
    // The stage names from_spec() understands, in documentation order.
    static std::vector<std::string> stage_names();

    // Appends a stage (takes ownership). Throws gpt2::Error if the chain
    // already ends with a selecting stage or `stage` is null.
    Chain& add(std::unique_ptr<Sampler> stage);

    // Runs every stage on `cand`. Requires a non-empty chain ending with a
    // selecting stage (gpt2::Error otherwise).
    void apply(Candidates& cand, Rng& rng) override;
    void accept(std::int32_t token) override;
    void reset() override;
    std::unique_ptr<Sampler> clone() const override;
    Chain clone_chain() const;
    std::string name() const override { return "chain"; }
    // "top_k(k=40) → temperature(t=0.8) → dist"
    std::string params() const override;
    bool selects() const override;

    // load(logits) into the chain's own buffer, apply, return the chosen id.
    // Does not call accept(): the caller decides what was emitted.
    std::int32_t sample(std::span<const float> logits, Rng& rng);
    // The buffer sample() used (the final candidates of the last step).
    const Candidates& candidates() const { return cand_; }

    // Trace mode: record, per stage, statistics and the top `top_n`
    // candidates before and after; see StepTrace in stats.hpp.
    void set_trace(bool enabled, std::size_t top_n = 10);
    bool trace_enabled() const { return trace_; }
    // The trace of the last apply()/sample() in trace mode (empty otherwise).
    const StepTrace& last_trace() const { return trace_data_; }

    std::size_t size() const { return stages_.size(); }
    const Sampler& stage(std::size_t i) const { return *stages_.at(i); }

private:
    void apply_traced(Candidates& cand, Rng& rng);

    std::vector<std::unique_ptr<Sampler>> stages_;
    Candidates cand_;
    bool trace_ = false;
    std::size_t trace_top_n_ = 10;
    StepTrace trace_data_;
    std::vector<Candidates> snapshots_;   // trace mode: candidates after each stage
    StatsScratch stats_scratch_;
};

}  // namespace gpt2::sampling
