#include "kernels/softmax.hpp"

#include "kernels/simd.hpp"

namespace gpt2::kernels {

void softmax(float* out, const float* x, int n) {
    using simd::Scalar;
    using simd::Vec;
    const int n_vec = n - n % Vec::kWidth;

    float max_x = x[0];
    if (n_vec > 0) {
        Vec m = Vec::load(x);
        for (int i = Vec::kWidth; i < n_vec; i += Vec::kWidth) m = max(m, Vec::load(x + i));
        max_x = reduce_max(m);
    }
    for (int i = n_vec; i < n; ++i) max_x = x[i] > max_x ? x[i] : max_x;

    const Vec vmax = Vec::set1(max_x);
    Vec acc = Vec::zero();
    for (int i = 0; i < n_vec; i += Vec::kWidth) {
        const Vec e = simd::exp(Vec::load(x + i) - vmax);
        e.store(out + i);
        acc = acc + e;
    }
    float sum = reduce_add(acc);
    for (int i = n_vec; i < n; ++i) {
        const Scalar e = simd::exp(Scalar::load(x + i) - Scalar::set1(max_x));
        e.store(out + i);
        sum += e.v;
    }

    const float inv = 1.0f / sum;
    const Vec vinv = Vec::set1(inv);
    for (int i = 0; i < n_vec; i += Vec::kWidth) (Vec::load(out + i) * vinv).store(out + i);
    for (int i = n_vec; i < n; ++i) out[i] *= inv;
}

}  // namespace gpt2::kernels
