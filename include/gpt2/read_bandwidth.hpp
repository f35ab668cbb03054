#pragma once
// A STREAM-like read-bandwidth probe: the ceiling ("roofline") of a decode
// step, which reads every weight once. It sums a buffer far larger than the
// caches with n threads of the project's pool, each thread streaming its
// own contiguous share, as the decode kernels stream their columns of the
// weights; the buffer sits in huge pages, like the weights decode reads
// (LoadOptions::huge_page_copies).
//
//   gpt2::ReadBandwidthProbe probe(2);
//   double ceiling = probe.best_gb_per_s();                // 10^9 bytes/s
//   double fraction = decode_bytes * tokens_per_s / 1e9 / ceiling;
//
// Not thread-safe: one caller at a time. Movable, not copyable.
#include <cstdint>
#include <memory>

namespace gpt2 {

class ReadBandwidthProbe {
public:
    // 512 MiB: far larger than any L3 of the machines we run on.
    static constexpr std::int64_t kDefaultBytes = std::int64_t{512} << 20;

    // Allocates and fills `bytes` (rounded down to whole floats; at least
    // one 4 KB page) and starts n_threads workers (≤ 0: hardware
    // concurrency). Throws gpt2::Error for a size below 4 KB and
    // std::bad_alloc when the memory is not there.
    explicit ReadBandwidthProbe(int n_threads, std::int64_t bytes = kDefaultBytes);
    ReadBandwidthProbe(ReadBandwidthProbe&&) noexcept;
    ReadBandwidthProbe& operator=(ReadBandwidthProbe&&) noexcept;
    ReadBandwidthProbe(const ReadBandwidthProbe&) = delete;
    ReadBandwidthProbe& operator=(const ReadBandwidthProbe&) = delete;
    ~ReadBandwidthProbe();

    int threads() const;
    std::int64_t bytes() const;

    // Reads the whole buffer once and returns the sum of its floats (so the
    // reads cannot be optimized away); for benchmark loops that time it.
    float read_once();
    // The highest rate of `passes` (≥ 1) timed reads, in GB/s (10^9
    // bytes/s): the best pass, as STREAM reports, so that a fraction of it
    // errs low rather than high.
    double best_gb_per_s(int passes = 3);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace gpt2
