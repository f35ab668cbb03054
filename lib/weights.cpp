// The ONE table mapping Hugging Face GPT-2 checkpoint names to weight fields
// and shapes. Loading, validation, parameter counting, the random-model
// generator and the tests all go through weight_slots() /
// checkpoint_tensor_specs(); conversion, the session's checks, the decode
// copy plans and the bytes a decode step reads walk it through
// tensors_in_checkpoint_order() and the block field lists.
#include <string>

#include "weights_table.hpp"

namespace gpt2 {

namespace {

// Shapes in the C/V/T alphabet, resolved against a config.
enum class Dim { kC, k3C, k4C, kV, kT, kNone };

std::int64_t resolve(Dim d, const Config& c) {
    switch (d) {
        case Dim::kC: return c.n_embd;
        case Dim::k3C: return 3 * static_cast<std::int64_t>(c.n_embd);
        case Dim::k4C: return 4 * static_cast<std::int64_t>(c.n_embd);
        case Dim::kV: return c.vocab_size;
        case Dim::kT: return c.n_ctx;
        case Dim::kNone: break;
    }
    return 1;
}

struct GlobalRow {
    const char* name;
    WeightTensor Weights::*field;
    Dim d0, d1;            // d1 kNone: a 1-D tensor
    TensorRole role;
};

struct LayerRow {
    const char* suffix;    // after "h.{i}."
    WeightTensor LayerWeights::*field;
    Dim d0, d1;
    TensorRole role;
};

// Conv1D weights are stored [in, out] (HF GPT-2 convention).
constexpr GlobalRow kHead[] = {
    {"wte.weight", &Weights::wte, Dim::kV, Dim::kC, TensorRole::kMatrix},
    {"wpe.weight", &Weights::wpe, Dim::kT, Dim::kC, TensorRole::kMatrix},
};
constexpr LayerRow kLayer[] = {
    {"ln_1.weight", &LayerWeights::ln_1_weight, Dim::kC, Dim::kNone, TensorRole::kNormWeight},
    {"ln_1.bias", &LayerWeights::ln_1_bias, Dim::kC, Dim::kNone, TensorRole::kNormBias},
    {"attn.c_attn.weight", &LayerWeights::attn_c_attn_weight, Dim::kC, Dim::k3C, TensorRole::kMatrix},
    {"attn.c_attn.bias", &LayerWeights::attn_c_attn_bias, Dim::k3C, Dim::kNone, TensorRole::kBias},
    {"attn.c_proj.weight", &LayerWeights::attn_c_proj_weight, Dim::kC, Dim::kC, TensorRole::kMatrix},
    {"attn.c_proj.bias", &LayerWeights::attn_c_proj_bias, Dim::kC, Dim::kNone, TensorRole::kBias},
    {"ln_2.weight", &LayerWeights::ln_2_weight, Dim::kC, Dim::kNone, TensorRole::kNormWeight},
    {"ln_2.bias", &LayerWeights::ln_2_bias, Dim::kC, Dim::kNone, TensorRole::kNormBias},
    {"mlp.c_fc.weight", &LayerWeights::mlp_c_fc_weight, Dim::kC, Dim::k4C, TensorRole::kMatrix},
    {"mlp.c_fc.bias", &LayerWeights::mlp_c_fc_bias, Dim::k4C, Dim::kNone, TensorRole::kBias},
    {"mlp.c_proj.weight", &LayerWeights::mlp_c_proj_weight, Dim::k4C, Dim::kC, TensorRole::kMatrix},
    {"mlp.c_proj.bias", &LayerWeights::mlp_c_proj_bias, Dim::kC, Dim::kNone, TensorRole::kBias},
};
constexpr GlobalRow kTail[] = {
    {"ln_f.weight", &Weights::ln_f_weight, Dim::kC, Dim::kNone, TensorRole::kNormWeight},
    {"ln_f.bias", &Weights::ln_f_bias, Dim::kC, Dim::kNone, TensorRole::kNormBias},
};

template <typename Row>
WeightSlot make_slot(std::string name, const Row& row, WeightTensor* field, const Config& c) {
    std::vector<std::int64_t> shape{resolve(row.d0, c)};
    if (row.d1 != Dim::kNone) shape.push_back(resolve(row.d1, c));
    field->shape = {shape[0], shape.size() == 2 ? shape[1] : 1};
    return WeightSlot{TensorSpec{std::move(name), std::move(shape)}, row.role, field};
}

}  // namespace

std::vector<WeightSlot> weight_slots(const Config& config, Weights& weights) {
    weights.layers.assign(static_cast<std::size_t>(config.n_layer), LayerWeights{});
    std::vector<WeightSlot> slots;
    slots.reserve(std::size(kHead) + std::size(kTail) + std::size(kLayer) * weights.layers.size());
    for (const GlobalRow& row : kHead) slots.push_back(make_slot(row.name, row, &(weights.*row.field), config));
    for (std::size_t i = 0; i < weights.layers.size(); ++i) {
        for (const LayerRow& row : kLayer) {
            slots.push_back(make_slot("h." + std::to_string(i) + "." + row.suffix, row,
                                      &(weights.layers[i].*row.field), config));
        }
    }
    for (const GlobalRow& row : kTail) slots.push_back(make_slot(row.name, row, &(weights.*row.field), config));
    return slots;
}

std::vector<const WeightTensor*> tensors_in_checkpoint_order(const Weights& weights) {
    std::vector<const WeightTensor*> out;
    out.reserve(std::size(kHead) + std::size(kTail) + std::size(kLayer) * weights.layers.size());
    for (const GlobalRow& row : kHead) out.push_back(&(weights.*row.field));
    for (const LayerWeights& layer : weights.layers)
        for (const LayerRow& row : kLayer) out.push_back(&(layer.*row.field));
    for (const GlobalRow& row : kTail) out.push_back(&(weights.*row.field));
    return out;
}

namespace {
std::vector<LayerField> block_fields(bool matrices) {
    std::vector<LayerField> out;
    for (const LayerRow& row : kLayer)
        if ((row.d1 != Dim::kNone) == matrices) out.push_back(row.field);
    return out;
}
}  // namespace

const std::vector<LayerField>& block_matrix_fields() {
    static const std::vector<LayerField> fields = block_fields(true);
    return fields;
}

const std::vector<LayerField>& block_vector_fields() {
    static const std::vector<LayerField> fields = block_fields(false);
    return fields;
}

std::vector<TensorSpec> checkpoint_tensor_specs(const Config& config) {
    Weights scratch;
    std::vector<TensorSpec> specs;
    for (WeightSlot& slot : weight_slots(config, scratch)) specs.push_back(std::move(slot.spec));
    return specs;
}

}  // namespace gpt2
