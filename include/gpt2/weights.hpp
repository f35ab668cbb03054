#pragma once
// GPT-2 weights: typed, shaped views of the checkpoint tensors.
//
// Shapes use one alphabet: V vocab_size, T n_ctx, C n_embd, L n_layer.
// Matrices keep the Hugging Face (Conv1D) layout [in, out], row-major.
// A WeightTensor is a view: its bytes live in the memory-mapped safetensors
// file or in storage owned by the Model (see model.hpp); it never owns.
//
// Formats of a loaded tensor (`dtype`):
// - kF32: float, `shape` row-major (every 1-D tensor — LayerNorm parameters,
//   biases — is kF32 in memory whatever the checkpoint stores).
// - kF16 / kBF16: the checkpoint's 16-bit matrix used in place, `shape`
//   row-major; kernels widen it in registers.
// - kI8: a q8 block-quantized matrix (written by `gpt2 convert --dtype q8`):
//   `data` is int8 [N, K] with rows = outputs and `scales` float
//   [N, K / kQ8BlockSize], value[n, k] = data[n, k] · scales[n, k / 32].
//   For a Conv1D weight (logical `shape` [in, out] = [K, N]) the int8 rows
//   are its columns (the transpose); for wte (logical [V, C]) they are its
//   rows. `shape` stays the logical checkpoint shape.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "gpt2/safetensors.hpp"

namespace gpt2 {

// Inputs per q8 block (one scale per block per output row).
inline constexpr int kQ8BlockSize = 32;

struct WeightTensor {
    DType dtype = DType::kF32;
    const void* data = nullptr;
    std::array<std::int64_t, 2> shape{0, 0};  // 1-D tensors: {n, 1}
    const float* scales = nullptr;            // kI8 only
    // F32/F16/BF16 Conv1D matrices loaded by Model::load: the same values
    // repacked in 16-column panels (kernels/matvec_panels.hpp), which decode
    // streams faster than the row-major data and prefill reads in place;
    // nullptr where there are none (then both read `data`, with the same
    // results).
    const void* panels = nullptr;

    std::int64_t numel() const { return shape[0] * shape[1]; }
    const float* f32() const { return static_cast<const float*>(data); }
    const std::uint16_t* u16() const { return static_cast<const std::uint16_t*>(data); }
    const std::int8_t* i8() const { return static_cast<const std::int8_t*>(data); }
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

// wte's distinct rows, when Model::load found many tokens sharing one
// (LoadOptions::distinct_logit_rows): the logits compute each distinct row's
// dot product once and give every token its row's value, the same bits as
// over wte. The value of the row most tokens share fills all V logits, then
// each other token takes its own row's.
struct DistinctRowsOfWte {
    WeightTensor rows;                            // [D, C], wte's dtype; data == nullptr: none
    std::int32_t fill_row = 0;                    // the row most tokens share
    std::int64_t n_others = 0;                    // tokens on any other row:
    const std::int32_t* other_tokens = nullptr;   // [n_others], increasing
    const std::int32_t* other_rows = nullptr;     // [n_others]: their rows
};

struct Weights {
    WeightTensor wte;                             // [V, C]; also the output projection (tied)
    DistinctRowsOfWte wte_distinct;               // for the logits; usually none
    WeightTensor wpe;                             // [T, C]
    std::vector<LayerWeights> layers;             // L
    WeightTensor ln_f_weight, ln_f_bias;          // [C]
};

}  // namespace gpt2
