#pragma once
// A STREAM-like read-bandwidth probe shared by the benchmarks: sums a buffer
// far larger than the caches with the project's thread pool, each thread
// streaming its own contiguous share (as the decode kernels stream their
// columns of the weights). Bytes read per second is the roofline for a
// memory-bound decode step measured on the same machine in the same run.
// The buffer sits in huge pages, like the weights decode streams
// (huge_pages.hpp): on 4 KB pages one Zen 4 core read 15-20% less.
#include <cstdint>
#include <vector>

#include "huge_pages.hpp"
#include "kernels/simd.hpp"
#include "thread_pool.hpp"

namespace gpt2::bench {

// 512 MiB: ≫ any L3 on the machines we run on, < 1/40 of their RAM.
inline constexpr std::int64_t kBandwidthBufferFloats = std::int64_t{128} << 20;

using BandwidthBuffer = std::vector<float, HugePageAllocator<float>>;

inline BandwidthBuffer& bandwidth_buffer() {
    static BandwidthBuffer buf = [] {
        BandwidthBuffer b(static_cast<std::size_t>(kBandwidthBufferFloats));
        for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<float>(i & 1023) * 1e-3f;
        return b;
    }();
    return buf;
}

// Sums buf with 4 independent vector accumulators per thread (enough
// loads in flight to saturate the memory system, no FMA-latency bound).
// Returns the total (so the compiler cannot drop the reads).
inline float read_all(const BandwidthBuffer& buf, ThreadPool& pool) {
    using kernels::simd::Vec;
    constexpr std::int64_t kStep = 4 * Vec::kWidth;
    const std::int64_t n = static_cast<std::int64_t>(buf.size()) / kStep * kStep;
    std::vector<float> partial(static_cast<std::size_t>(pool.size()), 0.0f);
    pool.parallel_for(n, 4096, [&](std::int64_t b, std::int64_t e, int thread) {
        Vec a0 = Vec::zero(), a1 = Vec::zero(), a2 = Vec::zero(), a3 = Vec::zero();
        const float* p = buf.data();
        for (std::int64_t i = b; i + kStep <= e; i += kStep) {
            a0 = a0 + Vec::load(p + i);
            a1 = a1 + Vec::load(p + i + Vec::kWidth);
            a2 = a2 + Vec::load(p + i + 2 * Vec::kWidth);
            a3 = a3 + Vec::load(p + i + 3 * Vec::kWidth);
        }
        partial[static_cast<std::size_t>(thread)] = reduce_add((a0 + a1) + (a2 + a3));
    });
    float s = 0.0f;
    for (float v : partial) s += v;
    return s;
}

}  // namespace gpt2::bench
