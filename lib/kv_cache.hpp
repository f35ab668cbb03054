#pragma once
// The KV cache of one session: for every layer, the keys and the values of
// every position evaluated so far, as F32 or as binary16 (KvDtype::kF16:
// half the bytes a decode step streams over at long contexts, the values
// rounded to nearest when written).
//
// Layout: per layer l, K and V are [max_tokens, C] row-major (row p holds
// position p, heads side by side: head h at columns [h·HS, (h+1)·HS)), the
// layout the attention kernel reads with row stride C. The L·2 matrices are
// one allocation, left uninitialised so pages are only touched (and counted
// in the resident set) as positions are filled.
#include <cstdint>
#include <cstring>
#include <memory>

#include "gpt2/session.hpp"

namespace gpt2 {

class KvCache {
public:
    KvCache(int n_layer, int max_tokens, int C, KvDtype dtype)
        : n_layer_(n_layer), max_tokens_(max_tokens), C_(C), dtype_(dtype) {
        const std::size_t n = static_cast<std::size_t>(n_layer) * 2 * static_cast<std::size_t>(max_tokens) *
                              static_cast<std::size_t>(C);
        if (dtype == KvDtype::kF16) f16_.reset(new std::uint16_t[n]);
        else f32_.reset(new float[n]);
    }

    KvDtype dtype() const { return dtype_; }
    // The F32 rows (dtype() == kF32; null otherwise).
    float* k(int layer) { return f32_ ? f32_.get() + offset(layer, 0) : nullptr; }
    float* v(int layer) { return f32_ ? f32_.get() + offset(layer, 1) : nullptr; }
    // The binary16 rows (dtype() == kF16; null otherwise).
    std::uint16_t* k_f16(int layer) { return f16_ ? f16_.get() + offset(layer, 0) : nullptr; }
    std::uint16_t* v_f16(int layer) { return f16_ ? f16_.get() + offset(layer, 1) : nullptr; }

    int max_tokens() const { return max_tokens_; }

    // A copy holding the first n_positions rows of every matrix.
    KvCache copy(int n_positions) const {
        KvCache out(n_layer_, max_tokens_, C_, dtype_);
        const std::size_t rows = static_cast<std::size_t>(C_) * static_cast<std::size_t>(n_positions);
        for (int l = 0; l < n_layer_; ++l)
            for (int which = 0; which < 2; ++which) {
                if (f16_) std::memcpy(out.f16_.get() + offset(l, which), f16_.get() + offset(l, which), rows * 2);
                else std::memcpy(out.f32_.get() + offset(l, which), f32_.get() + offset(l, which), rows * 4);
            }
        return out;
    }

private:
    std::size_t offset(int layer, int which) const {
        return (static_cast<std::size_t>(layer) * 2 + static_cast<std::size_t>(which)) *
               static_cast<std::size_t>(max_tokens_) * static_cast<std::size_t>(C_);
    }

    int n_layer_, max_tokens_, C_;
    KvDtype dtype_;
    std::unique_ptr<float[]> f32_;
    std::unique_ptr<std::uint16_t[]> f16_;
};

}  // namespace gpt2
