#include "kernels/gelu.hpp"

#include "kernels/f32_kernels.hpp"
#include "thread_pool.hpp"

// The loop is in f32_kernels.inc, compiled per instruction set.
namespace gpt2::kernels {

void gelu(float* out, const float* x, std::int64_t n, ThreadPool& pool) {
    const auto fn = f32::active().gelu;
    // Grain of 1024 elements; an element costs ~16 multiply-adds' time (the
    // exp polynomial and a division), so a decode step's 4C = 3072 elements
    // (GPT-2 124M) stay on the caller (ThreadPool::kMinChunkWork) and a
    // prefill's split. Element-wise with a scalar twin for the tail, so any
    // partition gives the same bits.
    constexpr std::int64_t kWorkPerElement = 16;
    pool.parallel_for(n, 1024, n * kWorkPerElement,
                      [&](std::int64_t begin, std::int64_t end, int) { fn(out + begin, x + begin, end - begin); });
}

}  // namespace gpt2::kernels
