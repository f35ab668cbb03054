#pragma once
// A decoding session: the mutable half of inference (KV cache, scratch,
// position). The Model is shared and const; each Session is owned by one
// caller and used from one thread at a time.
//
//   gpt2::Session s(model, 512);
//   std::span<const float> logits = s.eval(prompt_ids);   // prefill → last position's logits [V]
//   logits = s.eval({{next_id}});                          // one decode step
//   gpt2::Session branch = s.fork();                       // explicit copy of the cache
//
// Context limit: a Session holds at most max_tokens positions (≤ n_ctx);
// eval() that would go past it throws gpt2::Error naming the limit and
// changes nothing.
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "gpt2/model.hpp"

namespace gpt2 {

struct SessionOptions {
    int max_tokens = 0;   // KV-cache capacity; 0 = the model's n_ctx
    int n_threads = 0;    // 0 = the number of hardware threads
};

class Session {
public:
    Session(const Model& model, SessionOptions options = {});
    Session(Session&&) noexcept;
    Session& operator=(Session&&) noexcept;
    Session(const Session&) = delete;             // use fork(): copying a cache is not free
    Session& operator=(const Session&) = delete;
    ~Session();

    // Appends `tokens` at the current position and returns the logits of the
    // last new position ([vocab_size]). The span stays valid until the next
    // call on this session. Throws gpt2::Error on an empty batch, a token id
    // outside [0, vocab_size) or going past max_tokens.
    std::span<const float> eval(std::span<const std::int32_t> tokens);
    // As eval(), but returns every new position's logits, row-major
    // [tokens.size(), vocab_size].
    std::span<const float> eval_all(std::span<const std::int32_t> tokens);

    // Forgets positions ≥ n (0 ≤ n ≤ position()).
    void rewind(int n);
    // A deep copy: the same model, cache contents and position.
    Session fork() const;

    int position() const;
    int max_tokens() const;
    const Model& model() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace gpt2
