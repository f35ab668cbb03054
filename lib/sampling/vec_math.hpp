#pragma once
// Vectorisable float loops for the sampler: max and exp(x - m) with sum.
// Written with 8 independent lanes so that GCC/Clang vectorise them without
// -ffast-math (a single running max or sum is a dependency chain the
// compiler may not reorder). The lane order is fixed, so results do not
// depend on the vector width the compiler picks.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>

namespace gpt2::sampling::vec {

inline constexpr std::size_t kLanes = 8;

// Max of n floats (-inf for n = 0). NaN-free input assumed.
inline float max(const float* x, std::size_t n) {
    float acc[kLanes];
    std::fill(acc, acc + kLanes, -std::numeric_limits<float>::infinity());
    std::size_t i = 0;
    for (; i + kLanes <= n; i += kLanes) {
        for (std::size_t j = 0; j < kLanes; ++j) acc[j] = x[i + j] > acc[j] ? x[i + j] : acc[j];
    }
    float m = acc[0];
    for (std::size_t j = 1; j < kLanes; ++j) m = acc[j] > m ? acc[j] : m;
    for (; i < n; ++i) m = x[i] > m ? x[i] : m;
    return m;
}

template <std::size_t N>
inline float max_fixed(const float* x) {
    static_assert(N % kLanes == 0);
    float acc[kLanes];
    for (std::size_t j = 0; j < kLanes; ++j) acc[j] = x[j];
    for (std::size_t i = kLanes; i < N; i += kLanes) {
        for (std::size_t j = 0; j < kLanes; ++j) acc[j] = x[i + j] > acc[j] ? x[i + j] : acc[j];
    }
    float m = acc[0];
    for (std::size_t j = 1; j < kLanes; ++j) m = acc[j] > m ? acc[j] : m;
    return m;
}

// e^x for x <= 0 (the softmax case, x = z - max), branch-free so it
// vectorises. Cody-Waite reduction x = n ln2 + r, |r| <= ln2/2, then the
// Cephes expf degree-6 polynomial; max relative error ~2 ulp against
// std::exp (tested). x < -87.3 (including -inf) gives exactly 0, so banned
// tokens have probability exactly 0.
inline float exp_nonpositive(float x) {
    constexpr float kLog2e = 1.44269504088896341f;
    constexpr float kLn2Hi = 0.693359375f;
    constexpr float kLn2Lo = -2.12194440e-4f;
    constexpr float kMin = -87.3f;
    const bool underflow = !(x >= kMin);
    const float xc = underflow ? 0.0f : x;
    const float n = std::floor(xc * kLog2e + 0.5f);
    float r = xc - n * kLn2Hi;
    r = r - n * kLn2Lo;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    const float y = p * r * r + r + 1.0f;
    const std::int32_t bits = (static_cast<std::int32_t>(n) + 127) << 23;
    const float scale = std::bit_cast<float>(bits);
    return underflow ? 0.0f : y * scale;
}

// out[i] = exp(in[i] - m); returns the sum. 8 double lanes in a fixed order:
// a float sum over 50,257 terms drifts by ~2e-6 relative (measured), double
// lanes keep it at float rounding of the terms and still vectorise.
inline double exp_shifted(float* out, const float* in, std::size_t n, float m) {
    double acc[kLanes] = {};
    std::size_t i = 0;
    for (; i + kLanes <= n; i += kLanes) {
        for (std::size_t j = 0; j < kLanes; ++j) {
            const float e = exp_nonpositive(in[i + j] - m);
            out[i + j] = e;
            acc[j] += e;
        }
    }
    double sum = 0.0;
    for (std::size_t j = 0; j < kLanes; ++j) sum += acc[j];
    for (; i < n; ++i) {
        const float e = exp_nonpositive(in[i] - m);
        out[i] = e;
        sum += e;
    }
    return sum;
}

}  // namespace gpt2::sampling::vec
