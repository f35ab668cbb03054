// Read bandwidth of this machine (STREAM-like sum over 512 MiB in huge
// pages) with 1 and 2 threads of the project's pool: the roofline of a
// decode step, which reads every weight once. The figure is the GB_per_s
// counter (10^9 bytes/s). Google Benchmark's own bytes_per_second prints in
// binary units on the console (G/s = 2^30 bytes/s, 7.4% below GB/s), which
// the weights' decimal GB/s must not be divided by.
//   build/release/bin/bench_memory --benchmark_repetitions=5
#include "read_bandwidth.hpp"   // registers BM_ReadBandwidth
