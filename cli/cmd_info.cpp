// gpt2 info --model DIR [--json]: what a checkpoint holds and what it costs.
#include <cstdint>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "gpt2/model.hpp"
#include "gpt2/session.hpp"
#include "options.hpp"

namespace gpt2::cli {

namespace {

struct InfoOptions {
    std::string model_dir;
    KvDtype kv_dtype = KvDtype::kF32;   // the KV cache the estimate counts
    bool json = false;
};

// Resident bytes while running: the weights as the engine computes with them
// (every matrix, F32, F16, BF16 or q8, is used in place from the memory map,
// so the whole file; 1-D tensors stored in 16 bits are also widened to F32
// copies), decode's panel copy of the layer matrices and its huge-page
// copies of wte (or of its distinct rows) and q8 matrices (Model::load's defaults; the file pages those
// were copied from are not read again, and the OS may reclaim them), plus the
// KV cache of a session at full context, K and V per
// layer: 2 x L x T x C x 4 bytes (F32; 2 with --kv-dtype f16). Activation scratch (a few x T x 4C
// floats) is not included.
struct MemoryEstimate {
    std::int64_t weights_bytes;
    std::int64_t decode_panels_bytes;
    std::int64_t huge_page_copies_bytes;
    std::int64_t kv_cache_bytes;
    std::int64_t total() const {
        return weights_bytes + decode_panels_bytes + huge_page_copies_bytes + kv_cache_bytes;
    }
};

MemoryEstimate estimate_memory(const Model& model, KvDtype kv) {
    const Config& c = model.config();
    std::int64_t widened = 0;
    for (const TensorView& t : model.file().tensors())
        if (t.shape.size() == 1 && (t.dtype == DType::kF16 || t.dtype == DType::kBF16))
            widened += t.numel() * static_cast<std::int64_t>(sizeof(float));
    const Model::DecodeCopyBytes copies = model.default_decode_copy_bytes();
    return {static_cast<std::int64_t>(model.file().file_size()) + widened, copies.panels, copies.huge_page_copies,
            2LL * c.n_layer * c.n_ctx * c.n_embd * kv_element_bytes(kv)};
}

std::string shape_string(const std::vector<std::int64_t>& shape) {
    return "[" + fmt::format("{}", fmt::join(shape, ", ")) + "]";
}

std::string mib(std::int64_t bytes) { return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1 << 20)); }

void print_json(const Model& model, KvDtype kv) {
    const Config& c = model.config();
    const MemoryEstimate mem = estimate_memory(model, kv);
    nlohmann::ordered_json tensors = nlohmann::ordered_json::array();
    for (const TensorView& t : model.file().tensors()) {
        tensors.push_back({{"name", t.name}, {"dtype", t.dtype_name}, {"shape", t.shape}, {"bytes", t.nbytes}});
    }
    nlohmann::ordered_json j = {
        {"model", model.dir().string()},
        {"config", nlohmann::ordered_json::parse(config_to_json(c))},
        {"dtype", dtype_name(model.dtype())},
        {"parameter_count", model.parameter_count()},
        {"distinct_logit_rows", model.distinct_logit_rows()},
        {"file", model.file().path().string()},
        {"file_size", model.file().file_size()},
        {"tensors", tensors},
        {"memory", {{"weights_bytes", mem.weights_bytes},
                    {"decode_panels_bytes", mem.decode_panels_bytes},
                    {"huge_page_copies_bytes", mem.huge_page_copies_bytes},
                    {"kv_cache_bytes", mem.kv_cache_bytes},
                    {"kv_cache_dtype", kv_dtype_name(kv)},
                    {"total_bytes", mem.total()}}},
    };
    fmt::print("{}\n", j.dump(2));
}

void print_text(const Model& model, KvDtype kv) {
    const Config& c = model.config();
    const MemoryEstimate mem = estimate_memory(model, kv);
    fmt::print("model       {}\n", model.dir().string());
    fmt::print("config      n_layer {}, n_head {}, n_embd {}, n_ctx {}, vocab_size {}, layer_norm_epsilon {}, "
               "activation {}\n",
               c.n_layer, c.n_head, c.n_embd, c.n_ctx, c.vocab_size, c.layer_norm_epsilon,
               c.activation_function);
    fmt::print("dtype       {}\n", dtype_name(model.dtype()));
    fmt::print("parameters  {} ({:.1f} M; output projection tied to wte)\n", model.parameter_count(),
               static_cast<double>(model.parameter_count()) / 1e6);
    if (const std::int64_t d = model.distinct_logit_rows(); d > 0) {
        const std::int64_t shared = c.vocab_size - model.weights().wte_distinct.n_others;
        fmt::print("logits      over wte's {} distinct rows ({} tokens share one row; the same logits, each "
                   "distinct row computed once)\n",
                   d, shared);
    }
    fmt::print("file        {} ({} bytes, {})\n", model.file().path().string(), model.file().file_size(),
               mib(static_cast<std::int64_t>(model.file().file_size())));
    fmt::print("memory      {} = weights {} (mapped in place) + decode panels {} + huge-page copies {} + KV cache at "
               "n_ctx {} (2 x {} layers x {} positions x {} x {} bytes, {})\n",
               mib(mem.total()), mib(mem.weights_bytes), mib(mem.decode_panels_bytes),
               mib(mem.huge_page_copies_bytes), mib(mem.kv_cache_bytes),
               c.n_layer, c.n_ctx, c.n_embd, kv_element_bytes(kv), kv_dtype_name(kv));
    const auto& tensors = model.file().tensors();
    std::size_t width = 4;
    for (const TensorView& t : tensors) width = std::max(width, t.name.size());
    fmt::print("tensors     {}\n", tensors.size());
    fmt::print("  {:<{}}  {:<5}  {:<14}  {:>12}\n", "name", width, "dtype", "shape", "bytes");
    for (const TensorView& t : tensors) {
        fmt::print("  {:<{}}  {:<5}  {:<14}  {:>12}\n", t.name, width, t.dtype_name, shape_string(t.shape),
                   t.nbytes);
    }
}

}  // namespace

void add_info_command(CLI::App& app) {
    auto options = std::make_shared<InfoOptions>();
    CLI::App* cmd = app.add_subcommand("info", "Show a model's config, parameter count, tensors, sizes and memory needs");
    cmd->add_option("-m,--model", options->model_dir, "Model directory (config.json + model.safetensors)")
        ->required();
    add_kv_dtype_option(*cmd, options->kv_dtype);
    cmd->add_flag("--json", options->json, "Print one JSON object instead of text");
    cmd->footer("Example:\n  gpt2 make-model --preset tiny --out /tmp/tiny && gpt2 info --model /tmp/tiny\n");
    cmd->callback([options] {
        // Header only: the sizes of decode's copies are computed, not made.
        const Model model = Model::load(options->model_dir, {.decode_panels = false, .huge_page_copies = false});
        if (options->json) print_json(model, options->kv_dtype);
        else print_text(model, options->kv_dtype);
    });
}

}  // namespace gpt2::cli
