// Batched decode on a GPT-2-124M-shaped random F32 model: one step for B = 1,
// 4 and 9 sessions (9 = gpt2 compare's nine strategies) through one
// BatchDecoder pass, against the same B sessions each doing its own
// Session::eval, threads 1 and 2. Each session holds a 32-token prompt.
//
//   build/release/bin/bench_batch --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
//
// The checkpoint is written once to $TMPDIR/gpt2-bench-124M-f32 (shared with
// bench_forward; write_random_model is deterministic). Counter:
// tokens_per_s = B tokens per step ÷ step time (real time).
#include <benchmark/benchmark.h>

#include <filesystem>
#include <memory>
#include <vector>

#include "gpt2/batch.hpp"
#include "gpt2/model.hpp"
#include "gpt2/random_model.hpp"
#include "gpt2/session.hpp"
#include "bench_models.hpp"

namespace {

constexpr int kPrompt = 32;

const gpt2::Model& model_124m() { return gpt2::bench::random_f32_model("124M"); }

std::vector<std::int32_t> ids(int n, int salt) {
    std::vector<std::int32_t> out(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) out[static_cast<std::size_t>(i)] = static_cast<std::int32_t>((i * 7919 + 13 + salt) % 50257);
    return out;
}

// B sessions holding a kPrompt-token prompt each (one token rewound and
// re-evaluated every iteration, so the position stays put).
std::vector<gpt2::Session> sessions(int B, int threads) {
    std::vector<gpt2::Session> out;
    for (int b = 0; b < B; ++b) {
        out.emplace_back(model_124m(), gpt2::SessionOptions{.max_tokens = kPrompt + 1, .n_threads = threads});
        out.back().eval(ids(kPrompt, b));
    }
    return out;
}

// One batched step for B sessions.
void BM_DecodeBatched(benchmark::State& state) {
    const int B = static_cast<int>(state.range(0));
    const int threads = static_cast<int>(state.range(1));
    std::vector<gpt2::Session> s = sessions(B, threads);
    std::vector<gpt2::Session*> ptrs;
    for (auto& x : s) ptrs.push_back(&x);
    const std::vector<std::int32_t> next = ids(B, 99);
    gpt2::BatchDecoder decoder(model_124m(), threads);
    for (auto _ : state) {
        for (auto& x : s) x.rewind(kPrompt);
        benchmark::DoNotOptimize(decoder.eval(ptrs, next).data());
    }
    state.counters["tokens_per_s"] = benchmark::Counter(B, benchmark::Counter::kIsIterationInvariantRate);
}

// The same B tokens, one Session::eval each (B matrix-vector passes).
void BM_DecodeSeparate(benchmark::State& state) {
    const int B = static_cast<int>(state.range(0));
    const int threads = static_cast<int>(state.range(1));
    std::vector<gpt2::Session> s = sessions(B, threads);
    const std::vector<std::int32_t> next = ids(B, 99);
    for (auto _ : state) {
        for (int b = 0; b < B; ++b) {
            s[static_cast<std::size_t>(b)].rewind(kPrompt);
            benchmark::DoNotOptimize(s[static_cast<std::size_t>(b)].eval({&next[static_cast<std::size_t>(b)], 1}).data());
        }
    }
    state.counters["tokens_per_s"] = benchmark::Counter(B, benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace

BENCHMARK(BM_DecodeBatched)->ArgsProduct({{1, 4, 9}, {1, 2}})->ArgNames({"B", "threads"})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_DecodeSeparate)->ArgsProduct({{1, 4, 9}, {1, 2}})->ArgNames({"B", "threads"})->Unit(benchmark::kMillisecond)->UseRealTime();
