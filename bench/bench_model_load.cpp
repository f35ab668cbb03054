// Model::load on a GPT-2 124M-shaped F32 checkpoint: wall time per load and
// the process's resident memory right after the first load (VmRSS from
// /proc/self/status). Loading must only parse the header: the ~500 MB of
// tensor data stays unread (mapped, not resident).
//
//   GPT2_BENCH_MODEL=DIR build/release/bin/bench_model_load
// Without GPT2_BENCH_MODEL a random 124M F32 model is generated once into
// $TMPDIR/gpt2-bench-124M-f32 (outside the timed region).
#include <cstdlib>
#include <fstream>
#include <string>

#include <benchmark/benchmark.h>

#include "gpt2/model.hpp"
#include "gpt2/random_model.hpp"

namespace {

double vm_rss_mib() {
    std::ifstream in("/proc/self/status");
    std::string key;
    while (in >> key) {
        if (key == "VmRSS:") {
            double kib = 0;
            in >> kib;
            return kib / 1024.0;
        }
        std::getline(in, key);
    }
    return -1;
}

std::filesystem::path bench_model_dir() {
    if (const char* dir = std::getenv("GPT2_BENCH_MODEL"); dir != nullptr && *dir != '\0') return dir;
    const auto dir = std::filesystem::temp_directory_path() / "gpt2-bench-124M-f32";
    if (!std::filesystem::exists(dir / "model.safetensors")) {
        gpt2::RandomModelSpec spec = gpt2::random_model_preset("124M");
        gpt2::write_random_model(dir, spec, gpt2::default_tokenizer_dir());
    }
    return dir;
}

void BM_ModelLoad(benchmark::State& state) {
    const auto dir = bench_model_dir();
    const double rss_before = vm_rss_mib();
    double rss_after = 0;
    std::int64_t params = 0;
    for (auto _ : state) {
        gpt2::Model model = gpt2::Model::load(dir);
        if (rss_after == 0) rss_after = vm_rss_mib();
        params = model.parameter_count();
        benchmark::DoNotOptimize(model.weights().wte.data);
    }
    state.counters["file_MiB"] =
        static_cast<double>(std::filesystem::file_size(dir / "model.safetensors")) / (1 << 20);
    state.counters["params_M"] = static_cast<double>(params) / 1e6;
    state.counters["rss_before_MiB"] = rss_before;
    state.counters["rss_after_load_MiB"] = rss_after;
}
BENCHMARK(BM_ModelLoad)->Unit(benchmark::kMillisecond);

}  // namespace
