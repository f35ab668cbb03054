#include "kernels/gelu.hpp"

#include "kernels/f32_kernels.hpp"
#include "thread_pool.hpp"

// The loop is in f32_kernels.inc, compiled per instruction set.
namespace gpt2::kernels {

void gelu(float* out, const float* x, std::int64_t n, ThreadPool& pool) {
    const auto fn = f32::active().gelu;
    // Grain of 1024 elements: a launch per few µs of work at most. Element-
    // wise with a scalar twin for the tail, so any partition gives the same
    // bits.
    pool.parallel_for(n, 1024, [&](std::int64_t begin, std::int64_t end, int) { fn(out + begin, x + begin, end - begin); });
}

}  // namespace gpt2::kernels
