#pragma once
// Batched decode: one new token for each of B sessions of the same model, in
// one forward pass. Every weight matrix is then read once per step for all B
// sequences (a [B, C] × [C, N] matrix-matrix product) instead of once per
// sequence (B matrix-vector products), which is what makes decoding several
// continuations of one prompt (forks, sampling strategies, runs) cheaper
// than decoding them one after the other.
//
//   gpt2::Session a(model), b = ...;                        // same model, any positions
//   gpt2::BatchDecoder decoder(model, /*n_threads=*/2);
//   std::array<gpt2::Session*, 2> sessions{&a, &b};
//   std::array<std::int32_t, 2> ids{id_a, id_b};
//   std::span<const float> logits = decoder.eval(sessions, ids);   // [2, V]
//   // row 0 == the bits a.eval({{id_a}}) would have returned; row 1 likewise for b
//
// Exactness: row b is bit-identical to what sessions[b]->eval({{tokens[b]}})
// would return, whatever B, the other sessions, their positions, the thread
// count and the weight format: position-wise kernels give a row the same bits
// whatever the other rows are, and attention runs per session against its
// own cache (docs/architecture.md, "Batched decode"). tests/test_batch.cpp
// checks it bit for bit.
//
// Effect on the sessions: each sessions[b] gets tokens[b] appended exactly as
// by its own eval() — its cache row and position advance by one, its
// activation observer (if any) sees its own row of every activation — except
// that its own logits buffer (the span its last eval() returned) is left
// untouched; the new logits are the decoder's.
//
// Ownership/threads: the decoder owns its thread pool, scratch and logits
// buffer; the sessions' own thread pools are not used. It keeps a reference
// to the model (which must outlive it) and none to the sessions. One caller
// at a time, and the sessions must not be used by anyone else during eval().
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>

#include "gpt2/model.hpp"
#include "gpt2/session.hpp"

namespace gpt2 {

class BatchDecoder {
public:
    // n_threads: 0 = the number of hardware threads (as SessionOptions);
    // negative → gpt2::Error.
    explicit BatchDecoder(const Model& model, int n_threads = 0);
    BatchDecoder(BatchDecoder&&) noexcept;
    BatchDecoder& operator=(BatchDecoder&&) noexcept;
    BatchDecoder(const BatchDecoder&) = delete;
    BatchDecoder& operator=(const BatchDecoder&) = delete;
    ~BatchDecoder();

    // Appends tokens[b] to *sessions[b] for every b and returns the logits,
    // row-major [B, vocab_size], row b for sessions[b]; valid until the next
    // eval() on this decoder. Throws gpt2::Error, changing nothing, when the
    // batch is empty, sessions and tokens differ in length, a pointer is
    // null, a session belongs to another model or appears twice, a session is
    // full (position == max_tokens) or a token id is outside [0, vocab_size).
    std::span<const float> eval(std::span<Session* const> sessions, std::span<const std::int32_t> tokens);

    // Calls fn(i, slot) once for every i in [0, n) on the decoder's threads
    // (the caller's included), and returns when all calls have returned: for
    // the per-sequence work between two eval()s, sampling the next tokens,
    // which would otherwise run on one thread while the others wait. Items
    // are claimed one at a time, in no fixed order, so uneven items balance.
    // slot ∈ [0, n_threads()) names the thread's share: no two calls with the
    // same slot run at once, so per-slot scratch needs no lock. fn must be
    // safe to run concurrently for different i; the order of the calls must
    // not matter to the results. If calls throw, the first exception (in
    // time) is rethrown here after all started calls have returned; the
    // items not yet claimed are then skipped.
    void parallel_for_each(std::size_t n, const std::function<void(std::size_t i, int slot)>& fn);

    int n_threads() const;
    const Model& model() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace gpt2
