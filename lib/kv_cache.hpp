#pragma once
// The KV cache of one session: for every layer, the keys and the values of
// every position evaluated so far.
//
// Layout: per layer l, K and V are [max_tokens, C] row-major (row p holds
// position p, heads side by side: head h at columns [h·HS, (h+1)·HS)), the
// layout the attention kernel reads with row stride C. The L·2 matrices are
// one allocation, left uninitialised so pages are only touched (and counted
// in the resident set) as positions are filled.
#include <cstdint>
#include <cstring>
#include <memory>

namespace gpt2 {

class KvCache {
public:
    KvCache(int n_layer, int max_tokens, int C)
        : n_layer_(n_layer), max_tokens_(max_tokens), C_(C),
          data_(new float[static_cast<std::size_t>(n_layer) * 2 * max_tokens * C]) {}

    float* k(int layer) { return data_.get() + offset(layer, 0); }
    float* v(int layer) { return data_.get() + offset(layer, 1); }
    const float* k(int layer) const { return data_.get() + offset(layer, 0); }
    const float* v(int layer) const { return data_.get() + offset(layer, 1); }

    int max_tokens() const { return max_tokens_; }

    // A copy holding the first n_positions rows of every matrix.
    KvCache copy(int n_positions) const {
        KvCache out(n_layer_, max_tokens_, C_);
        const std::size_t row_bytes = static_cast<std::size_t>(C_) * sizeof(float);
        for (int l = 0; l < n_layer_; ++l) {
            std::memcpy(out.k(l), k(l), row_bytes * static_cast<std::size_t>(n_positions));
            std::memcpy(out.v(l), v(l), row_bytes * static_cast<std::size_t>(n_positions));
        }
        return out;
    }

private:
    std::size_t offset(int layer, int which) const {
        return (static_cast<std::size_t>(layer) * 2 + static_cast<std::size_t>(which)) *
               static_cast<std::size_t>(max_tokens_) * static_cast<std::size_t>(C_);
    }

    int n_layer_, max_tokens_, C_;
    std::unique_ptr<float[]> data_;
};

}  // namespace gpt2
