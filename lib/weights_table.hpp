#pragma once
// The checkpoint name table bound to a Weights object: for every tensor of a
// GPT-2 checkpoint, its Hugging Face name, its shape, and the WeightTensor
// field it fills. checkpoint_tensor_specs() (public, model.hpp) is this
// table without the fields. Internal to the library.
#include <vector>

#include "gpt2/config.hpp"
#include "gpt2/model.hpp"
#include "gpt2/weights.hpp"

namespace gpt2 {

// How the random-model generator initialises a tensor.
enum class TensorRole { kMatrix, kBias, kNormWeight, kNormBias };

struct WeightSlot {
    TensorSpec spec;
    TensorRole role;
    WeightTensor* field;   // inside the Weights passed to weight_slots()
};

// Resizes weights.layers to config.n_layer and lists every slot in
// checkpoint order (wte, wpe, h.0.*, ..., h.{L-1}.*, ln_f.*).
std::vector<WeightSlot> weight_slots(const Config& config, Weights& weights);

// The same table read without binding (weights, layers included, stay as
// they are): every tensor of `weights` in checkpoint order.
std::vector<const WeightTensor*> tensors_in_checkpoint_order(const Weights& weights);

// A block's fields by rank, in checkpoint order, taken from the same table:
// its four Conv1D matrices (c_attn, attn c_proj, c_fc, mlp c_proj), and its
// eight 1-D tensors (the layer norms' weights and biases, the biases).
using LayerField = WeightTensor LayerWeights::*;
const std::vector<LayerField>& block_matrix_fields();
const std::vector<LayerField>& block_vector_fields();

}  // namespace gpt2
