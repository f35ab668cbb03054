#pragma once
// A loaded GPT-2 model: configuration + weights. Immutable after load().
//
//   gpt2::Model model = gpt2::Model::load("models/kjv-small");
//   gpt2::Session session(model, {.max_tokens = 256});
//
// Ownership and threads: the Model owns the memory map of model.safetensors.
// Matrices (wte, wpe and the four per block) are used in the format the file
// stores: F32, F16, BF16, or q8 (int8 + per-block F32 scales, written by
// gpt2::convert_model; see weights.hpp for the layout). With
// LoadOptions{.decode_panels = false, .huge_page_copies = false,
// .distinct_logit_rows = false} they are used in place, zero copy, and
// load() reads only the header; by default it also makes decode's copies
// (see LoadOptions). 1-D tensors (LayerNorm parameters, biases)
// are F32 in memory: 16-bit ones are widened once into storage the Model
// owns. dtype() reports what the checkpoint stores its wte in. Pointers stay
// valid when the Model is moved. The Model is const after load and may be
// shared by any number of Sessions and threads. It is movable, not
// copyable. It must outlive every Session made from it.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "gpt2/config.hpp"
#include "gpt2/safetensors.hpp"
#include "gpt2/weights.hpp"

namespace gpt2 {

// One row of the checkpoint name table: how a weight field is called in a
// Hugging Face checkpoint and what shape it must have.
struct TensorSpec {
    std::string name;                       // e.g. "h.3.attn.c_attn.weight" (without "transformer.")
    std::vector<std::int64_t> shape;
};

// The checkpoint's tensor names and shapes for a config, in a fixed order.
// Loading, validation, parameter counting, the test-model generator and the
// tests all iterate this one table.
std::vector<TensorSpec> checkpoint_tensor_specs(const Config& config);

struct LoadOptions {
    // Also keep the layers' F32/16-bit matrices repacked in 16-column panels
    // (WeightTensor::panels), which single-token decode streams faster and
    // prefill's tiles read without copying blocks out of the matrix
    // (docs/benchmarks.md), at the cost of a second copy of those matrices
    // in memory and a repacking pass at load (124M F32: +340 MB, ~0.1 s).
    // Off: decode and prefill read the mapped matrices, with bit-identical
    // results.
    bool decode_panels = true;
    // Also copy the tensors decode streams as stored (wte, which the logits
    // read in full every step, and the q8 matrices with their scales) from
    // the file map into memory advised as 2 MB pages, which one core reads
    // ~15-20% faster than 4 KB pages (docs/benchmarks.md, tenth round). A
    // second copy of those tensors (124M: +147 MiB F32, +74 MiB 16-bit,
    // +132 MiB q8). Off: they are read in place, with bit-identical results.
    bool huge_page_copies = true;
    // Find the rows of wte that are byte for byte the same (lib/distinct_rows.hpp)
    // and, when at most three quarters of them are distinct, keep a copy of
    // the distinct rows (Weights::wte_distinct) for the logits, which then
    // compute each distinct row once, with the same bits. The bundled default
    // model shares one row among 40,462 unused tokens: 9,796 distinct rows of
    // 50,257 (docs/benchmarks.md, fifteenth round). F32/16-bit wte only; a
    // q8 wte is read as it is. Off: the logits read wte.
    bool distinct_logit_rows = true;
};

class Model {
public:
    // Reads DIR/config.json and DIR/model.safetensors. Accepts names with or
    // without the "transformer." prefix (q8 matrices as "<name>.q8" I8 +
    // "<name>.scale" F32), ignores attn.bias/attn.masked_bias
    // buffers, ties the output projection to wte (an "lm_head.weight" in the
    // file must have wte's shape [V, C]; its values are not read). Throws
    // gpt2::Error listing *all* problems at once: missing tensors, wrong
    // shapes, unsupported dtypes, unexpected or duplicated tensors (e.g.
    // h.12.* when config.json says n_layer 12).
    static Model load(const std::filesystem::path& dir, const LoadOptions& options = {});

    Model(Model&&) noexcept;
    Model& operator=(Model&&) noexcept;
    Model(const Model&) = delete;
    Model& operator=(const Model&) = delete;
    ~Model();

    const Config& config() const;
    const Weights& weights() const;
    const SafetensorsFile& file() const;
    const std::filesystem::path& dir() const;
    // Number of parameters (the tied output projection counted once).
    std::int64_t parameter_count() const;
    // The dtype the checkpoint stores its matrices in (that of wte.weight;
    // kI8 for a q8 checkpoint).
    DType dtype() const;
    // Bytes of the decode panels (LoadOptions::decode_panels; 0 without).
    std::int64_t decode_panel_bytes() const;
    // Bytes of the huge-page copies (LoadOptions::huge_page_copies, and wte's
    // distinct rows of distinct_logit_rows; 0 without either).
    std::int64_t huge_page_copy_bytes() const;
    // Rows of Weights::wte_distinct (LoadOptions::distinct_logit_rows; 0
    // when the logits read wte).
    std::int64_t distinct_logit_rows() const;
    // The bytes the default LoadOptions add for this checkpoint (what
    // decode_panel_bytes() and huge_page_copy_bytes() report after a
    // default load), whether or not this Model made the copies: so that
    // `gpt2 info` can report them from a header-only load.
    struct DecodeCopyBytes {
        std::int64_t panels = 0;
        std::int64_t huge_page_copies = 0;
    };
    DecodeCopyBytes default_decode_copy_bytes() const;
    // Bytes of weights one decode step reads: every matrix and wte as
    // stored (16-bit: 2 bytes, q8: 1 byte plus its scales; the panels hold
    // the same bytes; with distinct_logit_rows() > 0, wte's distinct rows
    // and the tables that spread their logits instead of wte), the 1-D
    // parameters as F32 (as in memory), and one row of wpe. Decode tokens/s times this, over the read bandwidth, is the
    // step's roofline fraction (`gpt2 bench --roofline`).
    std::int64_t decode_weight_bytes() const;

private:
    struct Impl;
    explicit Model(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace gpt2
