#pragma once
// Models shared by the forward-pass benchmarks (bench_forward, bench_batch):
// random checkpoints written once under $TMPDIR and reused, since
// write_random_model is deterministic.
#include <filesystem>
#include <memory>
#include <string>

#include "gpt2/model.hpp"
#include "gpt2/random_model.hpp"

namespace gpt2::bench {

// The random F32 checkpoint of `preset` ("124M" or "tiny") in
// $TMPDIR/gpt2-bench-<preset>-f32, written on first use, loaded once.
inline const Model& random_f32_model(const std::string& preset) {
    static std::unique_ptr<Model> models[2];
    std::unique_ptr<Model>& slot = models[preset == "124M" ? 0 : 1];
    if (!slot) {
        const std::filesystem::path dir = std::filesystem::temp_directory_path() / ("gpt2-bench-" + preset + "-f32");
        if (!std::filesystem::exists(dir / "model.safetensors") || !std::filesystem::exists(dir / "config.json")) {
            RandomModelSpec spec = random_model_preset(preset);
            spec.dtype = DType::kF32;
            write_random_model(dir, spec);
        }
        slot = std::make_unique<Model>(Model::load(dir));
    }
    return *slot;
}

}  // namespace gpt2::bench
