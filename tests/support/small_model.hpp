#pragma once
// The small random model several tests decode with: 2 layers, 4 heads,
// 64-wide, a made-up vocabulary of `vocab` tokens (the last one is BOS/EOS),
// weights from `seed`. Small enough to run many steps in a unit test, big
// enough to have several heads and layers.
#include <cstdint>

#include "gpt2/random_model.hpp"

namespace gpt2::test {

inline RandomModelSpec small_model_spec(int n_ctx, int vocab, std::uint64_t seed) {
    RandomModelSpec spec;
    spec.config.n_layer = 2;
    spec.config.n_head = 4;
    spec.config.n_embd = 64;
    spec.config.n_ctx = n_ctx;
    spec.config.vocab_size = vocab;
    spec.config.bos_token_id = spec.config.eos_token_id = vocab - 1;
    spec.seed = seed;
    return spec;
}

}  // namespace gpt2::test
