// Read bandwidth of this machine (STREAM-like sum over 512 MiB) with 1 and 2
// threads of the project's pool: the roofline of a decode step, which reads
// every weight once. The figure is the GB_per_s counter (10^9 bytes/s).
// Google Benchmark's own bytes_per_second prints in binary units on the
// console (G/s = 2^30 bytes/s, 7.4% below GB/s), which the weights' decimal
// GB/s must not be divided by.
//   build/release/bin/bench_memory --benchmark_repetitions=5
#include <benchmark/benchmark.h>

#include "read_bandwidth.hpp"

namespace {

void BM_ReadBandwidth(benchmark::State& state) {
    const auto& buf = gpt2::bench::bandwidth_buffer();
    gpt2::ThreadPool pool(static_cast<int>(state.range(0)));
    gpt2::bench::read_all(buf, pool);   // warm: pages mapped
    for (auto _ : state) benchmark::DoNotOptimize(gpt2::bench::read_all(buf, pool));
    state.counters["GB_per_s"] = benchmark::Counter(static_cast<double>(buf.size() * sizeof(float)) / 1e9,
                                                    benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_ReadBandwidth)->ArgName("threads")->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
