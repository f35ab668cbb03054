// gpt2 bench on a tiny random model: the table, the JSON rows, skipped tests.
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "gpt2/safetensors.hpp"

#include "support/cli_run.hpp"

namespace gpt2 {
namespace {

using test::run_cli;
using test::shell_quote;

std::string model_arg() { return " --model " + shell_quote(test::tiny_model_dir().string()); }

TEST(CliBench, JsonRows) {
    const auto r = run_cli("bench --threads 1,2 --prompt-tokens 16,32 --gen-tokens 8 --reps 2 --json" + model_arg());
    ASSERT_EQ(r.status, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    ASSERT_EQ(j.size(), 6u);   // 2 threads x (pp16, pp32, tg8)
    const char* tests[] = {"pp16", "pp32", "tg8"};
    for (std::size_t i = 0; i < 6; ++i) {
        const auto& row = j[i];
        EXPECT_EQ(row["test"], tests[i % 3]);
        EXPECT_EQ(row["threads"], i < 3 ? 1 : 2);
        EXPECT_EQ(row["dtype"], "F32");
        EXPECT_EQ(row["reps"], 2);
        const double med = row["tokens_per_s"]["median"], lo = row["tokens_per_s"]["min"], hi = row["tokens_per_s"]["max"];
        EXPECT_GT(lo, 0.0);
        EXPECT_LE(lo, med);
        EXPECT_LE(med, hi);
        EXPECT_EQ(row["samples"].size(), 2u);
        EXPECT_EQ(row["kv_dtype"], "f32");
    }
}

TEST(CliBench, EachKvDtypeGetsItsRows) {
    const auto r = run_cli("bench --threads 1 --prompt-tokens 16 --gen-tokens 4 --depth 20 --kv-dtype f32,f16 --reps 1 "
                           "--json" + model_arg());
    ASSERT_EQ(r.status, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    ASSERT_EQ(j.size(), 4u);   // 2 KV types x (pp16, tg4@d20)
    for (std::size_t i = 0; i < 4; ++i) {
        EXPECT_EQ(j[i]["kv_dtype"], i < 2 ? "f32" : "f16");
        EXPECT_EQ(j[i]["test"], i % 2 == 0 ? "pp16" : "tg4@d20");
    }
}

TEST(CliBench, TableAndSkippedLongTests) {
    const auto r = run_cli("bench --threads 1 --prompt-tokens 16,512 --gen-tokens 4 --reps 1" + model_arg());
    ASSERT_EQ(r.status, 0) << r.err;
    for (const char* s : {"model", "dtype", "size", "params", "threads", "test", "t/s", "pp16", "tg4", "tiny", "F32"}) {
        EXPECT_NE(r.out.find(s), std::string::npos) << s << "\n" << r.out;
    }
    EXPECT_EQ(r.out.find("pp512"), std::string::npos);
    EXPECT_NE(r.err.find("skipping pp512: the model's context is 128 tokens"), std::string::npos) << r.err;
}

// --depth: tg tests after an untimed prefill, named llama-bench style, and
// skipped when depth + n does not fit in the context (tiny: 128 tokens).
TEST(CliBench, DepthRunsDecodeAfterACachedContext) {
    const auto r = run_cli("bench --threads 1 --prompt-tokens 8 --gen-tokens 8 --depth 0,100,121 --reps 1 --json" +
                           model_arg());
    ASSERT_EQ(r.status, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    ASSERT_EQ(j.size(), 3u);   // pp8, tg8, tg8@d100; tg8@d121 needs 129 positions
    EXPECT_EQ(j[0]["test"], "pp8");
    EXPECT_EQ(j[1]["test"], "tg8");
    EXPECT_EQ(j[1]["depth"], 0);
    EXPECT_EQ(j[2]["test"], "tg8@d100");
    EXPECT_EQ(j[2]["depth"], 100);
    EXPECT_EQ(j[2]["n_tokens"], 8);
    EXPECT_GT(j[2]["tokens_per_s"]["median"].get<double>(), 0.0);
    EXPECT_NE(r.err.find("skipping tg8@d121: the model's context is 128 tokens"), std::string::npos) << r.err;
    const auto bad = run_cli("bench --depth -1 --reps 1" + model_arg());
    EXPECT_NE(bad.status, 0);
    EXPECT_NE(bad.err.find("--depth \"-1\": expected a comma-separated list of integers >= 0"), std::string::npos)
        << bad.err;
}

// --roofline: each tg repetition paired with a read-bandwidth probe; the
// bytes per step computed here from the file's tensor table and the config.
TEST(CliBench, RooflinePairsEachDecodeRepetitionWithAProbe) {
    const auto r = run_cli("bench --threads 1 --prompt-tokens 8 --gen-tokens 8 --depth 0,100 --kv-dtype f16 --reps 2 "
                           "--roofline --probe-mib 1 --json" + model_arg());
    ASSERT_EQ(r.status, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    ASSERT_EQ(j.size(), 3u);   // pp8, tg8, tg8@d100
    EXPECT_FALSE(j[0].contains("roofline_fraction")) << "prefill has no read roofline";

    // Weights: every tensor as stored (1-D as F32), one row of wpe. Cache:
    // K and V (F16) of each layer over depth + 1 ... depth + 8 positions.
    const SafetensorsFile file = SafetensorsFile::open(test::tiny_model_dir() / "model.safetensors");
    double weights = 0.0;
    for (const TensorView& t : file.tensors()) {
        const double bytes = t.shape.size() == 1 ? 4.0 * static_cast<double>(t.numel()) : static_cast<double>(t.nbytes);
        weights += t.name.find("wpe.") != std::string::npos ? bytes / static_cast<double>(t.shape[0]) : bytes;
    }
    std::ifstream config_file(test::tiny_model_dir() / "config.json");
    const auto config = nlohmann::json::parse(config_file);
    const double per_position = 2.0 * config["n_layer"].get<double>() * config["n_embd"].get<double>() * 2;
    for (int i : {1, 2}) {
        const auto& row = j[static_cast<std::size_t>(i)];
        const double depth = row["depth"];
        EXPECT_DOUBLE_EQ(row["bytes_per_token"].get<double>(), weights + per_position * (depth + 4.5)) << row;
        ASSERT_EQ(row["probe_samples"].size(), 2u);
        for (std::size_t k = 0; k < 2; ++k) {
            const double probe = row["probe_samples"][k], tps = row["samples"][k];
            EXPECT_GT(probe, 0.0);
            const double fraction = tps * row["bytes_per_token"].get<double>() / 1e9 / probe;
            const double lo = row["roofline_fraction"]["min"], hi = row["roofline_fraction"]["max"];
            EXPECT_GE(fraction, lo * (1 - 1e-12));
            EXPECT_LE(fraction, hi * (1 + 1e-12));
        }
        EXPECT_DOUBLE_EQ(row["read_GB_per_s"]["max"].get<double>(),
                         row["tokens_per_s"]["max"].get<double>() * row["bytes_per_token"].get<double>() / 1e9);
    }

    const auto table = run_cli("bench --threads 1 --prompt-tokens 8 --gen-tokens 4 --reps 1 --roofline --probe-mib 1" +
                               model_arg());
    ASSERT_EQ(table.status, 0) << table.err;
    for (const char* s : {"MB/token", "read GB/s", "probe GB/s", "roofline (min - max)", "1 MiB read probe"})
        EXPECT_NE(table.out.find(s), std::string::npos) << s << "\n" << table.out;

    const auto bad = run_cli("bench --roofline --probe-mib 0 --reps 1" + model_arg());
    EXPECT_NE(bad.status, 0);
    EXPECT_NE(bad.err.find("--probe-mib 0 is out of range"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace gpt2
