#include "gpt2/model.hpp"

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <new>
#include <string_view>

#include <spdlog/spdlog.h>

#include "gpt2/error.hpp"
#include "distinct_rows.hpp"
#include "huge_pages.hpp"
#include "kernels/matvec_panels.hpp"
#include "numeric/half.hpp"
#include "weights_table.hpp"

namespace gpt2 {

namespace {

constexpr std::string_view kPrefix = "transformer.";
constexpr std::string_view kQ8Suffix = ".q8";
constexpr std::string_view kScaleSuffix = ".scale";

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Causal-mask buffers some exporters save ("h.3.attn.bias" [1,1,T,T],
// "h.3.attn.masked_bias"): constants, not weights.
bool is_ignored_buffer(std::string_view name) {
    return ends_with(name, ".attn.bias") || ends_with(name, ".attn.masked_bias");
}

std::string shape_string(const std::vector<std::int64_t>& shape) {
    std::string s = "[";
    for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + "]";
}

// The int8 shape of a q8 matrix: rows are outputs. Conv1D weights [in, out]
// are stored transposed; wte [V, C] (the tied output projection) as it is.
std::vector<std::int64_t> q8_shape(const TensorSpec& spec) {
    if (spec.name == "wte.weight") return spec.shape;
    return {spec.shape[1], spec.shape[0]};
}

std::size_t round_up(std::size_t n, std::size_t multiple) { return (n + multiple - 1) / multiple * multiple; }

// Decode's copy of the layers' F32/16-bit matrices in column panels
// (WeightTensor::panels): one sequential stream per decode product instead
// of several interleaved rows (kernels/matvec_panels.hpp; measured in
// docs/benchmarks.md). A second copy of those matrices in memory, in one
// buffer of huge pages (huge_pages.hpp), each matrix 64-byte aligned; wte
// (the largest tensor) and q8 matrices get none. Returns its size in bytes.
// Where pack_decode_panels puts each matrix's panels, and the total.
struct PanelPlan {
    struct Packing {
        WeightTensor* w;
        std::size_t elem_bytes, offset;
    };
    std::vector<Packing> packings;
    std::size_t total = 0;
};

PanelPlan plan_decode_panels(Weights& weights) {
    PanelPlan plan;
    for (LayerWeights& l : weights.layers)
        for (LayerField field : block_matrix_fields()) {
            WeightTensor& w = l.*field;
            if (w.dtype == DType::kI8) continue;
            const std::size_t elem = w.dtype == DType::kF32 ? sizeof(float) : sizeof(std::uint16_t);
            plan.packings.push_back({&w, elem, plan.total});
            plan.total += round_up(static_cast<std::size_t>(kernels::panel_elements(w.shape[0], w.shape[1])) * elem, 64);
        }
    return plan;
}

std::size_t pack_decode_panels(Weights& weights, HugePageBuffer& buffer) {
    const PanelPlan plan = plan_decode_panels(weights);
    if (plan.total == 0) return 0;
    buffer = make_huge_page_buffer(plan.total);
    for (const PanelPlan::Packing& p : plan.packings) {
        kernels::pack_panels(buffer.get() + p.offset, p.w->data, p.elem_bytes, p.w->shape[0], p.w->shape[1]);
        p.w->panels = buffer.get() + p.offset;
    }
    return plan.total;
}

// Where copy_streamed_tensors puts each copy, and the total.
struct CopyPlan {
    struct Copy {
        const void** pointer;   // repointed at the copy
        std::size_t bytes, offset;
    };
    std::vector<Copy> copies;
    std::size_t total = 0;
};

CopyPlan plan_streamed_copies(Weights& weights) {
    CopyPlan plan;
    const auto add = [&](const void** pointer, std::int64_t bytes) {
        plan.copies.push_back({pointer, static_cast<std::size_t>(bytes), plan.total});
        plan.total += round_up(static_cast<std::size_t>(bytes), 64);
    };
    const auto add_matrix = [&](WeightTensor& w) {
        if (w.dtype == DType::kI8) {
            add(&w.data, w.numel());
            add(reinterpret_cast<const void**>(&w.scales), w.numel() / kQ8BlockSize * std::int64_t{sizeof(float)});
        } else {
            add(&w.data, w.numel() * (w.dtype == DType::kF32 ? 4 : 2));
        }
    };
    // With distinct rows the logits read those (copied into huge pages by
    // copy_distinct_rows) and wte only one row per token, for the embedding.
    if (weights.wte_distinct.rows.data == nullptr) add_matrix(weights.wte);
    for (LayerWeights& l : weights.layers)
        for (LayerField field : block_matrix_fields())
            if ((l.*field).dtype == DType::kI8) add_matrix(l.*field);
    return plan;
}

// Copies of the tensors decode streams as they are stored, with no panel
// copy: wte (the logits read all of it every step; the embedding lookup one
// row) and the q8 matrices with their scales. In huge pages
// (huge_pages.hpp) instead of the file map's 4 KB pages; the tensors then
// point at the copies, which hold the same bytes. Returns their size.
std::size_t copy_streamed_tensors(Weights& weights, HugePageBuffer& buffer) {
    const CopyPlan plan = plan_streamed_copies(weights);
    buffer = make_huge_page_buffer(plan.total);
    for (const CopyPlan::Copy& c : plan.copies) {
        std::memcpy(buffer.get() + c.offset, *c.pointer, c.bytes);
        *c.pointer = buffer.get() + c.offset;
    }
    return plan.total;
}

// wte's distinct rows (distinct_rows.hpp) copied into huge pages, with the
// tables that expand their logits to every token (DistinctRowsOfWte), when
// at most three quarters of the rows are distinct; else nothing. Returns
// the bytes copied.
std::size_t copy_distinct_rows(Weights& weights, HugePageBuffer& buffer, std::vector<std::int32_t>& tables) {
    const WeightTensor& wte = weights.wte;
    if (wte.dtype == DType::kI8) return 0;
    const std::int64_t V = wte.shape[0];
    const std::size_t row_bytes = static_cast<std::size_t>(wte.shape[1]) * dtype_size(wte.dtype);
    const DistinctRows d = find_distinct_rows(wte.data, V, row_bytes);
    const auto D = static_cast<std::int64_t>(d.first.size());
    if (4 * D > 3 * V) return 0;
    buffer = make_huge_page_buffer(static_cast<std::size_t>(D) * row_bytes);
    const auto* src = static_cast<const std::byte*>(wte.data);
    for (std::int64_t r = 0; r < D; ++r)
        std::memcpy(buffer.get() + static_cast<std::size_t>(r) * row_bytes,
                    src + static_cast<std::size_t>(d.first[static_cast<std::size_t>(r)]) * row_bytes, row_bytes);
    std::vector<std::int64_t> tokens_on(static_cast<std::size_t>(D), 0);
    for (const std::int32_t r : d.of) ++tokens_on[static_cast<std::size_t>(r)];
    const auto fill = static_cast<std::int32_t>(std::max_element(tokens_on.begin(), tokens_on.end()) - tokens_on.begin());
    const std::int64_t others = V - tokens_on[static_cast<std::size_t>(fill)];
    // One allocation: other_tokens [others], then other_rows [others].
    tables.assign(static_cast<std::size_t>(2 * others), 0);
    std::int32_t* other_tokens = tables.data();
    std::int32_t* other_rows = other_tokens + others;
    std::int64_t k = 0;
    for (std::int64_t v = 0; v < V; ++v) {
        const std::int32_t row = d.of[static_cast<std::size_t>(v)];
        if (row == fill) continue;
        other_tokens[k] = static_cast<std::int32_t>(v);
        other_rows[k] = row;
        ++k;
    }
    weights.wte_distinct = {WeightTensor{wte.dtype, buffer.get(), {D, wte.shape[1]}, nullptr, nullptr}, fill, others,
                            other_tokens, other_rows};
    return static_cast<std::size_t>(D) * row_bytes;
}

// Bytes of a matrix as decode reads it: the stored elements, plus a q8
// matrix's scales.
std::int64_t stored_bytes(const WeightTensor& w) {
    switch (w.dtype) {
        case DType::kF32: return w.numel() * std::int64_t{sizeof(float)};
        case DType::kI8: return w.numel() + w.numel() / kQ8BlockSize * std::int64_t{sizeof(float)};
        default: return w.numel() * std::int64_t{sizeof(std::uint16_t)};
    }
}

}  // namespace

struct Model::Impl {
    std::filesystem::path dir;
    Config config;
    SafetensorsFile file;
    Weights weights;
    // F32 copies of 1-D 16-bit tensors (LayerNorm parameters, biases) and of
    // misaligned tensors, made once at load.
    std::vector<std::unique_ptr<float[]>> converted;
    // The layers' F32/16-bit matrices repacked for decode
    // (WeightTensor::panels, kernels/matvec_panels.hpp).
    HugePageBuffer panels;
    std::size_t panel_bytes = 0;
    // wte and q8 matrices copied into huge pages (copy_streamed_tensors);
    // streamed_bytes also counts the distinct rows' copy below.
    HugePageBuffer streamed;
    std::size_t streamed_bytes = 0;
    // wte's distinct rows and their expansion tables (copy_distinct_rows).
    HugePageBuffer distinct;
    std::vector<std::int32_t> distinct_tables;
    std::int64_t parameter_count = 0;
    DType dtype = DType::kF32;
};

Model::Model(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Model::Model(Model&&) noexcept = default;
Model& Model::operator=(Model&&) noexcept = default;
Model::~Model() = default;

Model Model::load(const std::filesystem::path& dir, const LoadOptions& options) {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec))
        throw Error("model directory '" + dir.string() + "' does not exist or is not a directory");
    const std::filesystem::path config_path = dir / "config.json";
    const std::filesystem::path weights_path = dir / "model.safetensors";
    Config config = load_config(config_path);
    SafetensorsFile file = SafetensorsFile::open(weights_path);

    auto impl = std::unique_ptr<Impl>(
        new Impl{dir, config, std::move(file), {}, {}, nullptr, 0, nullptr, 0, nullptr, {}, 0, DType::kF32});
    std::vector<WeightSlot> slots = weight_slots(impl->config, impl->weights);

    // Match file tensors to table rows (names with or without "transformer.").
    std::map<std::string, std::size_t, std::less<>> row_of;
    for (std::size_t i = 0; i < slots.size(); ++i) row_of.emplace(slots[i].spec.name, i);
    std::vector<const TensorView*> found(slots.size(), nullptr);
    std::vector<const TensorView*> found_scale(slots.size(), nullptr);
    std::vector<std::string> problems;
    const Config& c = impl->config;
    for (const TensorView& t : impl->file.tensors()) {
        std::string_view name = t.name;
        if (name.substr(0, kPrefix.size()) == kPrefix) name.remove_prefix(kPrefix.size());
        if (is_ignored_buffer(name)) continue;
        if (name == "lm_head.weight") {
            // The output projection is tied to wte; a separate copy must at
            // least have wte's shape (its values are not read).
            const std::vector<std::int64_t> want{c.vocab_size, c.n_embd};
            if (t.shape != want) {
                problems.push_back("'" + t.name + "' has shape " + shape_string(t.shape) + ", expected " +
                                   shape_string(want) + " (tied to wte.weight)");
            }
            continue;
        }
        // q8 matrices come as two tensors: "<name>.q8" (I8) and "<name>.scale" (F32).
        const bool is_q8 = ends_with(name, kQ8Suffix);
        const bool is_scale = ends_with(name, kScaleSuffix);
        if (is_q8) name.remove_suffix(kQ8Suffix.size());
        if (is_scale) name.remove_suffix(kScaleSuffix.size());
        auto it = row_of.find(name);
        if (it == row_of.end()) {
            problems.push_back("unexpected tensor '" + t.name + "' (not part of a GPT-2 with n_layer=" +
                               std::to_string(c.n_layer) + ")");
            continue;
        }
        std::vector<const TensorView*>& where = is_scale ? found_scale : found;
        if (where[it->second] != nullptr) {
            problems.push_back("tensor '" + slots[it->second].spec.name + (is_scale ? std::string(kScaleSuffix) : "") +
                               "' appears twice ('" + where[it->second]->name + "' and '" + t.name + "')");
            continue;
        }
        where[it->second] = &t;
        if (is_q8 != (t.dtype == DType::kI8) && !is_scale) {
            problems.push_back("tensor '" + t.name + "' has " +
                               (is_q8 ? "dtype " + t.dtype_name + " (a '.q8' tensor must be I8)"
                                      : "unsupported dtype I8 (I8 data must be a q8 matrix named '" +
                                            std::string(name) + ".q8' with '" + std::string(name) + ".scale')"));
        }
    }
    for (std::size_t i = 0; i < slots.size(); ++i) {
        const TensorSpec& spec = slots[i].spec;
        const TensorView* t = found[i];
        if (t == nullptr) {
            problems.push_back("missing tensor '" + spec.name + "' " + shape_string(spec.shape));
            continue;
        }
        if (t->dtype == DType::kUnsupported) {
            problems.push_back("tensor '" + t->name + "' has unsupported dtype " + t->dtype_name +
                               " (expected F32, F16 or BF16)");
        }
        const TensorView* scale = found_scale[i];
        if (t->dtype == DType::kI8 && !ends_with(t->name, kQ8Suffix)) continue;   // reported above
        if (t->dtype != DType::kI8) {
            if (scale != nullptr) problems.push_back("tensor '" + scale->name + "' belongs to no q8 matrix");
            if (t->shape != spec.shape) {
                problems.push_back("tensor '" + t->name + "' has shape " + shape_string(t->shape) + ", expected " +
                                   shape_string(spec.shape));
            }
            continue;
        }
        // q8: rows are outputs ([N, K]); one F32 scale per block of K.
        const bool quantizable = slots[i].role == TensorRole::kMatrix && spec.name != "wpe.weight";
        if (!quantizable) {
            problems.push_back("tensor '" + t->name + "': only the matrices other than wpe may be q8");
            continue;
        }
        const std::vector<std::int64_t> q_shape = q8_shape(spec);
        if (t->shape != q_shape) {
            problems.push_back("q8 tensor '" + t->name + "' has shape " + shape_string(t->shape) + ", expected " +
                               shape_string(q_shape) + " (rows = outputs)");
        }
        if (q_shape[1] % kQ8BlockSize != 0) {
            problems.push_back("q8 tensor '" + t->name + "': " + std::to_string(q_shape[1]) +
                               " inputs are not a multiple of the block size " + std::to_string(kQ8BlockSize));
            continue;
        }
        const std::vector<std::int64_t> s_shape{q_shape[0], q_shape[1] / kQ8BlockSize};
        if (scale == nullptr) {
            problems.push_back("missing tensor '" + spec.name + ".scale' " + shape_string(s_shape) + " for '" +
                               t->name + "'");
        } else if (scale->dtype != DType::kF32 || scale->shape != s_shape) {
            problems.push_back("tensor '" + scale->name + "' is " + scale->dtype_name + " " +
                               shape_string(scale->shape) + ", expected F32 " + shape_string(s_shape));
        }
    }
    if (!problems.empty()) {
        std::string msg = weights_path.string() + " does not match " + config_path.string() + " (n_layer=" +
                          std::to_string(c.n_layer) + ", n_embd=" + std::to_string(c.n_embd) + ", n_ctx=" +
                          std::to_string(c.n_ctx) + ", vocab_size=" + std::to_string(c.vocab_size) + "): " +
                          std::to_string(problems.size()) + " problem" + (problems.size() > 1 ? "s" : "") + ":";
        for (const std::string& p : problems) msg += "\n  - " + p;
        throw Error(msg);
    }

    // Bind the fields. F32, 16-bit and q8 matrices are used in place (zero
    // copy: nothing is read); 1-D 16-bit tensors (LayerNorm parameters and
    // biases, a few KB) are widened once into storage the Model owns, so
    // that only the matrix kernels deal with formats.
    impl->dtype = found[0]->dtype;   // wte: the checkpoint's storage dtype
    std::size_t converted_bytes = 0;
    const auto widen = [&](const TensorView& t, std::size_t n) {
        auto storage = std::unique_ptr<float[]>(new float[n]);
        if (t.dtype == DType::kF32) {
            std::memcpy(storage.get(), t.data, n * sizeof(float));
        } else {
            // 16-bit data may be misaligned only in files written without
            // header padding; copy it to aligned storage first then.
            std::vector<std::uint16_t> tmp(n);
            std::memcpy(tmp.data(), t.data, n * sizeof(std::uint16_t));
            if (t.dtype == DType::kF16) numeric::f16_to_f32(tmp.data(), storage.get(), n);
            else numeric::bf16_to_f32(tmp.data(), storage.get(), n);
        }
        converted_bytes += n * sizeof(float);
        const float* p = storage.get();
        impl->converted.push_back(std::move(storage));
        return p;
    };
    const auto aligned = [](const void* p, std::size_t a) { return reinterpret_cast<std::uintptr_t>(p) % a == 0; };
    for (std::size_t i = 0; i < slots.size(); ++i) {
        const TensorView& t = *found[i];
        WeightTensor& w = *slots[i].field;
        const auto n = static_cast<std::size_t>(t.numel());
        impl->parameter_count += static_cast<std::int64_t>(n);
        const bool matrix = slots[i].role == TensorRole::kMatrix;
        if (t.dtype == DType::kI8) {
            const TensorView& s = *found_scale[i];
            w.dtype = DType::kI8;
            w.data = t.data;
            w.scales = aligned(s.data, alignof(float)) ? reinterpret_cast<const float*>(s.data)
                                                       : widen(s, static_cast<std::size_t>(s.numel()));
        } else if (t.dtype == DType::kF32 && aligned(t.data, alignof(float))) {
            w.dtype = DType::kF32;
            w.data = t.data;
        } else if (t.dtype != DType::kF32 && matrix && aligned(t.data, alignof(std::uint16_t))) {
            w.dtype = t.dtype;
            w.data = t.data;
        } else {
            w.dtype = DType::kF32;
            w.data = widen(t, n);
        }
    }
    std::size_t distinct_bytes = 0;
    if (options.distinct_logit_rows)
        distinct_bytes = copy_distinct_rows(impl->weights, impl->distinct, impl->distinct_tables);
    impl->streamed_bytes = distinct_bytes;
    if (options.decode_panels) impl->panel_bytes = pack_decode_panels(impl->weights, impl->panels);
    if (options.huge_page_copies) impl->streamed_bytes += copy_streamed_tensors(impl->weights, impl->streamed);
    spdlog::debug("loaded {} ({} tensors, {} parameters, {}; {} bytes of 1-D tensors widened to F32, {} bytes of decode "
                  "panels, {} bytes copied into huge pages, {} of them wte's {} distinct rows)",
                  dir.string(), slots.size(), impl->parameter_count, dtype_name(impl->dtype), converted_bytes,
                  impl->panel_bytes, impl->streamed_bytes, distinct_bytes,
                  impl->weights.wte_distinct.rows.shape[0]);
    return Model(std::move(impl));
}

const Config& Model::config() const { return impl_->config; }
const Weights& Model::weights() const { return impl_->weights; }
const SafetensorsFile& Model::file() const { return impl_->file; }
const std::filesystem::path& Model::dir() const { return impl_->dir; }
std::int64_t Model::parameter_count() const { return impl_->parameter_count; }
DType Model::dtype() const { return impl_->dtype; }
std::int64_t Model::decode_panel_bytes() const { return static_cast<std::int64_t>(impl_->panel_bytes); }
std::int64_t Model::huge_page_copy_bytes() const { return static_cast<std::int64_t>(impl_->streamed_bytes); }
std::int64_t Model::distinct_logit_rows() const { return impl_->weights.wte_distinct.rows.shape[0]; }

Model::DecodeCopyBytes Model::default_decode_copy_bytes() const {
    Weights plan_on = impl_->weights;   // the plans take addresses; the Model's weights stay as they are
    // wte's distinct rows, when the load found them, are a huge-page copy too
    // (none: an empty tensor, 0 bytes).
    return {static_cast<std::int64_t>(plan_decode_panels(plan_on).total),
            static_cast<std::int64_t>(plan_streamed_copies(plan_on).total) + stored_bytes(plan_on.wte_distinct.rows)};
}

std::int64_t Model::decode_weight_bytes() const {
    const Weights& w = impl_->weights;
    const std::int64_t f32 = sizeof(float);
    // The logits read wte, or its distinct rows and the other tokens' tables.
    const std::int64_t logits =
        w.wte_distinct.rows.data != nullptr
            ? stored_bytes(w.wte_distinct.rows) + 2 * w.wte_distinct.n_others * std::int64_t{sizeof(std::int32_t)}
            : stored_bytes(w.wte);
    std::int64_t bytes = logits + stored_bytes(w.wpe) / w.wpe.shape[0] +
                         (w.ln_f_weight.numel() + w.ln_f_bias.numel()) * f32;
    for (const LayerWeights& l : w.layers) {
        for (LayerField field : block_matrix_fields()) bytes += stored_bytes(l.*field);
        for (LayerField field : block_vector_fields()) bytes += (l.*field).numel() * f32;
    }
    return bytes;
}

}  // namespace gpt2
