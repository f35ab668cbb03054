#include "gpt2/sampling/rng.hpp"

namespace gpt2::sampling {

std::uint64_t splitmix64(std::uint64_t x) {
    // SplitMix64 (Steele, Lea, Flood 2014): add the golden-ratio increment,
    // then the variant-13 finaliser. A bijection on 64-bit values.
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

std::uint64_t stream_seed(std::uint64_t seed, std::uint64_t stream) {
    // For a fixed seed, stream ↦ splitmix64(~stream) is a bijection and so is
    // the xor with a constant and the outer mix: distinct streams, distinct seeds.
    return splitmix64(splitmix64(seed) ^ splitmix64(~stream));
}

Rng::Rng(std::uint64_t seed, std::uint64_t stream)
    : seed_(seed), stream_(stream), engine_(stream_seed(seed, stream)) {}

}  // namespace gpt2::sampling
