// Sampler speed on a GPT-2-sized vocabulary (50,257 logits).
//
//   build/release/bin/bench_sampling --benchmark_min_time=0.2
//
// Two synthetic logit shapes, generated once with a fixed seed:
//   peaked (arg 0): Zipf-like, z = -1.8 ln(rank) + N(0, 0.3) with ranks
//                   permuted over ids: top-1 p ~ 0.5, like a confident step;
//   flat   (arg 1): z ~ N(0, 1.5): top-1 p ~ 1e-3, nucleus(0.95) ~ 35k tokens,
//                   the worst case for top-p;
//   tied   (arg 2): a trained small model's step: 80% of the ids (spread
//                   over the vocabulary) share one low logit, the rest
//                   N(0, 2.5) -- the bundled default model never saw most
//                   of GPT-2's tokens, and 40,462 of its logits are equal.
// Every benchmark includes Candidates::load() (copy + checks), as a real
// step does; BM_Load alone shows that share. BM_ComputeStats is the
// exception: compute_stats only reads its input, so it is loaded once.
#include <algorithm>
#include <cmath>
#include <memory>
#include <numeric>
#include <random>
#include <vector>

#include <benchmark/benchmark.h>

#include "gpt2/sampling.hpp"

namespace gs = gpt2::sampling;

namespace {

constexpr std::size_t kVocab = 50257;

const std::vector<float>& logits_for(int shape) {
    static const std::vector<float> peaked = [] {
        std::mt19937_64 gen(1);
        std::vector<std::size_t> rank(kVocab);
        std::iota(rank.begin(), rank.end(), std::size_t{1});
        std::shuffle(rank.begin(), rank.end(), gen);
        std::normal_distribution<float> noise(0.0f, 0.3f);
        std::vector<float> z(kVocab);
        for (std::size_t i = 0; i < kVocab; ++i) z[i] = -1.8f * std::log(static_cast<float>(rank[i])) + noise(gen);
        return z;
    }();
    static const std::vector<float> flat = [] {
        std::mt19937_64 gen(2);
        std::normal_distribution<float> normal(0.0f, 1.5f);
        std::vector<float> z(kVocab);
        for (float& v : z) v = normal(gen);
        return z;
    }();
    static const std::vector<float> tied = [] {
        std::mt19937_64 gen(3);
        std::normal_distribution<float> normal(0.0f, 2.5f);
        std::vector<float> z(kVocab);
        for (float& v : z) v = gen() % 5 == 0 ? normal(gen) : -4.0f;
        return z;
    }();
    return shape == 0 ? peaked : shape == 1 ? flat : tied;
}

const char* shape_label(std::int64_t shape) { return shape == 0 ? "peaked" : shape == 1 ? "flat" : "tied"; }

void run_stage(benchmark::State& state, gs::Sampler& stage) {
    const auto& z = logits_for(static_cast<int>(state.range(0)));
    gs::Candidates cand;
    gs::Rng rng(42);
    for (auto _ : state) {
        cand.load(z);
        stage.apply(cand, rng);
        benchmark::DoNotOptimize(cand.size());
    }
    state.SetLabel(shape_label(state.range(0)));
}

void BM_Load(benchmark::State& state) {
    const auto& z = logits_for(static_cast<int>(state.range(0)));
    gs::Candidates cand;
    for (auto _ : state) {
        cand.load(z);
        benchmark::DoNotOptimize(cand.size());
    }
    state.SetLabel(shape_label(state.range(0)));
}

// Calibration: copying the 50,257 logits (201 KB). On a quiet core this is
// a few microseconds; on a loaded machine every figure here inflates by about
// the same factor as this one.
void BM_CopyReference(benchmark::State& state) {
    const auto& z = logits_for(static_cast<int>(state.range(0)));
    std::vector<float> out(z.size());
    for (auto _ : state) {
        std::copy(z.begin(), z.end(), out.begin());
        benchmark::DoNotOptimize(out.data());
        benchmark::ClobberMemory();
    }
}

void BM_Softmax(benchmark::State& state) {
    const auto& z = logits_for(static_cast<int>(state.range(0)));
    gs::Candidates cand;
    for (auto _ : state) {
        cand.load(z);
        cand.compute_probs();
        benchmark::DoNotOptimize(cand.probs().data());
    }
    state.SetLabel(shape_label(state.range(0)));
}

// compute_stats with a reused scratch, as compare and generate --stats call
// it (twice per strategy per token): entropy, support, top-1 and the 0.90 /
// 0.95 nucleus sizes of all 50,257 logits.
void BM_ComputeStats(benchmark::State& state) {
    const auto& z = logits_for(static_cast<int>(state.range(0)));
    gs::Candidates cand;
    cand.load(z);
    gs::StatsScratch scratch;
    for (auto _ : state) {
        const gs::DistStats st = gs::compute_stats(cand, scratch);
        benchmark::DoNotOptimize(st.nucleus_95);
    }
    state.SetLabel(shape_label(state.range(0)));
}

void BM_Greedy(benchmark::State& s) { gs::Greedy st; run_stage(s, st); }
void BM_Temperature(benchmark::State& s) { gs::Temperature st(0.8f); run_stage(s, st); }
void BM_TopK40(benchmark::State& s) { gs::TopK st(40); run_stage(s, st); }
void BM_TopP095(benchmark::State& s) { gs::TopP st(0.95); run_stage(s, st); }
void BM_TopP090(benchmark::State& s) { gs::TopP st(0.90); run_stage(s, st); }
void BM_MinP005(benchmark::State& s) { gs::MinP st(0.05f); run_stage(s, st); }
void BM_TypicalP095(benchmark::State& s) { gs::TypicalP st(0.95f); run_stage(s, st); }
void BM_TopNSigma1(benchmark::State& s) { gs::TopNSigma st(1.0f); run_stage(s, st); }
void BM_Penalties(benchmark::State& s) {
    gs::Penalties st({1.1f, 0.1f, 0.1f, 64});
    for (int t = 0; t < 64; ++t) st.accept(t * 731 % static_cast<int>(kVocab));
    run_stage(s, st);
}
void BM_LogitBias(benchmark::State& s) { gs::LogitBias st({{11, 2.3f}, {198, -INFINITY}, {50256, -1.0f}}); run_stage(s, st); }
void BM_Mirostat(benchmark::State& s) { gs::MirostatV2 st(5.0f, 0.1f); run_stage(s, st); }
void BM_Dist(benchmark::State& s) { gs::Dist st; run_stage(s, st); }

void run_chain(benchmark::State& state, gs::Chain chain) {
    const auto& z = logits_for(static_cast<int>(state.range(0)));
    gs::Rng rng(42);
    for (auto _ : state) benchmark::DoNotOptimize(chain.sample(z, rng));
    state.SetLabel(shape_label(state.range(0)));
}

void BM_ChainDefault(benchmark::State& s) {
    gs::SamplingParams p;   // penalties,top_k 40,top_p 0.95,min_p 0.05,temperature 0.8,dist
    p.repeat_penalty = 1.1f;
    gs::Chain c = gs::Chain::from_params(p);
    for (int t = 0; t < 64; ++t) c.accept(t * 731 % static_cast<int>(kVocab));
    run_chain(s, std::move(c));
}
void BM_ChainNucleusPreset(benchmark::State& s) { run_chain(s, gs::Chain::from_params(gs::preset("nucleus").params)); }
void BM_ChainTemperatureOnly(benchmark::State& s) { run_chain(s, gs::Chain::from_params(gs::preset("low_temp").params)); }
void BM_ChainTopPOnly(benchmark::State& s) {
    gs::SamplingParams p = gs::off_params();
    p.top_p = 0.95;
    run_chain(s, gs::Chain::from_spec("top_p,dist", p));
}
void BM_ChainTopP90Preset(benchmark::State& s) { run_chain(s, gs::Chain::from_params(gs::preset("top_p_90").params)); }
void BM_ChainDefaultTraced(benchmark::State& s) {
    gs::Chain c = gs::Chain::from_params({});
    c.set_trace(true, 10);
    run_chain(s, std::move(c));
}

}  // namespace

#define SHAPES ->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kMicrosecond)
BENCHMARK(BM_CopyReference)->Arg(0)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Load) SHAPES;
BENCHMARK(BM_Softmax) SHAPES;
BENCHMARK(BM_ComputeStats) SHAPES;
BENCHMARK(BM_Greedy) SHAPES;
BENCHMARK(BM_Temperature) SHAPES;
BENCHMARK(BM_TopK40) SHAPES;
BENCHMARK(BM_TopP095) SHAPES;
BENCHMARK(BM_TopP090) SHAPES;
BENCHMARK(BM_MinP005) SHAPES;
BENCHMARK(BM_TypicalP095) SHAPES;
BENCHMARK(BM_TopNSigma1) SHAPES;
BENCHMARK(BM_Penalties) SHAPES;
BENCHMARK(BM_LogitBias) SHAPES;
BENCHMARK(BM_Mirostat) SHAPES;
BENCHMARK(BM_Dist) SHAPES;
BENCHMARK(BM_ChainDefault) SHAPES;
BENCHMARK(BM_ChainNucleusPreset) SHAPES;
BENCHMARK(BM_ChainTemperatureOnly) SHAPES;
BENCHMARK(BM_ChainTopPOnly) SHAPES;
BENCHMARK(BM_ChainTopP90Preset) SHAPES;
BENCHMARK(BM_ChainDefaultTraced) SHAPES;
