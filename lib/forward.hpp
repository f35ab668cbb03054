#pragma once
// The GPT-2 forward pass (Radford et al. 2019: the GPT architecture with
// pre-LayerNorm blocks and a final LayerNorm), orchestrating the kernels of
// lib/kernels/. Internal to the library; Session is the public face.
//
//   x = wte[ids] + wpe[pos0 .. pos0+T)                         [T, C]
//   for each block:  x += attn(ln_1(x));  x += mlp(ln_2(x))
//   logits = ln_f(x) · wteᵀ                                     [T, V]
#include <cstdint>
#include <vector>

#include "gpt2/config.hpp"
#include "gpt2/session.hpp"
#include "gpt2/weights.hpp"
#include "kv_cache.hpp"

namespace gpt2 {

class ThreadPool;

namespace forward {

// Activations of one chunk of T positions, reused across calls (grown, never
// shrunk). Shapes for T rows: x, ln, att, proj [T, C]; qkv [T, 3C];
// fc [T, 4C]; last [1, C].
struct Scratch {
    std::vector<float> x, ln, qkv, att, proj, fc;
    void reserve_rows(int T, int C);
};

// Which rows get logits.
enum class Logits { kLastRow, kAllRows };

// Everything a pass reads or writes besides the tokens.
struct Context {
    const Config& config;
    const Weights& weights;
    KvCache& cache;
    Scratch& scratch;
    ThreadPool& pool;
    const ActivationObserver* observer;   // null or empty: no reporting
};

// Runs positions [pos0, pos0 + T) (ids: [T]), appending their keys and values
// to the cache, and writes logits: [V] for kLastRow, [T, V] for kAllRows.
// Preconditions (checked by Session): 1 ≤ T, pos0 + T ≤ cache.max_tokens(),
// ids in [0, V).
void run(const Context& ctx, const std::int32_t* ids, int T, int pos0, Logits which, float* logits);

}  // namespace forward
}  // namespace gpt2
