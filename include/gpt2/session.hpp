#pragma once
// A decoding session: the mutable half of inference (KV cache, scratch,
// position, thread pool). The Model is shared and const; each Session is
// owned by one caller and used from one thread at a time.
//
//   gpt2::Session s(model, {.max_tokens = 512});
//   std::span<const float> logits = s.eval(prompt_ids);   // prefill → last position's logits [V]
//   logits = s.eval({{next_id}});                          // one decode step
//   gpt2::Session branch = s.fork();                       // explicit copy of the cache
//
// Context limit: a Session holds at most max_tokens positions (≤ n_ctx);
// eval() that would go past it throws gpt2::Error naming the limit and
// changes nothing. (No sliding window: GPT-2's learned position embeddings
// stop at n_ctx, so anything past it would be a different model.)
//
// Determinism: logits depend only on the model and the token sequence, not
// on the thread count, nor on how the sequence was split into eval() calls
// (prefill at once, in chunks or token by token give the same bits), nor on
// fork/rewind history.
//
// Cost: a decode step reads every weight once plus O(position) of cache per
// layer. Memory: 2 · n_layer · max_tokens · n_embd values of KV cache (4 or
// 2 bytes each, see KvDtype; touched only as positions are filled) +
// scratch for up to 256 positions.
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "gpt2/model.hpp"

namespace gpt2 {

// The element type of the KV cache.
//   kF32: exact; the logits match the reference implementation.
//   kF16: IEEE binary16, each key and value rounded to nearest when
//         written: half the memory, and half the bytes a decode step reads
//         at long contexts (llama.cpp's default). Attention then computes
//         in F32 on the widened values: the logits are exactly those of an
//         F32 cache holding the rounded values, and every determinism
//         guarantee below holds (docs/architecture.md, "KV cache").
enum class KvDtype { kF32, kF16 };

struct SessionOptions {
    int max_tokens = 0;   // KV-cache capacity; 0 = the model's n_ctx
    int n_threads = 0;    // 0 = the number of hardware threads
    KvDtype kv_dtype = KvDtype::kF32;
};

// A named intermediate activation, rows [pos0, pos0 + T) of a [T, width]
// tensor. Names, in order of a forward pass:
//   "embedding"                                   layer -1: wte[id] + wpe[pos]
//   per block (layer 0 .. n_layer-1): "ln_1", "qkv", "attention", "attn_proj",
//   "residual_attn" (x after the attention residual), "ln_2", "mlp_gelu",
//   "mlp_proj", "block_out" (x after the block: the residual stream)
//   "ln_f", "logits"                              layer n_layer
// "ln_f" and "logits" cover only the rows whose logits are computed (the
// last position for eval(), all for eval_all()).
struct Activation {
    std::string_view name;
    int layer;
    int pos0;
    int T;
    int width;
    std::span<const float> data;   // [T, width], valid during the call only
};
// Called synchronously from eval()/eval_all(); null (the default) costs nothing.
using ActivationObserver = std::function<void(const Activation&)>;

class BatchDecoder;   // gpt2/batch.hpp: one decode step for several sessions

class Session {
public:
    // Allocates the KV cache for options.max_tokens positions. Throws
    // gpt2::Error when max_tokens is negative or above n_ctx, or n_threads is
    // negative. The model must outlive the session.
    explicit Session(const Model& model, SessionOptions options = {});
    Session(Session&&) noexcept;
    Session& operator=(Session&&) noexcept;
    Session(const Session&) = delete;             // use fork(): copying a cache is not free
    Session& operator=(const Session&) = delete;
    ~Session();

    // Appends `tokens` at the current position and returns the logits of the
    // last new position ([vocab_size]). The span stays valid until the next
    // call on this session. Throws gpt2::Error on an empty batch, a token id
    // outside [0, vocab_size) or going past max_tokens (then nothing changes).
    std::span<const float> eval(std::span<const std::int32_t> tokens);
    // As eval(), but returns every new position's logits, row-major
    // [tokens.size(), vocab_size].
    std::span<const float> eval_all(std::span<const std::int32_t> tokens);

    // Forgets positions ≥ n (0 ≤ n ≤ position(), else gpt2::Error).
    void rewind(int n);
    // A deep copy: the same model, thread count, observer, cache contents and
    // position; the copy has its own thread pool.
    Session fork() const;

    // Installs (or, with an empty function, removes) the activation observer.
    void set_observer(ActivationObserver observer);

    int position() const;
    int max_tokens() const;
    int n_threads() const;
    KvDtype kv_dtype() const;
    const Model& model() const;

private:
    friend class BatchDecoder;   // appends to the cache and position, as eval() does
    struct Impl;
    explicit Session(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace gpt2
