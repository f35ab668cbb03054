#include "kernels/layer_norm.hpp"

#include <cmath>

#include "kernels/simd.hpp"

namespace gpt2::kernels {

namespace {

using simd::Scalar;
using simd::Vec;

// Σ x[c] (fixed order: lanes, then tail).
float row_sum(const float* x, int C) {
    const int c_vec = C - C % Vec::kWidth;
    Vec acc = Vec::zero();
    for (int c = 0; c < c_vec; c += Vec::kWidth) acc = acc + Vec::load(x + c);
    float sum = reduce_add(acc);
    for (int c = c_vec; c < C; ++c) sum += x[c];
    return sum;
}

// Σ (x[c] - mean)² (same order as row_sum).
float row_sum_sq(const float* x, float mean, int C) {
    const int c_vec = C - C % Vec::kWidth;
    const Vec m = Vec::set1(mean);
    Vec acc = Vec::zero();
    for (int c = 0; c < c_vec; c += Vec::kWidth) {
        const Vec d = Vec::load(x + c) - m;
        acc = fma(d, d, acc);
    }
    float sum = reduce_add(acc);
    for (int c = c_vec; c < C; ++c) {
        const float d = x[c] - mean;
        sum = std::fma(d, d, sum);
    }
    return sum;
}

template <typename V>
inline void normalize(float* out, const float* x, const float* weight, const float* bias, float mean, float rstd,
                      int c) {
    const V n = (V::load(x + c) - V::set1(mean)) * V::set1(rstd);
    fma(n, V::load(weight + c), V::load(bias + c)).store(out + c);
}

}  // namespace

void layer_norm(float* out, const float* x, const float* weight, const float* bias, int T, int C, float eps) {
    const int c_vec = C - C % Vec::kWidth;
    for (int t = 0; t < T; ++t) {
        const float* xt = x + static_cast<long>(t) * C;
        float* ot = out + static_cast<long>(t) * C;
        // Two passes (mean, then squared deviations): the one-pass
        // E[x²] - E[x]² formula cancels badly when |mean| ≫ std.
        const float mean = row_sum(xt, C) / static_cast<float>(C);
        const float var = row_sum_sq(xt, mean, C) / static_cast<float>(C);
        const float rstd = 1.0f / std::sqrt(var + eps);
        for (int c = 0; c < c_vec; c += Vec::kWidth) normalize<Vec>(ot, xt, weight, bias, mean, rstd, c);
        for (int c = c_vec; c < C; ++c) normalize<Scalar>(ot, xt, weight, bias, mean, rstd, c);
    }
}

}  // namespace gpt2::kernels
