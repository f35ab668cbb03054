#include "kernels/gelu.hpp"

#include "kernels/simd.hpp"
#include "thread_pool.hpp"

namespace gpt2::kernels {

namespace {

using simd::Scalar;
using simd::Vec;

template <typename V>
inline V gelu_one(V x) {
    const V k_sqrt_2_over_pi = V::set1(0.7978845608028654f);
    const V u = k_sqrt_2_over_pi * fma(V::set1(0.044715f) * x, x * x, x);
    return x / (V::set1(1.0f) + simd::exp(u * V::set1(-2.0f)));
}

}  // namespace

void gelu(float* out, const float* x, std::int64_t n, ThreadPool& pool) {
    // Grain of 1024 elements: a launch per few µs of work at most.
    pool.parallel_for(n, 1024, [&](std::int64_t begin, std::int64_t end, int) {
        std::int64_t i = begin;
        for (; i + Vec::kWidth <= end; i += Vec::kWidth) gelu_one(Vec::load(x + i)).store(out + i);
        for (; i < end; ++i) gelu_one(Scalar::load(x + i)).store(out + i);
    });
}

}  // namespace gpt2::kernels
