// Read bandwidth of this machine (STREAM-like sum over 512 MiB) with 1 and 2
// threads of the project's pool: the roofline of a decode step, which reads
// every weight once. bytes_per_second is the figure (GB/s = 1e9 bytes/s).
//   build/release/bin/bench_memory --benchmark_repetitions=5
#include <benchmark/benchmark.h>

#include "read_bandwidth.hpp"

namespace {

void BM_ReadBandwidth(benchmark::State& state) {
    const auto& buf = gpt2::bench::bandwidth_buffer();
    gpt2::ThreadPool pool(static_cast<int>(state.range(0)));
    gpt2::bench::read_all(buf, pool);   // warm: pages mapped
    for (auto _ : state) benchmark::DoNotOptimize(gpt2::bench::read_all(buf, pool));
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                            static_cast<std::int64_t>(buf.size() * sizeof(float)));
}
BENCHMARK(BM_ReadBandwidth)->ArgName("threads")->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
