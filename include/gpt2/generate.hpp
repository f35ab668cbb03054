#pragma once
// The generation loop, as the CLI runs it: prompt ids -> prefill -> per step
// logits -> sampler chain -> token -> accept -> eval, with streaming output,
// stop conditions, per-token statistics and timing.
//
//   gpt2::Model model = gpt2::Model::load(dir);
//   gpt2::Tokenizer tok = gpt2::Tokenizer::from_dir(dir);
//   auto chain = gpt2::sampling::Chain::from_params(gpt2::sampling::preset("top_p_90").params);
//   gpt2::sampling::Rng rng(/*seed=*/42);
//   gpt2::GenerateOptions opt{.max_new_tokens = 64, .stop = {"\n\n"}};
//
//   gpt2::Prefill prompt = gpt2::prefill(model, tok.encode("In the beginning"));
//   gpt2::GenerateResult r = gpt2::generate(prompt, tok, chain, rng, opt,
//       [](const gpt2::TokenEvent& e) { std::fputs(e.text.c_str(), stdout); return true; });
//   // r.text, r.tokens, r.stop_reason, r.decode_tokens_per_s() ...
//   // Another run from the same prompt, without evaluating it again:
//   gpt2::sampling::Rng rng2(43);
//   auto r2 = gpt2::generate(prompt, tok, chain.clone_chain(), rng2, opt);
//
// The loop, step i (i = 0 .. max_new_tokens-1):
//   1. sample a token t from the current logits with the chain and rng;
//   2. if t is end-of-text (tok.eot_id(), 50256 for GPT-2) and stop_at_eot:
//      stop (t is not emitted, not appended to tokens);
//   3. chain.accept(t); append t's bytes to the text; report a TokenEvent;
//   4. stop if the text now contains a stop string (the text is cut where the
//      earliest match begins), if i + 1 == max_new_tokens, if the callback
//      returned false, or if the session is full (context limit);
//   5. eval(t) to get the next logits.
// The last token is never evaluated (no logits are needed after it), so a
// session of max_tokens positions can produce max_tokens - prompt + 1 tokens.
//
// Streaming text: TokenEvent::text holds what may be shown now: valid UTF-8
// only (a split character is held back until complete, invalid bytes become
// U+FFFD, see utf8_stream.hpp) and never the beginning of a possible stop
// string (held back until it is known not to complete one). The
// concatenation of every event's text is GenerateResult::text. When the
// loop ends without a stop string, what is still held back is delivered in
// one last event with index -1 and id -1 (no token; only `text` is set).
//
// Stop strings are matched on the raw decoded bytes of the generated text
// (not the prompt), across token boundaries.
//
// Ownership/threads: generate() forks the prefilled session (the Prefill is
// not modified, so it can seed any number of runs, one thread per run) and
// uses the chain and rng it is given: their state advances, and the chain's
// trace mode is set to options.trace. The callback is
// called synchronously; the views in a TokenEvent are valid during the call.
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gpt2/model.hpp"
#include "gpt2/sampling/chain.hpp"
#include "gpt2/sampling/rng.hpp"
#include "gpt2/sampling/stats.hpp"
#include "gpt2/session.hpp"
#include "gpt2/tokenizer.hpp"

namespace gpt2 {

// A prompt evaluated once: the session after it and its last logits.
struct Prefill {
    Session session;
    std::vector<std::int32_t> prompt;   // the prompt ids
    std::vector<float> logits;          // [vocab_size]: next-token logits after the prompt
    double seconds = 0.0;               // wall time of the prefill eval
    double tokens_per_s() const { return seconds > 0.0 ? static_cast<double>(prompt.size()) / seconds : 0.0; }
};

// Evaluates `prompt` in a new session. Throws gpt2::Error when the prompt is
// empty ("empty prompt"), holds an id outside the vocabulary, or is longer
// than the session (options.max_tokens, 0 = n_ctx) — the message gives the
// prompt length and the limit.
Prefill prefill(const Model& model, std::span<const std::int32_t> prompt, SessionOptions options = {});

enum class StopReason {
    kMaxTokens,    // produced max_new_tokens tokens
    kEndOfText,    // sampled end-of-text (stop_at_eot)
    kStopString,   // the text reached one of the stop strings
    kContext,      // the session is full
    kCallback,     // the callback returned false
};
// "max_tokens", "end_of_text", "stop_string", "context", "callback".
const char* stop_reason_name(StopReason reason);

struct GenerateOptions {
    int max_new_tokens = 128;          // >= 0; 0 produces nothing
    std::vector<std::string> stop;     // stop strings (non-empty), raw bytes
    bool stop_at_eot = true;           // stop at end-of-text instead of emitting it
    bool accept_prompt = true;         // feed the prompt to chain.accept() first (penalties' history)
    bool stats = false;                // fill TokenEvent::raw_stats/final_stats (a softmax + sort per token)
    bool trace = false;                // run the chain in trace mode (TokenEvent::trace)
    std::size_t trace_top_n = 10;      // candidates per stage in the trace
};

struct TokenEvent {
    int index = 0;                   // 0-based among generated tokens
    std::int32_t id = 0;
    std::string_view bytes;          // the token's own bytes (may be part of a character)
    std::string_view text;           // valid UTF-8 to show now (see above; may be empty)
    double p_raw = 0.0;              // probability under the model: softmax(logits)[id]
    std::size_t rank_raw = 0;        // 1 + #tokens with a larger logit
    double p_final = 0.0;            // probability in the distribution the chain drew from
    const sampling::DistStats* raw_stats = nullptr;     // with options.stats (else null)
    const sampling::DistStats* final_stats = nullptr;   // with options.stats (else null)
    const sampling::StepTrace* trace = nullptr;         // with options.trace (else null)
    std::span<const float> logits;   // the logits the token was drawn from [V]
};
// Return false to stop after this token (ignored for the final index -1 event).
using TokenCallback = std::function<bool(const TokenEvent&)>;

struct GenerateResult {
    std::vector<std::int32_t> tokens;   // generated ids (end-of-text excluded when it stopped)
    std::string text;                   // what was shown: concatenated TokenEvent::text
    StopReason stop_reason = StopReason::kMaxTokens;
    std::string stop_string;            // which stop string matched (kStopString)
    int prompt_tokens = 0;
    double prefill_seconds = 0.0;       // copied from the Prefill
    double decode_seconds = 0.0;        // the loop's wall time (sampling + evals), without options.stats' work
    int decode_evals = 0;               // eval() calls made by the loop
    // Per generated token, in order (always filled; cheap: one pass over V).
    std::vector<double> p_raw;
    std::vector<double> p_final;
    // Per generated token when options.stats (else empty).
    std::vector<sampling::DistStats> raw_stats;
    std::vector<sampling::DistStats> final_stats;

    double prefill_tokens_per_s() const {
        return prefill_seconds > 0.0 ? prompt_tokens / prefill_seconds : 0.0;
    }
    // Generated tokens per second of the loop (0 when nothing was generated).
    double decode_tokens_per_s() const {
        return decode_seconds > 0.0 ? static_cast<double>(tokens.size()) / decode_seconds : 0.0;
    }
};

// Runs the loop on a fork of prompt.session (see above). Throws gpt2::Error
// when max_new_tokens < 0 or a stop string is empty, and passes on the
// chain's errors (e.g. every token banned).
GenerateResult generate(const Prefill& prompt, const Tokenizer& tokenizer, sampling::Chain& chain,
                        sampling::Rng& rng, const GenerateOptions& options, const TokenCallback& on_token = {});
// The same with a chain taken by value (for chain.clone_chain()).
GenerateResult generate(const Prefill& prompt, const Tokenizer& tokenizer, sampling::Chain&& chain,
                        sampling::Rng& rng, const GenerateOptions& options, const TokenCallback& on_token = {});

}  // namespace gpt2
