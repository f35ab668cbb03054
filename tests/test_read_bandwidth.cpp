// The read-bandwidth probe (gpt2/read_bandwidth.hpp): it reads every float
// of its buffer once per pass, on any thread count, and rejects bad sizes.
// Its speed is measured in bench/ and by `gpt2 bench --roofline`, never here.
#include <cmath>

#include <gtest/gtest.h>

#include "gpt2/error.hpp"
#include "gpt2/read_bandwidth.hpp"

namespace gpt2 {
namespace {

// The probe's fill pattern, summed in double: element i holds (i mod 1024)
// / 1000.
double pattern_sum(std::int64_t n) {
    double s = 0.0;
    for (std::int64_t i = 0; i < n; ++i) s += static_cast<double>(static_cast<float>(i & 1023) * 1e-3f);
    return s;
}

TEST(ReadBandwidthProbe, EachPassReadsTheWholeBuffer) {
    // 1 MiB + 4 floats + 3 stray bytes: rounded down to whole floats, and
    // not a multiple of any vector width or of the threads' 4 KB shares.
    const std::int64_t bytes = (std::int64_t{1} << 20) + 19;
    for (int threads : {1, 2, 3}) {
        ReadBandwidthProbe probe(threads, bytes);
        EXPECT_EQ(probe.threads(), threads);
        EXPECT_EQ(probe.bytes(), bytes - 3);
        const double want = pattern_sum(probe.bytes() / 4);
        EXPECT_NEAR(probe.read_once(), want, want * 1e-5) << threads << " threads";
        EXPECT_NEAR(probe.read_once(), want, want * 1e-5) << "a second pass, " << threads << " threads";
        const double rate = probe.best_gb_per_s(2);
        EXPECT_TRUE(std::isfinite(rate) && rate > 0.0) << rate;
    }
}

TEST(ReadBandwidthProbe, MovedProbeStillReads) {
    ReadBandwidthProbe a(1, 8192);
    ReadBandwidthProbe b = std::move(a);
    EXPECT_NEAR(b.read_once(), pattern_sum(2048), 1e-3);
}

TEST(ReadBandwidthProbe, RejectsTinyBuffersAndZeroPasses) {
    EXPECT_THROW(ReadBandwidthProbe(1, 4095), Error);
    EXPECT_THROW(ReadBandwidthProbe(1, -1), Error);
    ReadBandwidthProbe probe(1, 4096);
    EXPECT_THROW(probe.best_gb_per_s(0), Error);
}

}  // namespace
}  // namespace gpt2
