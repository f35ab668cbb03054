// Decode and prefill speed per weight format (F32, BF16, F16, q8) on a
// GPT-2-124M-shaped random model, threads 1 and 2, with the read bandwidth
// measured in the same run (BM_ReadBandwidth, from read_bandwidth.hpp) so
// the roofline fraction of a decode step is weight_GB_per_s / GB_per_s of
// the probe (both 10^9 bytes/s).
//
//   build/release/bin/bench_formats --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
//   build/release/bin/bench_formats --benchmark_filter='Decode/fmt:0'
//
// Models are written once to $GPT2_BENCH_DIR (default /tmp/gpt2-bench):
// 124M-f32 by the random-model generator (seed 1234), the others by
// gpt2::convert_model from it. Format index: 0 f32, 1 bf16, 2 f16, 3 q8.
// GPT2_ISA=avx2|scalar caps the kernels' instruction set (kernels/cpu.hpp).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <vector>

#include "gpt2/convert.hpp"
#include "gpt2/model.hpp"
#include "gpt2/random_model.hpp"
#include "gpt2/session.hpp"
#include "read_bandwidth.hpp"

namespace {

namespace fs = std::filesystem;
using gpt2::WeightFormat;

constexpr WeightFormat kFormats[] = {WeightFormat::kF32, WeightFormat::kBF16, WeightFormat::kF16, WeightFormat::kQ8};

fs::path bench_dir() {
    const char* env = std::getenv("GPT2_BENCH_DIR");
    return env ? fs::path(env) : fs::path("/tmp/gpt2-bench");
}

// The model for a preset and format, generated or converted on first use and
// kept loaded for the process.
const gpt2::Model& model(const std::string& preset, WeightFormat f) {
    static std::map<std::pair<std::string, int>, std::unique_ptr<gpt2::Model>> cache;
    auto& slot = cache[{preset, static_cast<int>(f)}];
    if (slot) return *slot;
    const fs::path f32 = bench_dir() / (preset + "-f32");
    if (!fs::exists(f32 / "model.safetensors"))
        gpt2::write_random_model(f32, gpt2::random_model_preset(preset), gpt2::default_tokenizer_dir());
    fs::path dir = f32;
    if (f != WeightFormat::kF32) {
        dir = bench_dir() / (preset + "-" + gpt2::weight_format_name(f));
        if (!fs::exists(dir / "model.safetensors")) gpt2::convert_model(f32, dir, f);
    }
    slot = std::make_unique<gpt2::Model>(gpt2::Model::load(dir));
    return *slot;
}

std::vector<std::int32_t> random_ids(int n, int vocab) {
    std::mt19937 rng(42);
    std::uniform_int_distribution<std::int32_t> dist(0, vocab - 1);
    std::vector<std::int32_t> ids(static_cast<std::size_t>(n));
    for (auto& id : ids) id = dist(rng);
    return ids;
}

// One decode step at a fixed context: prefill `context` tokens once, then
// each iteration evaluates one token and rewinds.
void decode(benchmark::State& state, const std::string& preset) {
    const WeightFormat f = kFormats[state.range(0)];
    const int threads = static_cast<int>(state.range(1));
    const int context = static_cast<int>(state.range(2));
    const gpt2::Model& m = model(preset, f);
    gpt2::Session s(m, {.max_tokens = context + 1, .n_threads = threads});
    const auto ids = random_ids(context + 1, m.config().vocab_size);
    s.eval(std::span<const std::int32_t>(ids.data(), static_cast<std::size_t>(context)));
    for (auto _ : state) {
        benchmark::DoNotOptimize(s.eval(std::span<const std::int32_t>(&ids[static_cast<std::size_t>(context)], 1)));
        s.rewind(context);
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
    state.counters["weight_GB_per_s"] =
        benchmark::Counter(static_cast<double>(m.decode_weight_bytes()) / 1e9,   // the roofline's bytes (gpt2 bench)
                           benchmark::Counter::kIsIterationInvariantRate);
    state.SetLabel(gpt2::weight_format_name(f));
}

void BM_Decode(benchmark::State& state) { decode(state, "124M"); }
BENCHMARK(BM_Decode)
    ->ArgNames({"fmt", "threads", "context"})
    ->ArgsProduct({{0, 1, 2, 3}, {1, 2}, {128, 512, 1000}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// The tiny test model (2 layers, 64 wide): a step is almost all fixed cost
// (kernel launches, pool wake-ups, the 50257-row logits), the per-step
// overhead figure.
void BM_DecodeTiny(benchmark::State& state) { decode(state, "tiny"); }
BENCHMARK(BM_DecodeTiny)
    ->ArgNames({"fmt", "threads", "context"})
    ->ArgsProduct({{0, 3}, {1, 2}, {64}})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

void BM_Prefill(benchmark::State& state) {
    const WeightFormat f = kFormats[state.range(0)];
    const int threads = static_cast<int>(state.range(1));
    const int T = static_cast<int>(state.range(2));
    const gpt2::Model& m = model("124M", f);
    gpt2::Session s(m, {.max_tokens = T, .n_threads = threads});
    const auto ids = random_ids(T, m.config().vocab_size);
    for (auto _ : state) {
        benchmark::DoNotOptimize(s.eval(ids));
        s.rewind(0);
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * T);
    state.SetLabel(gpt2::weight_format_name(f));
}
BENCHMARK(BM_Prefill)
    ->ArgNames({"fmt", "threads", "tokens"})
    ->ArgsProduct({{0, 1, 2, 3}, {1, 2}, {128, 512}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
