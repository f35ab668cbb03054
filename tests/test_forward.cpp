// The forward pass against goldens from an independent PyTorch
// implementation (scripts/reference_gpt2.py, float64).
//
// Each case directory under tests/data/forward/ holds case.json (the
// random-model spec, the token ids and the SHA-256 of the safetensors file
// the goldens were made from), logits.npy [T, V] and hidden.npy
// [L + 2, T, C] (embedding, each block's output, ln_f's output). The test
// regenerates the checkpoint with write_random_model, proves it is the same
// file (SHA-256), evaluates every position and compares every logit. On a
// mismatch it names the first layer whose activations differ.
//
// Regenerate with scripts/make_forward_goldens.py. GPT2_FORWARD_MODELS_DIR=DIR
// keeps the generated checkpoints in DIR/<case> (the script uses that).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "gpt2/model.hpp"
#include "gpt2/random_model.hpp"
#include "gpt2/session.hpp"
#include "kernels/cpu.hpp"
#include "support/isa.hpp"
#include "support/npy.hpp"
#include "support/sha256.hpp"
#include "support/test_env.hpp"

namespace {

namespace fs = std::filesystem;

struct GoldenCase {
    std::string name;
    fs::path dir;
    std::string generator;   // "write_random_model" or "sharp" (see write_sharp_model)
    gpt2::RandomModelSpec spec;
    std::vector<std::int32_t> ids;
    std::string sha256;
};

GoldenCase read_case(const fs::path& dir) {
    std::ifstream in(dir / "case.json");
    const nlohmann::json j = nlohmann::json::parse(in);
    GoldenCase c;
    c.name = dir.filename().string();
    c.dir = dir;
    gpt2::Config& cfg = c.spec.config;
    cfg.n_layer = j.at("n_layer");
    cfg.n_head = j.at("n_head");
    cfg.n_embd = j.at("n_embd");
    cfg.n_ctx = j.at("n_ctx");
    cfg.vocab_size = j.at("vocab_size");
    cfg.layer_norm_epsilon = j.at("layer_norm_epsilon");
    cfg.bos_token_id = cfg.eos_token_id = cfg.vocab_size - 1;
    c.spec.dtype = gpt2::parse_dtype(j.at("dtype"));
    c.spec.seed = j.at("seed");
    c.ids = j.at("ids").get<std::vector<std::int32_t>>();
    c.sha256 = j.at("sha256");
    c.generator = j.value("generator", "write_random_model");
    return c;
}

std::vector<GoldenCase> all_cases() {
    std::vector<GoldenCase> cases;
    for (const auto& entry : fs::directory_iterator(gpt2::test::test_data_dir() / "forward"))
        if (fs::exists(entry.path() / "case.json")) cases.push_back(read_case(entry.path()));
    std::sort(cases.begin(), cases.end(), [](const GoldenCase& a, const GoldenCase& b) { return a.name < b.name; });
    return cases;
}

// write_random_model draws matrices from N(0, 0.02), GPT-2's initialiser: the
// attention scores are then ~1e-3 and every softmax is nearly uniform, so an
// error in the attention (scale, head slicing, mask) moves the logits by less
// than 1e-4. A "sharp" checkpoint is written here instead, with weights large
// enough for peaked attention (c_attn ~ U(±0.25): scores of order 1-10) and
// logits of order 10. F32 only; values are exact dyadic floats drawn with
// splitmix64, so the file does not depend on any math library.
void write_sharp_model(const fs::path& dir, const gpt2::Config& config, std::uint64_t seed) {
    std::uint64_t state = seed;
    const auto uniform = [&](float half_width) {   // U(-w, w), 24 random bits
        std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        z ^= z >> 31;
        return (static_cast<float>(z >> 40) * 0x1p-23f - 1.0f) * half_width;
    };
    const auto ends_with = [](const std::string& s, const std::string& suffix) {
        return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
    };
    gpt2::SafetensorsWriter writer;
    for (const gpt2::TensorSpec& t : gpt2::checkpoint_tensor_specs(config)) {
        std::int64_t n = 1;
        for (std::int64_t d : t.shape) n *= d;
        std::vector<float> values(static_cast<std::size_t>(n));
        const bool ln = t.name.find("ln_") != std::string::npos;
        for (float& v : values) {
            if (ln && ends_with(t.name, ".weight")) v = 1.0f + uniform(0.5f);
            else if (ln) v = uniform(0.2f);
            else if (t.name == "wte.weight" || t.name == "wpe.weight") v = uniform(1.0f);
            else if (ends_with(t.name, "c_attn.weight")) v = uniform(0.25f);
            else v = uniform(0.1f);
        }
        writer.add_f32(t.name, t.shape, values);
    }
    fs::create_directories(dir);
    writer.write(dir / "model.safetensors");
    std::ofstream(dir / "config.json") << gpt2::config_to_json(config);
}

fs::path model_dir_for(const GoldenCase& c) {
    if (const char* keep = std::getenv("GPT2_FORWARD_MODELS_DIR"); keep != nullptr && *keep != '\0')
        return fs::path(keep) / c.name;
    return gpt2::test::make_temp_dir("forward-" + c.name);
}

// The case's checkpoint, as its generator writes it.
void write_case_model(const GoldenCase& c, const fs::path& model_dir) {
    if (c.generator == "sharp") write_sharp_model(model_dir, c.spec.config, c.spec.seed);
    else gpt2::write_random_model(model_dir, c.spec);
}

double max_abs_diff(const float* a, const float* b, std::size_t n) {
    double m = 0.0;
    for (std::size_t i = 0; i < n; ++i) m = std::max(m, std::fabs(static_cast<double>(a[i]) - b[i]));
    return m;
}

// The bound of issue 4: every logit within 1e-4 of the float64 reference.
// 16-bit checkpoints are widened to F32 exactly by the loader and by the
// reference, so the same bound applies to F16.
constexpr double kLogitTolerance = 1e-4;
// Residual-stream activations (used to name the first differing layer):
// relative to the largest |activation| of that layer.
constexpr double kHiddenRelTolerance = 1e-5;
// BF16 checkpoints round each linear layer's input to bf16 (engine and
// reference alike, kernels/matmul_half.hpp). An activation that lies within
// float32 noise of a rounding boundary can round one way in the engine and
// the other in the reference, a step of 2^-8 relative that then spreads
// through attention; so single logits can differ by ~1e-3 while most agree
// far better. Measured on bf16_l2_c120_h8: max |diff| 5e-4 (scalar) and
// 1.0e-3 (AVX-512), mean 5e-6 and 9e-5, where leaving out the rounding
// moves the logits by 2.2e-3 max and 4.0e-4 mean: the mean bound below
// tells the two apart.
constexpr double kBf16LogitTolerance = 2.5e-3;
constexpr double kBf16MeanLogitTolerance = 1.5e-4;
constexpr double kBf16HiddenRelTolerance = 2e-3;

TEST(ForwardGolden, CasesCoverTheRequiredVariety) {
    const std::vector<GoldenCase> cases = all_cases();
    ASSERT_GE(cases.size(), 3u);
    bool f16 = false, bf16 = false, f32 = false, odd_head = false, sharp = false;
    for (const GoldenCase& c : cases) {
        f16 |= c.spec.dtype == gpt2::DType::kF16;
        bf16 |= c.spec.dtype == gpt2::DType::kBF16;
        f32 |= c.spec.dtype == gpt2::DType::kF32;
        const int hs = c.spec.config.head_dim();
        odd_head |= (hs & (hs - 1)) != 0;
        sharp |= c.generator == "sharp";
    }
    EXPECT_TRUE(f16 && bf16 && f32 && odd_head && sharp);
}

std::vector<std::string> case_names() {
    std::vector<std::string> names;
    for (const GoldenCase& c : all_cases()) names.push_back(c.name);
    return names;
}

// Every case runs at every instruction-set level this CPU has
// (kernels::cpu::set_active): the F32 kernels are compiled per level and
// chosen at run time, and each level must meet the goldens' tolerance.
std::vector<gpt2::kernels::cpu::Isa> isas() { return gpt2::test::available_isas(); }

using CaseAndIsa = std::tuple<std::string, gpt2::kernels::cpu::Isa>;

class ForwardGoldenCase : public ::testing::TestWithParam<CaseAndIsa> {
protected:
    void SetUp() override { saved_ = gpt2::kernels::cpu::set_active(std::get<1>(GetParam())); }
    void TearDown() override { gpt2::kernels::cpu::set_active(saved_); }

private:
    gpt2::kernels::cpu::Isa saved_ = gpt2::kernels::cpu::Isa::kScalar;
};

TEST_P(ForwardGoldenCase, EveryPositionMatchesTheReference) {
    {
        const GoldenCase c = read_case(gpt2::test::test_data_dir() / "forward" / std::get<0>(GetParam()));
        const fs::path model_dir = model_dir_for(c);
        write_case_model(c, model_dir);
        ASSERT_EQ(gpt2::test::sha256_file(model_dir / "model.safetensors"), c.sha256)
            << "the generator no longer writes the checkpoint the goldens were made from; "
               "regenerate them with scripts/make_forward_goldens.py";

        const gpt2::Model model = gpt2::Model::load(model_dir);
        const gpt2::Config& cfg = model.config();
        const int T = static_cast<int>(c.ids.size());
        const int C = cfg.n_embd;
        const int L = cfg.n_layer;
        const int V = cfg.vocab_size;
        const gpt2::test::NpyArray golden_logits = gpt2::test::read_npy(c.dir / "logits.npy");
        const gpt2::test::NpyArray golden_hidden = gpt2::test::read_npy(c.dir / "hidden.npy");
        ASSERT_EQ(golden_logits.shape, (std::vector<std::int64_t>{T, V}));
        ASSERT_EQ(golden_hidden.shape, (std::vector<std::int64_t>{L + 2, T, C}));

        // The residual stream as the engine computes it: [L + 2, T, C].
        std::vector<float> hidden(static_cast<std::size_t>(L + 2) * T * C, NAN);
        gpt2::Session session(model, {.max_tokens = 0, .n_threads = 2});
        session.set_observer([&](const gpt2::Activation& a) {
            int slot = -1;
            if (a.name == "embedding") slot = 0;
            else if (a.name == "block_out") slot = a.layer + 1;
            else if (a.name == "ln_f") slot = L + 1;
            if (slot < 0) return;
            std::copy(a.data.begin(), a.data.end(),
                      hidden.begin() + (static_cast<std::ptrdiff_t>(slot) * T + a.pos0) * C);
        });
        const std::span<const float> logits = session.eval_all(c.ids);
        ASSERT_EQ(logits.size(), golden_logits.data.size());

        const bool bf16 = c.spec.dtype == gpt2::DType::kBF16;
        const double logit_diff = max_abs_diff(logits.data(), golden_logits.data.data(), logits.size());
        double mean_logit_diff = 0.0;
        for (std::size_t i = 0; i < logits.size(); ++i)
            mean_logit_diff += std::fabs(static_cast<double>(logits[i]) - golden_logits.data[i]);
        mean_logit_diff /= static_cast<double>(logits.size());
        std::ostringstream layers;
        int first_bad = -2;
        for (int slot = 0; slot < L + 2; ++slot) {
            const std::size_t off = static_cast<std::size_t>(slot) * T * C;
            const std::size_t n = static_cast<std::size_t>(T) * C;
            const double d = max_abs_diff(hidden.data() + off, golden_hidden.data.data() + off, n);
            double scale = 1.0;
            for (std::size_t i = 0; i < n; ++i) scale = std::max(scale, std::fabs(static_cast<double>(golden_hidden.data[off + i])));
            const double kHiddenTolerance = (bf16 ? kBf16HiddenRelTolerance : kHiddenRelTolerance) * scale;
            const std::string label = slot == 0 ? "embedding" : slot == L + 1 ? "ln_f" : "block " + std::to_string(slot - 1);
            layers << "  " << label << ": max|diff| " << d << "\n";
            if (first_bad == -2 && !(d <= kHiddenTolerance)) first_bad = slot - 1;
        }
        RecordProperty(c.name + "_max_logit_diff", std::to_string(logit_diff));
        std::printf("[ %s ] %s, T=%d, %s: max|logit diff| = %.3g, mean %.3g\n", c.name.c_str(),
                    gpt2::dtype_name(c.spec.dtype), T, gpt2::kernels::cpu::isa_name(gpt2::kernels::cpu::active()),
                    logit_diff, mean_logit_diff);
        if (bf16) {
            EXPECT_LE(mean_logit_diff, kBf16MeanLogitTolerance);
        }
        EXPECT_LE(logit_diff, bf16 ? kBf16LogitTolerance : kLogitTolerance)
            << "first layer that differs: "
            << (first_bad == -2 ? std::string("none above tolerance (only the logits)")
                : first_bad == -1 ? std::string("the embedding")
                : first_bad == L ? std::string("ln_f")
                                 : "block " + std::to_string(first_bad))
            << "\nper layer:\n" << layers.str();
        EXPECT_EQ(first_bad, -2) << layers.str();

        if (std::getenv("GPT2_FORWARD_MODELS_DIR") == nullptr) fs::remove_all(model_dir);
    }
}

// A session with an F16 KV cache against the reference run with its keys
// and values rounded to binary16 the same way (logits_kv_f16.npy, made for
// the cases of make_forward_goldens.py's KV_F16_CASES). Rounding can still
// go the other way for a key or value within float32 noise of a binary16
// rounding boundary (a step of 2^-11 relative), so the bound is looser than
// kLogitTolerance. Measured on the sharp case (peaked attention): max
// |diff| 4.6-4.7e-4, mean 1.5-1.8e-5 at each level; the other cases stay
// under 1e-5. Leaving the rounding out is caught by both bounds: the F32
// goldens are 3.5e-3 max and 5.0e-4 mean away from these on that case.
constexpr double kKvF16LogitTolerance = 1e-3;
constexpr double kKvF16MeanLogitTolerance = 5e-5;

std::vector<std::string> kv_f16_case_names() {
    std::vector<std::string> names;
    for (const GoldenCase& c : all_cases())
        if (fs::exists(c.dir / "logits_kv_f16.npy")) names.push_back(c.name);
    return names;
}

class ForwardKvF16GoldenCase : public ForwardGoldenCase {};

TEST_P(ForwardKvF16GoldenCase, F16KvCacheMatchesTheReferenceWithRoundedKeysAndValues) {
    const GoldenCase c = read_case(gpt2::test::test_data_dir() / "forward" / std::get<0>(GetParam()));
    const fs::path model_dir = model_dir_for(c);
    write_case_model(c, model_dir);
    ASSERT_EQ(gpt2::test::sha256_file(model_dir / "model.safetensors"), c.sha256);
    const gpt2::Model model = gpt2::Model::load(model_dir);
    const gpt2::test::NpyArray golden = gpt2::test::read_npy(c.dir / "logits_kv_f16.npy");
    const int T = static_cast<int>(c.ids.size());
    ASSERT_EQ(golden.shape, (std::vector<std::int64_t>{T, model.config().vocab_size}));

    gpt2::Session session(model, {.max_tokens = 0, .n_threads = 2, .kv_dtype = gpt2::KvDtype::kF16});
    const std::span<const float> logits = session.eval_all(c.ids);
    ASSERT_EQ(logits.size(), golden.data.size());
    const double max_diff = max_abs_diff(logits.data(), golden.data.data(), logits.size());
    double mean_diff = 0.0;
    for (std::size_t i = 0; i < logits.size(); ++i)
        mean_diff += std::fabs(static_cast<double>(logits[i]) - golden.data[i]);
    mean_diff /= static_cast<double>(logits.size());
    std::printf("[ %s ] F16 KV cache, %s: max|logit diff| = %.3g, mean %.3g\n", c.name.c_str(),
                gpt2::kernels::cpu::isa_name(gpt2::kernels::cpu::active()), max_diff, mean_diff);
    EXPECT_LE(max_diff, kKvF16LogitTolerance);
    EXPECT_LE(mean_diff, kKvF16MeanLogitTolerance);
    if (std::getenv("GPT2_FORWARD_MODELS_DIR") == nullptr) fs::remove_all(model_dir);
}

TEST(ForwardGolden, SomeCasesHaveF16KvCacheGoldens) {
    const std::vector<std::string> names = kv_f16_case_names();
    EXPECT_GE(names.size(), 2u);
    bool sharp = false;
    for (const GoldenCase& c : all_cases())
        sharp |= c.generator == "sharp" && std::find(names.begin(), names.end(), c.name) != names.end();
    EXPECT_TRUE(sharp) << "the sharp case is the one where the cache's rounding shows";
}

INSTANTIATE_TEST_SUITE_P(Cases, ForwardGoldenCase, ::testing::Combine(::testing::ValuesIn(case_names()), ::testing::ValuesIn(isas())),
                         [](const ::testing::TestParamInfo<CaseAndIsa>& info) {
                             return std::get<0>(info.param) + "_" + gpt2::kernels::cpu::isa_name(std::get<1>(info.param));
                         });

INSTANTIATE_TEST_SUITE_P(Cases, ForwardKvF16GoldenCase,
                         ::testing::Combine(::testing::ValuesIn(kv_f16_case_names()), ::testing::ValuesIn(isas())),
                         [](const ::testing::TestParamInfo<CaseAndIsa>& info) {
                             return std::get<0>(info.param) + "_" + gpt2::kernels::cpu::isa_name(std::get<1>(info.param));
                         });

}  // namespace
