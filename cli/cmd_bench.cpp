// gpt2 bench: prompt-processing and token-generation speed, llama-bench style.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "gpt2/read_bandwidth.hpp"
#include "gpt2/session.hpp"
#include "gpt2/sampling/rng.hpp"
#include "options.hpp"
#include "render.hpp"

namespace gpt2::cli {

namespace {

struct BenchOptions {
    ModelOptions model;
    std::string threads = "1,2";
    std::string prompt_tokens = "128,512";
    std::string gen_tokens = "128";
    std::string depth = "0";
    std::string kv_dtypes = "f32";
    int reps = 5;
    std::uint64_t seed = kDefaultSeed;
    bool roofline = false;
    int probe_mib = 512;
};

struct Row {
    std::string test;   // "pp128", "tg128", "tg128@d512"
    int threads;
    KvDtype kv_dtype;
    int tokens;
    int depth;          // tg: positions already in the cache when timing starts
    std::vector<double> tokens_per_s = {};   // one per repetition
    // --roofline, tg rows only: the bytes an average step reads, and the
    // probe's rate (GB/s) taken right before each repetition.
    double bytes_per_token = 0.0;
    std::vector<double> probe_gb_per_s = {};

    bool has_roofline() const { return !probe_gb_per_s.empty(); }
    std::vector<double> read_gb_per_s() const {
        std::vector<double> v;
        for (double t : tokens_per_s) v.push_back(t * bytes_per_token / 1e9);
        return v;
    }
    // Each repetition against its own probe (not median over median), so
    // that a ceiling that drifts between repetitions cancels out.
    std::vector<double> roofline_fractions() const {
        std::vector<double> v;
        for (std::size_t i = 0; i < tokens_per_s.size(); ++i)
            v.push_back(tokens_per_s[i] * bytes_per_token / 1e9 / probe_gb_per_s[i]);
        return v;
    }
};

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

std::pair<double, double> min_max(const std::vector<double>& v) {
    const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
    return {*lo, *hi};
}

using Clock = std::chrono::steady_clock;

// Bytes an average step of a tg test reads: the weights once
// (Model::decode_weight_bytes) plus the K and V rows attention reads from
// the cache, 2 x L x C per position, over depth + 1 ... depth + n positions.
double decode_bytes_per_token(const Model& model, KvDtype kv, int n, int depth) {
    const Config& c = model.config();
    const double kv_bytes_per_position = 2.0 * c.n_layer * c.n_embd * static_cast<double>(kv_element_bytes(kv));
    return static_cast<double>(model.decode_weight_bytes()) + kv_bytes_per_position * (depth + (n + 1) / 2.0);
}

// pp: one eval() of `n` random ids in a fresh session (the prefill path).
double time_pp(const Model& model, const std::vector<std::int32_t>& ids, int threads, KvDtype kv) {
    Session s(model, {.max_tokens = static_cast<int>(ids.size()), .n_threads = threads, .kv_dtype = kv});
    const auto t0 = Clock::now();
    s.eval(ids);
    return static_cast<double>(ids.size()) / std::chrono::duration<double>(Clock::now() - t0).count();
}

// tg: `n` single-token eval() calls (the decode path; no sampling, as
// llama-bench's tg) after an untimed prefill of the first `depth` ids, so
// that each step attends over depth + i cached positions.
double time_tg(const Model& model, const std::vector<std::int32_t>& ids, int depth, int threads, KvDtype kv) {
    Session s(model, {.max_tokens = static_cast<int>(ids.size()), .n_threads = threads, .kv_dtype = kv});
    if (depth > 0) s.eval(std::span<const std::int32_t>(ids.data(), static_cast<std::size_t>(depth)));
    const auto t0 = Clock::now();
    for (std::size_t i = static_cast<std::size_t>(depth); i < ids.size(); ++i) s.eval({&ids[i], 1});
    return static_cast<double>(ids.size() - static_cast<std::size_t>(depth)) /
           std::chrono::duration<double>(Clock::now() - t0).count();
}

void run_bench(const BenchOptions& o) {
    const std::vector<int> threads = parse_int_list(o.threads, "--threads");
    const std::vector<int> pp = parse_int_list(o.prompt_tokens, "--prompt-tokens");
    const std::vector<int> tg = parse_int_list(o.gen_tokens, "--gen-tokens");
    const std::vector<int> depths = parse_int_list(o.depth, "--depth", 0);
    const std::vector<KvDtype> kv_dtypes = parse_kv_dtype_list(o.kv_dtypes);
    if (o.reps < 1 || o.reps > 1000) usage_error(fmt::format("--reps {} is out of range: allowed [1, 1000]", o.reps));
    if (o.probe_mib < 1 || o.probe_mib > 65536)
        usage_error(fmt::format("--probe-mib {} is out of range: allowed [1, 65536]", o.probe_mib));
    ModelOptions mo = o.model;
    const LoadedModel loaded = load_model(mo);
    const Model& model = loaded.model;
    const int n_ctx = model.config().n_ctx;
    const int vocab = model.config().vocab_size;

    // Random ids (uniform over the vocabulary; speed does not depend on them).
    sampling::Rng rng(o.seed);
    auto random_ids = [&](int n) {
        std::vector<std::int32_t> ids(static_cast<std::size_t>(n));
        for (auto& id : ids) id = static_cast<std::int32_t>(rng.next_u64() % static_cast<std::uint64_t>(vocab));
        return ids;
    };

    // The tests that fit in the context (each skipped one is reported once).
    struct Test {
        std::string name;
        bool prefill;
        int n, depth;
    };
    std::vector<Test> tests;
    auto keep = [&](const char* kind, int n, int depth) {
        const std::string name = depth > 0 ? fmt::format("{}{}@d{}", kind, n, depth) : fmt::format("{}{}", kind, n);
        if (n + depth > n_ctx)
            std::fprintf(stderr, "gpt2: skipping %s: the model's context is %d tokens\n", name.c_str(), n_ctx);
        else tests.push_back({name, kind[0] == 'p', n, depth});
    };
    for (int n : pp) keep("pp", n, 0);
    for (int d : depths)
        for (int n : tg) keep("tg", n, d);

    std::vector<Row> rows;
    for (const KvDtype kv : kv_dtypes) {
        for (int t : threads) {
            // One probe per thread count, on as many threads as the
            // sessions it is compared with.
            std::unique_ptr<ReadBandwidthProbe> probe;
            if (o.roofline) probe = std::make_unique<ReadBandwidthProbe>(t, std::int64_t{o.probe_mib} << 20);
            for (const Test& test : tests) {
                const std::vector<std::int32_t> ids = random_ids(test.n + test.depth);
                Row row{.test = test.name, .threads = t, .kv_dtype = kv, .tokens = test.n, .depth = test.depth};
                const auto time = [&] {
                    return test.prefill ? time_pp(model, ids, t, kv) : time_tg(model, ids, test.depth, t, kv);
                };
                const bool paired = probe && !test.prefill;
                if (paired) row.bytes_per_token = decode_bytes_per_token(model, kv, test.n, test.depth);
                time();   // warm-up: page in weights, grow buffers
                for (int r = 0; r < o.reps; ++r) {
                    if (paired) row.probe_gb_per_s.push_back(probe->best_gb_per_s(3));
                    row.tokens_per_s.push_back(time());
                }
                rows.push_back(std::move(row));
            }
        }
    }
    if (rows.empty()) usage_error(fmt::format("nothing to run: every test is longer than the context of {} tokens", n_ctx));

    const std::string name = model.dir().filename().string();
    const std::string dtype = dtype_name(model.dtype());
    const double size_mib = static_cast<double>(model.file().file_size()) / (1 << 20);
    const double params_m = static_cast<double>(model.parameter_count()) / 1e6;
    const auto stats = [](const std::vector<double>& v) {
        const auto [lo, hi] = min_max(v);
        return nlohmann::ordered_json{{"median", median(v)}, {"min", lo}, {"max", hi}};
    };
    if (o.model.json) {
        nlohmann::ordered_json list = nlohmann::ordered_json::array();
        for (const Row& r : rows) {
            nlohmann::ordered_json row{{"model", name},
                                       {"dtype", dtype},
                                       {"size_bytes", model.file().file_size()},
                                       {"params", model.parameter_count()},
                                       {"test", r.test},
                                       {"threads", r.threads},
                                       {"kv_dtype", kv_dtype_name(r.kv_dtype)},
                                       {"n_tokens", r.tokens},
                                       {"depth", r.depth},
                                       {"reps", r.tokens_per_s.size()},
                                       {"tokens_per_s", stats(r.tokens_per_s)},
                                       {"samples", r.tokens_per_s}};
            if (r.has_roofline()) {
                row["bytes_per_token"] = r.bytes_per_token;
                row["read_GB_per_s"] = stats(r.read_gb_per_s());
                row["probe_GB_per_s"] = stats(r.probe_gb_per_s);
                row["probe_samples"] = r.probe_gb_per_s;
                row["roofline_fraction"] = stats(r.roofline_fractions());
            }
            list.push_back(std::move(row));
        }
        std::fputs((list.dump(2) + "\n").c_str(), stdout);
        return;
    }
    using Col = Table::Column;
    using A = Table::Align;
    std::vector<Col> cols{Col{"model"}, Col{"dtype"}, Col{"size", A::kRight}, Col{"params", A::kRight},
                          Col{"threads", A::kRight}, Col{"kv", A::kRight}, Col{"test", A::kRight},
                          Col{"t/s (median)", A::kRight}, Col{"min - max", A::kRight}};
    if (o.roofline)
        for (const char* c : {"MB/token", "read GB/s", "probe GB/s", "roofline (min - max)"})
            cols.push_back(Col{c, A::kRight});
    Table table(std::move(cols));
    for (const Row& r : rows) {
        const auto [lo, hi] = min_max(r.tokens_per_s);
        std::vector<std::string> cells{name, dtype, fmt::format("{:.2f} MiB", size_mib), fmt::format("{:.2f} M", params_m),
                                       std::to_string(r.threads), kv_dtype_name(r.kv_dtype), r.test,
                                       fmt_num(median(r.tokens_per_s), 2), fmt::format("{:.2f} - {:.2f}", lo, hi)};
        if (o.roofline) {
            if (r.has_roofline()) {
                const std::vector<double> fractions = r.roofline_fractions();
                const auto [flo, fhi] = min_max(fractions);
                cells.push_back(fmt::format("{:.1f}", r.bytes_per_token / 1e6));
                cells.push_back(fmt::format("{:.1f}", median(r.read_gb_per_s())));
                cells.push_back(fmt::format("{:.1f}", median(r.probe_gb_per_s)));
                cells.push_back(fmt::format("{:.0f}% ({:.0f} - {:.0f}%)", 100 * median(fractions), 100 * flo, 100 * fhi));
            } else {
                for (int i = 0; i < 4; ++i) cells.emplace_back("-");   // prefill: compute-bound, no read roofline
            }
        }
        table.add_row(std::move(cells));
    }
    std::fputs(table.render().c_str(), stdout);
    std::fprintf(stdout, "%d repetitions each after one warm-up; pp = one prefill eval of N random tokens, tg = N "
                         "single-token evals (no sampling), @dD = after an untimed prefill of D tokens\n", o.reps);
    if (o.roofline)
        std::fprintf(stdout, "roofline: each tg repetition's bytes read per second (MB/token: the weights once, "
                             "plus the KV cache rows an average step attends over) / the best of 3 passes of a "
                             "%d MiB read probe on as many threads, taken right before it; GB = 10^9 bytes\n",
                     o.probe_mib);
}

}  // namespace

void add_bench_command(CLI::App& app) {
    auto o = std::make_shared<BenchOptions>();
    CLI::App* cmd = app.add_subcommand("bench", "Measure prefill (pp) and decode (tg) speed, llama-bench style");
    cmd->add_option("-m,--model", o->model.model_dir,
                    "Model directory; default: $GPT2_MODEL_DIR, else the bundled models/kjv-small");
    cmd->add_flag("--json", o->model.json, "Print the rows as a JSON array");
    cmd->add_option("-t,--threads", o->threads, "Thread counts, comma-separated")->capture_default_str();
    cmd->add_option("--prompt-tokens", o->prompt_tokens, "Prompt lengths (pp tests), comma-separated")
        ->capture_default_str();
    cmd->add_option("--gen-tokens", o->gen_tokens, "Generated lengths (tg tests), comma-separated")
        ->capture_default_str();
    cmd->add_option("--depth", o->depth,
                    "Context already in the cache before each tg test (untimed prefill), comma-separated: tg128@d512 "
                    "decodes 128 tokens over 512-639 cached positions")
        ->capture_default_str();
    cmd->add_option("--kv-dtype", o->kv_dtypes, "KV cache types to measure (f32, f16), comma-separated")
        ->capture_default_str();
    cmd->add_option("--reps", o->reps, "Repetitions per test")->capture_default_str();
    cmd->add_option("-s,--seed", o->seed, "Seed of the random prompt ids")->capture_default_str();
    cmd->add_flag("--roofline", o->roofline,
                  "Before each tg repetition, measure the read bandwidth on as many threads (gpt2/read_bandwidth.hpp) "
                  "and report the step's bytes read per second as a fraction of it");
    cmd->add_option("--probe-mib", o->probe_mib, "Size of the --roofline read probe's buffer, MiB (far above the L3)")
        ->capture_default_str();
    cmd->footer(
        "Examples:\n"
        "  gpt2 bench\n"
        "  gpt2 bench --model models/kjv-small --threads 1,2 --prompt-tokens 64,256 --gen-tokens 64 --reps 3 --json\n"
        "  gpt2 bench --model models/gpt2 --prompt-tokens 512 --gen-tokens 128 --depth 0,512,872 --kv-dtype f32,f16\n"
        "  gpt2 bench --model models/gpt2 --prompt-tokens 16 --gen-tokens 128 --roofline\n");
    cmd->callback([o] { run_bench(*o); });
}

}  // namespace gpt2::cli
