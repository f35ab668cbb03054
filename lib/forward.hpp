#pragma once
// The GPT-2 forward pass (Radford et al. 2019: the GPT architecture with
// pre-LayerNorm blocks and a final LayerNorm), orchestrating the kernels of
// lib/kernels/. Internal to the library; Session and BatchDecoder are the
// public faces.
//
//   x = wte[ids] + wpe[positions]                              [T, C]
//   for each block:  x += attn(ln_1(x));  x += mlp(ln_2(x))
//   logits = ln_f(x) · wteᵀ                                     [T, V]
//
// One pass evaluates the rows of one or more sequences: a sequence is a run
// of consecutive rows that continue one KV cache (a Session's prefill or
// decode step is one sequence of T rows; a batched decode step is B
// sequences of one row each). Every position-wise operation (LayerNorm, the
// matrix products, GELU, residuals) runs over all T rows at once — one
// matrix-matrix product per weight — and only attention is per sequence,
// against that sequence's own cache and positions. The kernels give every
// row the same bits whatever the other rows are (lib/kernels/*.hpp), so a
// row's result does not depend on how rows are grouped into passes.
#include <cstdint>
#include <span>
#include <vector>

#include "gpt2/config.hpp"
#include "gpt2/session.hpp"
#include "gpt2/weights.hpp"
#include "kv_cache.hpp"

namespace gpt2 {

class ThreadPool;

namespace forward {

// Rows per forward pass at most (Session chunks longer prompts, BatchDecoder
// larger batches): bounds the scratch memory (≈ 11·C floats per row: 8.6 MB
// for C = 768) without costing speed (a 256-row pass already reuses each
// weight panel 256 times from cache). The kernels make chunking exact: a
// row's result does not depend on the pass it is in.
inline constexpr int kMaxRows = 256;

// Activations of one pass of T rows, reused across calls (grown, never
// shrunk). Shapes for T rows: x, ln, att, proj [T, C]; qkv [T, 3C];
// fc [T, 4C].
struct Scratch {
    std::vector<float> x, ln, qkv, att, proj, fc;
    std::vector<float> distinct_logits;   // kernels::tied_logits' products over wte's distinct rows
    void reserve_rows(int T, int C);
};

// Which rows get logits: the last row of every sequence, or every row.
enum class Logits { kLastRow, kAllRows };

// Everything a pass reads or writes besides the tokens and the caches.
struct Context {
    const Config& config;
    const Weights& weights;
    Scratch& scratch;
    ThreadPool& pool;
};

// `T` consecutive rows of a pass holding positions [pos0, pos0 + T) of the
// sequence whose keys and values are in `cache`. `observer` (null or empty:
// no reporting) receives this sequence's rows of every activation.
struct Sequence {
    KvCache* cache;
    int pos0;
    int T;
    const ActivationObserver* observer;
};

// Runs the sequences' rows (ids: [Σ T], in sequence order), appending their
// keys and values to each sequence's cache, and writes logits: kLastRow:
// [n_sequences, V], row i the last row of sequence i; kAllRows: [Σ T, V].
// Preconditions (checked by Session / BatchDecoder): at least one sequence,
// each with 1 ≤ T and pos0 + T ≤ cache->max_tokens(); no cache twice; ids
// in [0, V).
void run(const Context& ctx, const std::int32_t* ids, std::span<const Sequence> sequences, Logits which,
         float* logits);

}  // namespace forward
}  // namespace gpt2
