#pragma once
// Deterministic random numbers for sampling.
//
//   gpt2::sampling::Rng rng(/*seed=*/42, /*stream=*/3);   // strategy #3 of `compare`
//   double u = rng.uniform();                              // in [0, 1)
//
// Why not <random>'s distributions: std::uniform_real_distribution and
// std::discrete_distribution are implementation-defined, so libstdc++ and
// libc++ give different draws for one seed. std::mt19937_64 itself is fully
// specified by the standard (including seed(uint64)), so we take its 64 raw
// bits and keep the top 53: u = (x >> 11) * 2^-53, exactly representable,
// uniform on the 2^53 grid of [0, 1).
//
// Streams: one user seed feeds many independent consumers (each strategy of
// `compare`, each --repeat run). Stream s of seed S seeds the engine with
// stream_seed(S, s) = splitmix64(splitmix64(S) ^ splitmix64(~s)); splitmix64 is
// a bijection with good avalanche, so distinct streams of one seed start from
// distinct engine seeds and adding a consumer never changes another's draws.
//
// Ownership/threads: an Rng is a small value (the engine state, ~2.5 KB);
// copy it to fork a stream's exact state. Not thread-safe: one owner.
#include <cstdint>
#include <random>

namespace gpt2::sampling {

// Steele/Lea/Flood's splitmix64 finaliser (the mixing step of SplitMix64).
std::uint64_t splitmix64(std::uint64_t x);

// The engine seed of stream `stream` of user seed `seed` (see above).
std::uint64_t stream_seed(std::uint64_t seed, std::uint64_t stream);

class Rng {
public:
    explicit Rng(std::uint64_t seed = 0, std::uint64_t stream = 0);

    // 64 raw engine bits.
    std::uint64_t next_u64() { return engine_(); }
    // Uniform double in [0, 1): top 53 bits of one engine output.
    double uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

    // A fresh generator for another stream of the same user seed.
    Rng stream(std::uint64_t stream) const { return Rng(seed_, stream); }

    std::uint64_t seed() const { return seed_; }
    std::uint64_t stream_id() const { return stream_; }

private:
    std::uint64_t seed_;
    std::uint64_t stream_;
    std::mt19937_64 engine_;
};

}  // namespace gpt2::sampling
