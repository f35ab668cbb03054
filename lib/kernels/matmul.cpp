#include "kernels/matmul.hpp"

#include <cstdint>

#include "kernels/f32_kernels.hpp"
#include "thread_pool.hpp"

// The loops are in f32_kernels.inc, compiled per instruction set; this file
// picks the active level's table once per call and splits the columns over
// the pool (on the caller alone when the product is too small to repay a
// hand-off: ThreadPool::kMinChunkWork).
namespace gpt2::kernels {

void matmul(float* out, const float* x, const float* w, const float* bias, int T, int C_in, int C_out,
            ThreadPool& pool, const float* panels) {
    const f32::Kernels& k = f32::active();
    const bool sweep = f32::takes_sweep(T, panels != nullptr);
    const f32::MatmulArgs a{out, x, w, bias, T, C_in, C_out, panels, sweep ? f32::sweep_buffer(T, C_out) : nullptr};
    const auto fn = sweep ? k.matmul_sweep : k.matmul_prefill;
    const std::int64_t grain = sweep ? k.width : k.prefill_grain;
    const std::int64_t work = std::int64_t{T} * C_in * C_out;   // multiply-adds
    pool.parallel_for(C_out, grain, work, [&](std::int64_t j0, std::int64_t j1, int) {
        fn(a, static_cast<int>(j0), static_cast<int>(j1));
    });
}

void matmul_transposed(float* out, const float* x, const float* w, int T, int C, int N, ThreadPool& pool) {
    const f32::Kernels& k = f32::active();
    const f32::DotArgs a{out, x, w, T, C, N};
    const std::int64_t work = std::int64_t{T} * C * N;   // multiply-adds
    pool.parallel_for(N, k.dot_grain, work, [&](std::int64_t n0, std::int64_t n1, int) {
        k.dot_columns(a, static_cast<int>(n0), static_cast<int>(n1));
    });
}

}  // namespace gpt2::kernels
