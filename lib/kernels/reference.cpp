#include "kernels/reference.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <vector>

#include "numeric/half.hpp"

namespace gpt2::kernels::reference {

void layer_norm(float* out, const float* x, const float* weight, const float* bias, int T, int C, float eps) {
    for (int t = 0; t < T; ++t) {
        const float* xt = x + static_cast<std::int64_t>(t) * C;
        double mean = 0.0;
        for (int c = 0; c < C; ++c) mean += xt[c];
        mean /= C;
        double var = 0.0;
        for (int c = 0; c < C; ++c) var += (xt[c] - mean) * (xt[c] - mean);
        var /= C;
        const double rstd = 1.0 / std::sqrt(var + eps);
        for (int c = 0; c < C; ++c)
            out[static_cast<std::int64_t>(t) * C + c] = static_cast<float>((xt[c] - mean) * rstd * weight[c] + bias[c]);
    }
}

void matmul(float* out, const float* x, const float* w, const float* bias, int T, int C_in, int C_out) {
    for (int t = 0; t < T; ++t) {
        for (int j = 0; j < C_out; ++j) {
            double acc = bias ? bias[j] : 0.0;
            for (int i = 0; i < C_in; ++i)
                acc += static_cast<double>(x[static_cast<std::int64_t>(t) * C_in + i]) *
                       w[static_cast<std::int64_t>(i) * C_out + j];
            out[static_cast<std::int64_t>(t) * C_out + j] = static_cast<float>(acc);
        }
    }
}

void matmul_transposed(float* out, const float* x, const float* w, int T, int C, int N) {
    for (int t = 0; t < T; ++t) {
        for (int n = 0; n < N; ++n) {
            double acc = 0.0;
            for (int c = 0; c < C; ++c)
                acc += static_cast<double>(x[static_cast<std::int64_t>(t) * C + c]) * w[static_cast<std::int64_t>(n) * C + c];
            out[static_cast<std::int64_t>(t) * N + n] = static_cast<float>(acc);
        }
    }
}

void attention(float* out, int out_stride, const float* q, int q_stride, const float* k, const float* v,
               int kv_stride, int T, int pos0, int NH, int HS) {
    const double scale = 1.0 / std::sqrt(static_cast<double>(HS));
    std::vector<double> a(static_cast<std::size_t>(pos0 + T));
    for (int t = 0; t < T; ++t) {
        const int n = pos0 + t + 1;   // causal: positions 0 .. pos0 + t
        for (int h = 0; h < NH; ++h) {
            const float* qh = q + static_cast<std::int64_t>(t) * q_stride + h * HS;
            double max_score = -INFINITY;
            for (int s = 0; s < n; ++s) {
                double dot = 0.0;
                for (int c = 0; c < HS; ++c)
                    dot += static_cast<double>(qh[c]) * k[static_cast<std::int64_t>(s) * kv_stride + h * HS + c];
                a[s] = dot * scale;
                max_score = std::max(max_score, a[s]);
            }
            double sum = 0.0;
            for (int s = 0; s < n; ++s) {
                a[s] = std::exp(a[s] - max_score);
                sum += a[s];
            }
            for (int c = 0; c < HS; ++c) {
                double acc = 0.0;
                for (int s = 0; s < n; ++s) acc += a[s] / sum * v[static_cast<std::int64_t>(s) * kv_stride + h * HS + c];
                out[static_cast<std::int64_t>(t) * out_stride + h * HS + c] = static_cast<float>(acc);
            }
        }
    }
}

void gelu(float* out, const float* x, std::int64_t n) {
    const double k_sqrt_2_over_pi = std::sqrt(2.0 / std::numbers::pi);
    for (std::int64_t i = 0; i < n; ++i) {
        const double xi = x[i];
        out[i] = static_cast<float>(0.5 * xi * (1.0 + std::tanh(k_sqrt_2_over_pi * (xi + 0.044715 * xi * xi * xi))));
    }
}

void softmax(float* out, const float* x, int n) {
    double max_x = x[0];
    for (int i = 1; i < n; ++i) max_x = std::max(max_x, static_cast<double>(x[i]));
    double sum = 0.0;
    for (int i = 0; i < n; ++i) sum += std::exp(x[i] - max_x);
    for (int i = 0; i < n; ++i) out[i] = static_cast<float>(std::exp(x[i] - max_x) / sum);
}

void residual_add(float* x, const float* y, std::int64_t n) {
    for (std::int64_t i = 0; i < n; ++i) x[i] += y[i];
}

namespace {
float widen(std::uint16_t bits, bool bf16) { return bf16 ? numeric::bf16_to_f32(bits) : numeric::f16_to_f32(bits); }
}  // namespace

void matmul_half(float* out, const float* x, const std::uint16_t* w, bool bf16, const float* bias, int T, int C_in,
                 int C_out) {
    for (int t = 0; t < T; ++t) {
        for (int j = 0; j < C_out; ++j) {
            double acc = bias ? bias[j] : 0.0;
            for (int i = 0; i < C_in; ++i) {
                // BF16 weights multiply bf16 × bf16 (kernels/matmul_half.hpp).
                const float xi = x[static_cast<std::int64_t>(t) * C_in + i];
                acc += static_cast<double>(bf16 ? numeric::round_to_bf16_flush_subnormals(xi) : xi) *
                       widen(w[static_cast<std::int64_t>(i) * C_out + j], bf16);
            }
            out[static_cast<std::int64_t>(t) * C_out + j] = static_cast<float>(acc);
        }
    }
}

void matmul_transposed_half(float* out, const float* x, const std::uint16_t* w, bool bf16, int T, int C, int N) {
    for (int t = 0; t < T; ++t) {
        for (int n = 0; n < N; ++n) {
            double acc = 0.0;
            for (int c = 0; c < C; ++c)
                acc += static_cast<double>(x[static_cast<std::int64_t>(t) * C + c]) *
                       widen(w[static_cast<std::int64_t>(n) * C + c], bf16);
            out[static_cast<std::int64_t>(t) * N + n] = static_cast<float>(acc);
        }
    }
}

void matmul_q8(float* out, const std::int8_t* xq, const float* xs, const std::int8_t* wq, const float* ws,
               const float* bias, int T, int K, int N) {
    constexpr int kBlock = 32;
    const int n_blocks = K / kBlock;
    for (int t = 0; t < T; ++t) {
        for (int n = 0; n < N; ++n) {
            double acc = bias ? bias[n] : 0.0;
            for (int b = 0; b < n_blocks; ++b) {
                double block = 0.0;
                for (int k = b * kBlock; k < (b + 1) * kBlock; ++k)
                    block += static_cast<double>(xq[static_cast<std::int64_t>(t) * K + k]) *
                             wq[static_cast<std::int64_t>(n) * K + k];
                acc += block * xs[static_cast<std::int64_t>(t) * n_blocks + b] * ws[static_cast<std::int64_t>(n) * n_blocks + b];
            }
            out[static_cast<std::int64_t>(t) * N + n] = static_cast<float>(acc);
        }
    }
}

}  // namespace gpt2::kernels::reference
