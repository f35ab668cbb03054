#pragma once
// Statistics of a candidate distribution and the trace of one sampling step.
//
//   gpt2::sampling::StatsScratch scratch;   // keep it across tokens: no allocation per call
//   gpt2::sampling::DistStats s = gpt2::sampling::compute_stats(cand, scratch);
//   gpt2::sampling::DistStats r = gpt2::sampling::compute_stats(logits, scratch);   // raw logits, no copy
//   s.entropy_nats, s.perplexity, s.support, s.nucleus_90 ...
//
// Definitions (p = softmax of the live candidates' logits):
//   entropy_nats  H = −Σ p_i ln p_i (terms with p_i = 0 are 0)
//   entropy_bits  H / ln 2
//   perplexity    e^H: the "effective vocabulary" (n for uniform over n)
//   support       #{i : p_i > 0} (as computed in float)
//   top1_p        max p_i
//   nucleus_90/95 the smallest number of most probable tokens whose mass
//                 (summed in double, descending) reaches 0.90 / 0.95
// The chosen token's numbers: its probability in a distribution, and its
// rank there (1 + the number of candidates strictly more probable; 0 when it
// is not a candidate at all).
//
// Traces are plain structs (easy to print and to serialise; trace_to_json
// gives the JSON the CLI writes).
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "gpt2/sampling/candidates.hpp"

namespace gpt2::sampling {

struct DistStats {
    std::size_t size = 0;       // live candidates (including p = 0 ones)
    double entropy_nats = 0.0;
    double entropy_bits = 0.0;
    double perplexity = 1.0;
    std::size_t support = 0;
    double top1_p = 0.0;
    std::size_t nucleus_90 = 0;
    std::size_t nucleus_95 = 0;
};

// Working memory of compute_stats()/nucleus_size(): the probabilities, the
// 4096-bucket histogram (four interleaved integer sub-histograms, 128 KB, of
// which a call touches only the buckets its values fall in) and the values
// of the buckets holding the cuts. Grown on first use, then reused: callers
// that compute statistics per token keep one StatsScratch per thread.
// Contents between calls are meaningless, except that `histogram` is left
// all zero by every call (so no call pays for clearing 128 KB): do not write
// to it.
struct StatsScratch {
    std::vector<float> probs;
    std::vector<float> bucket;
    std::vector<float> bucket_second;
    std::vector<std::uint64_t> histogram;
};

// Statistics of `cand`, computed from its logits (so stale probabilities do
// not matter and `cand` is not modified). Expected O(n): one vectorised exp
// pass, no logarithm per candidate, and the nucleus sizes by a histogram
// and selection rather than sorting. Allocates nothing once `scratch` has
// grown. Throws gpt2::Error beyond 2^24 candidates.
DistStats compute_stats(const Candidates& cand, StatsScratch& scratch);
// Same with a temporary scratch (allocates; for one-off calls and tests).
DistStats compute_stats(const Candidates& cand);
// Statistics of a dense logits vector (every entry a live token; -inf
// allowed), the same numbers compute_stats gives after Candidates::load()
// of it, without the copy. Empty logits give DistStats{} (size 0). Throws
// gpt2::Error (like load()) when a logit is NaN or +inf or all are -inf.
DistStats compute_stats(std::span<const float> logits, StatsScratch& scratch);

// The entropy part of DistStats alone, for callers that need no nucleus
// sizes (compare averages the entropy of every step of nine strategies):
// the same bits as compute_stats()'s entropy_nats, entropy_bits and
// perplexity, from the same exp pass, without storing the probabilities and
// without the histogram passes (together about half of compute_stats).
// Allocates nothing; same errors as the compute_stats overloads.
struct EntropyStats {
    double entropy_nats = 0.0;
    double entropy_bits = 0.0;
    double perplexity = 1.0;
};
EntropyStats compute_entropy(const Candidates& cand);
EntropyStats compute_entropy(std::span<const float> logits);

// Smallest number of largest values of `probs` (finite, >= 0) summing
// (double, descending) to >= mass. Returns probs.size() if never reached.
// Throws gpt2::Error beyond 2^24 values.
std::size_t nucleus_size(std::span<const float> probs, double mass, StatsScratch& scratch);

// Probability and rank of `token` among `cand` (probs must be current).
struct TokenStats {
    double p = 0.0;
    std::size_t rank = 0;     // 1 = most probable; 0 = not a candidate
    bool present = false;
};
TokenStats token_stats(const Candidates& cand, std::int32_t token);

// One candidate line of a trace.
struct TraceEntry {
    std::int32_t id = 0;
    float logit = 0.0f;
    float p = 0.0f;
};

// What one stage did in one step.
struct StageTrace {
    std::string name;            // "top_k"
    std::string params;          // "k=40"
    DistStats before;            // distribution handed to the stage
    DistStats after;             // distribution it handed on
    std::vector<TraceEntry> top_before;   // top N by probability, before
    std::vector<TraceEntry> top_after;    // top N by probability, after
    TokenStats chosen_before;    // the finally chosen token, before this stage
    TokenStats chosen_after;     // ... and after it
};

// One sampling step through a chain.
struct StepTrace {
    std::int32_t chosen = -1;
    DistStats raw;               // what the model thinks: softmax of the input logits
    DistStats final;             // what is actually sampled: after the last stage
    TokenStats chosen_raw;       // chosen token in the raw distribution
    TokenStats chosen_final;     // chosen token in the final distribution
    std::vector<StageTrace> stages;
};

// JSON text of a trace (one object; keys as the field names above).
std::string trace_to_json(const StepTrace& trace);

}  // namespace gpt2::sampling
