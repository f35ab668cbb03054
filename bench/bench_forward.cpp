// Forward-pass speed on a GPT-2-124M-shaped random F32 model: prefill of 128
// and 512 tokens, and one decode step at a context of 128 and 1024 (the
// KV cache already holding ctx - 1 positions), threads 1 and 2.
//
//   build/release/bin/bench_forward --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
//
// The checkpoint is written once to $TMPDIR/gpt2-bench-124M-f32 (write_random_model
// is deterministic, so an existing copy is reused). Counters: tokens_per_s
// (prefill: prompt tokens per second; decode: steps per second) and, for
// decode, weight_GB_per_s = bytes of weights read per step ÷ time (the
// roofline figure: every matrix and the tied wte are streamed once a step).
#include <benchmark/benchmark.h>

#include <sys/resource.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "gpt2/model.hpp"
#include "gpt2/random_model.hpp"
#include "gpt2/session.hpp"
#include "bench_models.hpp"

namespace {

const gpt2::Model& model_124m() { return gpt2::bench::random_f32_model("124M"); }

// The "tiny" preset (2 layers, 64 wide, GPT-2 vocabulary): a decode step is
// ~0.5 MB of weights, so this measures the fixed costs (kernel launches,
// thread wake-ups) rather than bandwidth.
const gpt2::Model& model_tiny() { return gpt2::bench::random_f32_model("tiny"); }

std::vector<std::int32_t> ids(int n) {
    std::vector<std::int32_t> out(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) out[static_cast<std::size_t>(i)] = static_cast<std::int32_t>((i * 7919 + 13) % 50257);
    return out;
}

// Bytes a decode step must read: every weight once (wte doubles as the
// output projection but is read once, for the logits; the embedding reads
// one row).
double weight_bytes(const gpt2::Model& m) { return static_cast<double>(m.parameter_count()) * sizeof(float); }

double peak_rss_mb() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_maxrss) / 1024.0;   // ru_maxrss is in KiB on Linux
}

void BM_Prefill(benchmark::State& state) {
    const gpt2::Model& model = model_124m();
    const int T = static_cast<int>(state.range(0));
    gpt2::Session session(model, {.max_tokens = T, .n_threads = static_cast<int>(state.range(1))});
    const std::vector<std::int32_t> prompt = ids(T);
    for (auto _ : state) {
        session.rewind(0);
        benchmark::DoNotOptimize(session.eval(prompt).data());
    }
    state.counters["tokens_per_s"] = benchmark::Counter(T, benchmark::Counter::kIsIterationInvariantRate);
}

void BM_Decode(benchmark::State& state) {
    const gpt2::Model& model = model_124m();
    const int ctx = static_cast<int>(state.range(0));
    gpt2::Session session(model, {.max_tokens = ctx, .n_threads = static_cast<int>(state.range(1))});
    const std::vector<std::int32_t> prompt = ids(ctx);
    session.eval({prompt.data(), static_cast<std::size_t>(ctx - 1)});
    for (auto _ : state) {
        benchmark::DoNotOptimize(session.eval({&prompt.back(), 1}).data());   // position ctx - 1
        session.rewind(ctx - 1);
    }
    state.counters["tokens_per_s"] = benchmark::Counter(1, benchmark::Counter::kIsIterationInvariantRate);
    state.counters["weight_GB_per_s"] =
        benchmark::Counter(weight_bytes(model) / 1e9, benchmark::Counter::kIsIterationInvariantRate);
    state.counters["peak_rss_MB"] = peak_rss_mb();
}

void BM_DecodeTiny(benchmark::State& state) {
    const gpt2::Model& model = model_tiny();
    const int ctx = 64;
    gpt2::Session session(model, {.max_tokens = ctx, .n_threads = static_cast<int>(state.range(0))});
    const std::vector<std::int32_t> prompt = ids(ctx);
    session.eval({prompt.data(), static_cast<std::size_t>(ctx - 1)});
    for (auto _ : state) {
        benchmark::DoNotOptimize(session.eval({&prompt.back(), 1}).data());
        session.rewind(ctx - 1);
    }
    state.counters["tokens_per_s"] = benchmark::Counter(1, benchmark::Counter::kIsIterationInvariantRate);
}

// The fixed cost of a step: the 124M model's structure (12 layers, so the same
// number of kernel calls and thread-pool hand-offs per step) with every
// tensor small. BM_StepOverhead: 64 wide, 64-token vocabulary: 0.6 M
// parameters, i.e. 2.4 MB of F32 weights plus 0.4 MB of KV cache read per
// step: more than a core's L2 (1 MB on the 2-core test machine), so its step
// also streams 2.8 MB from L3 (~120 µs at one core's ~24 GB/s there).
// BM_StepOverheadInL2: 32 wide (2 heads of 16): 0.6 MB of weights and 0.2 MB
// of cache, resident in L2, so its step time is the fixed cost alone (kernel
// calls, pool decisions, attention over 64 positions). Counter step_MB: the
// bytes of weights and cache a step reads.
const gpt2::Model& model_overhead(int n_embd) {
    static std::unique_ptr<gpt2::Model> models[2];
    std::unique_ptr<gpt2::Model>& model = models[n_embd == 64 ? 0 : 1];
    if (!model) {
        const std::filesystem::path dir =
            std::filesystem::temp_directory_path() / ("gpt2-bench-overhead-f32" + std::string(n_embd == 64 ? "" : "-32"));
        gpt2::RandomModelSpec spec = gpt2::random_model_preset("tiny");
        spec.config.n_layer = 12;
        spec.config.n_embd = n_embd;
        spec.config.n_head = n_embd / 16;
        spec.config.vocab_size = 64;
        spec.config.bos_token_id = spec.config.eos_token_id = 63;
        gpt2::write_random_model(dir, spec);
        model = std::make_unique<gpt2::Model>(gpt2::Model::load(dir));
    }
    return *model;
}

void step_overhead(benchmark::State& state, int n_embd) {
    const gpt2::Model& model = model_overhead(n_embd);
    const int ctx = 64;
    gpt2::Session session(model, {.max_tokens = ctx, .n_threads = static_cast<int>(state.range(0))});
    std::vector<std::int32_t> prompt(ctx);
    for (int i = 0; i < ctx; ++i) prompt[static_cast<std::size_t>(i)] = (i * 7) % 64;
    session.eval({prompt.data(), static_cast<std::size_t>(ctx - 1)});
    for (auto _ : state) {
        benchmark::DoNotOptimize(session.eval({&prompt.back(), 1}).data());
        session.rewind(ctx - 1);
    }
    const gpt2::Config& c = model.config();
    const double cache_bytes = 2.0 * c.n_layer * ctx * c.n_embd * sizeof(float);
    state.counters["tokens_per_s"] = benchmark::Counter(1, benchmark::Counter::kIsIterationInvariantRate);
    state.counters["step_MB"] = (weight_bytes(model) + cache_bytes) / 1e6;
}

void BM_StepOverhead(benchmark::State& state) { step_overhead(state, 64); }
void BM_StepOverheadInL2(benchmark::State& state) { step_overhead(state, 32); }

}  // namespace

BENCHMARK(BM_StepOverhead)->ArgName("threads")->Arg(1)->Arg(2)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_StepOverheadInL2)->ArgName("threads")->Arg(1)->Arg(2)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_DecodeTiny)->ArgName("threads")->Arg(1)->Arg(2)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_Prefill)->ArgNames({"T", "threads"})->ArgsProduct({{128, 512}, {1, 2}})->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_Decode)->ArgNames({"ctx", "threads"})->ArgsProduct({{128, 1024}, {1, 2}})->Unit(benchmark::kMillisecond)
    ->UseRealTime();
