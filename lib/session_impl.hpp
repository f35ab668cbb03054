#pragma once
// Session's state (the pimpl of include/gpt2/session.hpp), shared by the two
// translation units that drive a session's forward pass: lib/session.cpp
// (eval) and lib/batch.cpp (BatchDecoder, which appends one row to several
// sessions' caches in one pass). Internal to the library.
#include <cstdint>
#include <span>
#include <vector>

#include "forward.hpp"
#include "gpt2/session.hpp"
#include "kv_cache.hpp"
#include "thread_pool.hpp"

namespace gpt2 {

struct Session::Impl {
    const Model* model;
    int max_tokens;
    int position = 0;
    ThreadPool pool;
    KvCache cache;
    forward::Scratch scratch;
    std::vector<float> logits;
    ActivationObserver observer;

    Impl(const Model& m, int max_tok, int n_threads, KvDtype kv_dtype)
        : model(&m), max_tokens(max_tok), pool(n_threads),
          cache(m.config().n_layer, max_tok, m.config().n_head, m.config().head_dim(), kv_dtype) {}

    // Throws gpt2::Error for an empty batch, a batch past max_tokens or an id
    // outside the vocabulary.
    void check_batch(std::span<const std::int32_t> tokens) const;
    std::span<const float> eval(std::span<const std::int32_t> tokens, forward::Logits which);
    // The observer as forward::Sequence wants it: null when none is set.
    const ActivationObserver* observer_or_null() const { return observer ? &observer : nullptr; }
};

}  // namespace gpt2
