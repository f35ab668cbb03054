#pragma once
// BM_ReadBandwidth, shared by bench_memory and bench_formats (including
// this header registers it): the library's read-bandwidth probe
// (gpt2/read_bandwidth.hpp, the same one `gpt2 bench --roofline` pairs with
// each decode run) on 1 and 2 threads. The figure is the GB_per_s counter
// (10^9 bytes/s), which the weights' decimal GB/s divide by directly.
#include <benchmark/benchmark.h>

#include "gpt2/read_bandwidth.hpp"

namespace gpt2::bench {

inline void BM_ReadBandwidth(benchmark::State& state) {
    ReadBandwidthProbe probe(static_cast<int>(state.range(0)));
    probe.read_once();   // warm: the workers running, the buffer in the TLB's reach once
    for (auto _ : state) benchmark::DoNotOptimize(probe.read_once());
    state.counters["GB_per_s"] = benchmark::Counter(static_cast<double>(probe.bytes()) / 1e9,
                                                    benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace gpt2::bench

BENCHMARK(gpt2::bench::BM_ReadBandwidth)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
