#pragma once
// GPT-2 weights: typed, shaped views of the checkpoint tensors.
//
// Shapes use one alphabet: V vocab_size, T n_ctx, C n_embd, L n_layer.
// Matrices keep the Hugging Face (Conv1D) layout [in, out], row-major.
// A WeightTensor is a view: its bytes live in the memory-mapped safetensors
// file or in storage owned by the Model (see model.hpp); it never owns.
// Today a loaded Model's tensors are always F32 (16-bit checkpoints are
// widened at load); `dtype` exists so native 16-bit kernels can come later.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "gpt2/safetensors.hpp"

namespace gpt2 {

struct WeightTensor {
    DType dtype = DType::kF32;
    const void* data = nullptr;
    std::array<std::int64_t, 2> shape{0, 0};  // 1-D tensors: {n, 1}

    std::int64_t numel() const { return shape[0] * shape[1]; }
    const float* f32() const { return static_cast<const float*>(data); }
};

struct LayerWeights {
    WeightTensor ln_1_weight, ln_1_bias;          // [C]
    WeightTensor attn_c_attn_weight;              // [C, 3C]  (q | k | v along out)
    WeightTensor attn_c_attn_bias;                // [3C]
    WeightTensor attn_c_proj_weight;              // [C, C]
    WeightTensor attn_c_proj_bias;                // [C]
    WeightTensor ln_2_weight, ln_2_bias;          // [C]
    WeightTensor mlp_c_fc_weight;                 // [C, 4C]
    WeightTensor mlp_c_fc_bias;                   // [4C]
    WeightTensor mlp_c_proj_weight;               // [4C, C]
    WeightTensor mlp_c_proj_bias;                 // [C]
};

struct Weights {
    WeightTensor wte;                             // [V, C]; also the output projection (tied)
    WeightTensor wpe;                             // [T, C]
    std::vector<LayerWeights> layers;             // L
    WeightTensor ln_f_weight, ln_f_bias;          // [C]
};

}  // namespace gpt2
