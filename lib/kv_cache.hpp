#pragma once
// The KV cache of one session: for every layer, the keys and the values of
// every position evaluated so far, as F32 or as binary16 (KvDtype::kF16:
// half the bytes a decode step streams at long contexts, each value
// rounded to nearest when written).
//
// Layout per layer l, for K and for V, either dtype: head-major
// [n_head, max_tokens, HS] (layout(), a kernels::KvLayout: head h's
// positions in one contiguous run, max_tokens·HS apart): decode scores each
// head's keys as one sequential stream, and sums the values of a block of
// heads at once (kernels/f32_kernels.inc, attend_over). Measured on one Zen
// 4 thread (bench_kernels BM_AttentionLayers, context 512 / 1024, rows:0 against
// rows:1): F16 head-major 23 GB/s at 1024 against 10 position-major; F32
// 30 / 22-25 GB/s against 20 / 14 (two threads 67 / 43 against 36 / 23).
// Before the score loop read each key row start to end (d98bdcb), F32 had
// been ~1.15x faster position-major and the F32 cache was laid out so. The
// L·2 matrices are one allocation, left uninitialised so pages are only
// touched (and counted in the resident set) as positions are filled.
#include <cstdint>
#include <cstring>
#include <memory>

#include "gpt2/session.hpp"
#include "kernels/attention.hpp"

namespace gpt2 {

class KvCache {
public:
    KvCache(int n_layer, int max_tokens, int n_head, int head_dim, KvDtype dtype)
        : n_layer_(n_layer), max_tokens_(max_tokens), n_head_(n_head), head_dim_(head_dim), dtype_(dtype) {
        const std::size_t n = static_cast<std::size_t>(n_layer) * 2 * matrix_size();
        if (dtype == KvDtype::kF16) f16_.reset(new std::uint16_t[n]);
        else f32_.reset(new float[n]);
    }

    KvDtype dtype() const { return dtype_; }
    // The F32 values (dtype() == kF32; null otherwise).
    float* k(int layer) { return f32_ ? f32_.get() + offset(layer, 0) : nullptr; }
    float* v(int layer) { return f32_ ? f32_.get() + offset(layer, 1) : nullptr; }
    // The binary16 values (dtype() == kF16; null otherwise).
    std::uint16_t* k_f16(int layer) { return f16_ ? f16_.get() + offset(layer, 0) : nullptr; }
    std::uint16_t* v_f16(int layer) { return f16_ ? f16_.get() + offset(layer, 1) : nullptr; }
    // Where head h of position p sits in each matrix.
    kernels::KvLayout layout() const {
        return kernels::head_major(max_tokens_, head_dim_);
    }

    int max_tokens() const { return max_tokens_; }

    // A copy holding the first n_positions positions of every matrix.
    KvCache copy(int n_positions) const {
        KvCache out(n_layer_, max_tokens_, n_head_, head_dim_, dtype_);
        if (f32_) copy_positions(out.f32_.get(), f32_.get(), n_positions);
        else copy_positions(out.f16_.get(), f16_.get(), n_positions);
        return out;
    }

private:
    std::size_t matrix_size() const {
        return static_cast<std::size_t>(max_tokens_) * static_cast<std::size_t>(n_head_) *
               static_cast<std::size_t>(head_dim_);
    }
    // The first n positions of every matrix, from src to dst (both laid out
    // as layout() says): one run per head.
    template <typename T>
    void copy_positions(T* dst, const T* src, int n) const {
        const kernels::KvLayout l = layout();
        const std::size_t run = static_cast<std::size_t>(n) * static_cast<std::size_t>(l.position_stride);
        for (int layer = 0; layer < n_layer_; ++layer)
            for (int which = 0; which < 2; ++which)
                for (int h = 0; h < n_head_; ++h) {
                    const std::size_t at =
                        offset(layer, which) + static_cast<std::size_t>(h) * static_cast<std::size_t>(l.head_stride);
                    std::memcpy(dst + at, src + at, run * sizeof(T));
                }
    }

    std::size_t offset(int layer, int which) const {
        return (static_cast<std::size_t>(layer) * 2 + static_cast<std::size_t>(which)) * matrix_size();
    }

    int n_layer_, max_tokens_, n_head_, head_dim_;
    KvDtype dtype_;
    std::unique_ptr<float[]> f32_;
    std::unique_ptr<std::uint16_t[]> f16_;
};

}  // namespace gpt2
