// Model::load on generated checkpoints: every dtype, the HF naming variants,
// and one test per mismatch between config.json and the tensors.
#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "gpt2/convert.hpp"
#include "gpt2/error.hpp"
#include "gpt2/model.hpp"
#include "gpt2/random_model.hpp"
#include "numeric/half.hpp"
#include "support/test_env.hpp"

namespace gpt2 {
namespace {

void expect_error(const std::function<void()>& f, const std::vector<std::string>& fragments) {
    try {
        f();
    } catch (const Error& e) {
        const std::string msg = e.what();
        for (const std::string& frag : fragments)
            EXPECT_NE(msg.find(frag), std::string::npos) << "message: " << msg << "\nmissing: " << frag;
        return;
    }
    ADD_FAILURE() << "no gpt2::Error thrown";
}

std::string read_all(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A small model that still exercises every table row: 2 layers, 32 wide,
// 16 positions, 50 tokens.
RandomModelSpec small_spec(DType dtype = DType::kF32, std::uint64_t seed = 7) {
    RandomModelSpec spec;
    spec.config.n_layer = 2;
    spec.config.n_head = 4;
    spec.config.n_embd = 32;
    spec.config.n_ctx = 16;
    spec.config.vocab_size = 50;
    spec.config.bos_token_id = spec.config.eos_token_id = 49;
    spec.dtype = dtype;
    spec.seed = seed;
    return spec;
}

// Copies `src`'s tensors into a new model.safetensors in `dst` (with src's
// config.json), renaming/dropping through `rename` (empty result: drop), and
// appending `extra` tensors.
struct Extra {
    std::string name;
    DType dtype;
    std::vector<std::int64_t> shape;
    std::vector<std::byte> data;
};
void rewrite(const std::filesystem::path& src, const std::filesystem::path& dst,
             const std::function<std::string(const std::string&)>& rename, const std::vector<Extra>& extra = {}) {
    std::filesystem::create_directories(dst);
    std::filesystem::copy_file(src / "config.json", dst / "config.json",
                               std::filesystem::copy_options::overwrite_existing);
    SafetensorsFile in = SafetensorsFile::open(src / "model.safetensors");
    SafetensorsWriter w;
    for (const TensorView& t : in.tensors()) {
        std::string name = rename(t.name);
        if (!name.empty()) w.add(name, t.dtype, t.shape, {t.data, t.nbytes});
    }
    for (const Extra& e : extra) w.add(e.name, e.dtype, e.shape, e.data);
    w.write(dst / "model.safetensors");
}

class ModelLoad : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = test::make_temp_dir("model");
        write_random_model(dir_ / "f32", small_spec());
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }
    std::filesystem::path dir_;
};

std::int64_t expected_parameters(const Config& c) {
    // V*C + T*C + L*(12 C^2 + 13 C) + 2 C (GPT-2 with a tied head).
    const std::int64_t C = c.n_embd;
    return c.vocab_size * C + c.n_ctx * C + c.n_layer * (12 * C * C + 13 * C) + 2 * C;
}

TEST_F(ModelLoad, F32IsZeroCopy) {
    Model m = Model::load(dir_ / "f32", {.huge_page_copies = false});
    EXPECT_EQ(m.dtype(), DType::kF32);
    EXPECT_EQ(m.config().n_embd, 32);
    EXPECT_EQ(m.parameter_count(), expected_parameters(m.config()));
    const Weights& w = m.weights();
    ASSERT_EQ(w.layers.size(), 2u);
    // Every field points at its tensor inside the map.
    EXPECT_EQ(w.wte.data, m.file().at("wte.weight").data);
    EXPECT_EQ(w.layers[1].mlp_c_proj_weight.data, m.file().at("h.1.mlp.c_proj.weight").data);
    EXPECT_EQ(w.ln_f_bias.data, m.file().at("ln_f.bias").data);
    EXPECT_EQ(w.wte.shape, (std::array<std::int64_t, 2>{50, 32}));
    EXPECT_EQ(w.layers[0].attn_c_attn_weight.shape, (std::array<std::int64_t, 2>{32, 96}));
    EXPECT_EQ(w.layers[0].mlp_c_fc_bias.shape, (std::array<std::int64_t, 2>{128, 1}));
    EXPECT_EQ(w.wpe.shape, (std::array<std::int64_t, 2>{16, 32}));
    // Moving the model keeps the views valid.
    const void* p = w.wte.data;
    Model moved = std::move(m);
    EXPECT_EQ(moved.weights().wte.data, p);
    EXPECT_EQ(moved.dir(), dir_ / "f32");

    // By default wte (what decode streams without a panel copy) is a copy
    // of the file's bytes in huge pages; the layer matrices stay in place.
    const Model copied = Model::load(dir_ / "f32");
    const TensorView& wte = copied.file().at("wte.weight");
    EXPECT_NE(copied.weights().wte.data, wte.data);
    EXPECT_EQ(std::memcmp(copied.weights().wte.data, wte.data, wte.nbytes), 0);
    EXPECT_EQ(copied.huge_page_copy_bytes(), static_cast<std::int64_t>(wte.nbytes));
    EXPECT_EQ(copied.weights().layers[1].mlp_c_proj_weight.data, copied.file().at("h.1.mlp.c_proj.weight").data);
}

TEST_F(ModelLoad, SixteenBitMatricesStayInPlaceAndVectorsAreWidened) {
    const Model ref = Model::load(dir_ / "f32");
    for (DType dtype : {DType::kF16, DType::kBF16}) {
        const auto d = dir_ / dtype_name(dtype);
        write_random_model(d, small_spec(dtype));
        Model m = Model::load(d, {.huge_page_copies = false});
        EXPECT_EQ(m.dtype(), dtype);
        EXPECT_EQ(m.parameter_count(), ref.parameter_count());
        // Every tensor's file value is the F32 model's value rounded. Matrices
        // are those 16-bit values in place (zero copy); 1-D tensors are F32
        // in memory, equal to the file's values widened.
        const auto check = [&](const WeightTensor& got, const WeightTensor& want, const std::string& name) {
            const TensorView& file = m.file().at(name);
            const bool matrix = file.shape.size() == 2;
            ASSERT_EQ(got.dtype, matrix ? dtype : DType::kF32) << name;
            ASSERT_EQ(got.numel(), want.numel()) << name;
            const std::uint16_t* bits = file.as<std::uint16_t>();
            if (matrix) {
                ASSERT_EQ(got.data, static_cast<const void*>(file.data)) << name;
            }
            for (std::int64_t i = 0; i < got.numel(); ++i) {
                const float w = want.f32()[i];
                const std::uint16_t rounded = dtype == DType::kF16 ? numeric::f32_to_f16(w) : numeric::f32_to_bf16(w);
                ASSERT_EQ(bits[i], rounded) << name << "[" << i << "]";
                if (matrix) continue;
                const float widened = dtype == DType::kF16 ? numeric::f16_to_f32(bits[i]) : numeric::bf16_to_f32(bits[i]);
                ASSERT_EQ(got.f32()[i], widened) << name << "[" << i << "]";
            }
        };
        check(m.weights().wte, ref.weights().wte, "wte.weight");
        check(m.weights().wpe, ref.weights().wpe, "wpe.weight");
        check(m.weights().layers[1].attn_c_attn_weight, ref.weights().layers[1].attn_c_attn_weight,
              "h.1.attn.c_attn.weight");
        check(m.weights().layers[0].ln_2_weight, ref.weights().layers[0].ln_2_weight, "h.0.ln_2.weight");
        check(m.weights().layers[0].mlp_c_fc_bias, ref.weights().layers[0].mlp_c_fc_bias, "h.0.mlp.c_fc.bias");
        check(m.weights().ln_f_bias, ref.weights().ln_f_bias, "ln_f.bias");
    }
}

// The sizes Model reports for a decode step and for decode's copies, against
// the file's own tensor table (F32, F16 and q8 checkpoints).
TEST_F(ModelLoad, DecodeBytesAndCopySizesAgreeWithTheFile) {
    write_random_model(dir_ / "F16", small_spec(DType::kF16));
    convert_model(dir_ / "f32", dir_ / "q8", WeightFormat::kQ8);
    for (const char* name : {"f32", "F16", "q8"}) {
        SCOPED_TRACE(name);
        const Model loaded = Model::load(dir_ / name);
        const Model bare = Model::load(dir_ / name, {.decode_panels = false, .huge_page_copies = false});
        EXPECT_EQ(bare.decode_panel_bytes(), 0);
        EXPECT_EQ(bare.huge_page_copy_bytes(), 0);
        EXPECT_GT(loaded.huge_page_copy_bytes(), 0);
        for (const Model* m : {&loaded, &bare}) {
            EXPECT_EQ(m->default_decode_copy_bytes().panels, loaded.decode_panel_bytes());
            EXPECT_EQ(m->default_decode_copy_bytes().huge_page_copies, loaded.huge_page_copy_bytes());
        }
        // A step reads every tensor as stored (1-D ones as F32) but only one
        // row of wpe (and of its q8 scales).
        std::int64_t expected = 0;
        for (const TensorView& t : bare.file().tensors()) {
            const std::int64_t bytes = t.shape.size() == 1 ? t.numel() * 4 : static_cast<std::int64_t>(t.nbytes);
            expected += t.name.starts_with("wpe.") ? bytes / t.shape[0] : bytes;
        }
        EXPECT_EQ(bare.decode_weight_bytes(), expected);
        EXPECT_EQ(loaded.decode_weight_bytes(), expected);
    }
}

TEST_F(ModelLoad, GeneratorIsDeterministic) {
    write_random_model(dir_ / "again", small_spec());
    EXPECT_EQ(read_all(dir_ / "f32" / "model.safetensors"), read_all(dir_ / "again" / "model.safetensors"));
    EXPECT_EQ(read_all(dir_ / "f32" / "config.json"), read_all(dir_ / "again" / "config.json"));
    write_random_model(dir_ / "other", small_spec(DType::kF32, 8));
    EXPECT_NE(read_all(dir_ / "f32" / "model.safetensors"), read_all(dir_ / "other" / "model.safetensors"));
}

TEST_F(ModelLoad, GeneratorDistributions) {
    Model m = Model::load(dir_ / "f32");
    const auto stats = [](const WeightTensor& t, double& mean, double& sd) {
        double s = 0, s2 = 0;
        for (std::int64_t i = 0; i < t.numel(); ++i) {
            s += t.f32()[i];
            s2 += double(t.f32()[i]) * t.f32()[i];
        }
        mean = s / t.numel();
        sd = std::sqrt(s2 / t.numel() - mean * mean);
    };
    double mean, sd;
    stats(m.weights().layers[0].mlp_c_fc_weight, mean, sd);   // 4096 values
    EXPECT_NEAR(mean, 0.0, 0.002);
    EXPECT_NEAR(sd, 0.02, 0.001);
    stats(m.weights().layers[0].mlp_c_fc_bias, mean, sd);     // 128 values
    EXPECT_NEAR(sd, 0.02, 0.005);
    // LayerNorm weights ~ 1 + N(0, 0.1) and biases ~ N(0, 0.1): pooled over
    // the 5 LayerNorms (160 values each).
    double wsum = 0, bsum = 0, bsq = 0;
    int n = 0;
    const auto pool = [&](const WeightTensor& w, const WeightTensor& b) {
        for (std::int64_t i = 0; i < w.numel(); ++i, ++n) {
            wsum += w.f32()[i];
            bsum += b.f32()[i];
            bsq += double(b.f32()[i]) * b.f32()[i];
        }
    };
    for (const LayerWeights& l : m.weights().layers) {
        pool(l.ln_1_weight, l.ln_1_bias);
        pool(l.ln_2_weight, l.ln_2_bias);
    }
    pool(m.weights().ln_f_weight, m.weights().ln_f_bias);
    EXPECT_NEAR(wsum / n, 1.0, 0.03);
    EXPECT_NEAR(bsum / n, 0.0, 0.03);
    EXPECT_NEAR(std::sqrt(bsq / n), 0.1, 0.02);
}

TEST_F(ModelLoad, TinyPresetWithTokenizer) {
    const RandomModelSpec spec = random_model_preset("tiny");
    EXPECT_EQ(spec.config.n_layer, 2);
    EXPECT_EQ(spec.config.n_head, 4);
    EXPECT_EQ(spec.config.n_embd, 64);
    EXPECT_EQ(spec.config.n_ctx, 128);
    EXPECT_EQ(spec.config.vocab_size, 50257);
    const RandomModelSpec big = random_model_preset("124M");
    EXPECT_EQ(expected_parameters(big.config), 124439808);   // GPT-2 small, tied head
    expect_error([] { random_model_preset("huge"); }, {"unknown random-model preset 'huge'"});

    write_random_model(dir_ / "tiny", spec, test::tokenizer_dir());
    EXPECT_EQ(read_all(dir_ / "tiny" / "vocab.json"), read_all(test::tokenizer_dir() / "vocab.json"));
    EXPECT_EQ(read_all(dir_ / "tiny" / "merges.txt"), read_all(test::tokenizer_dir() / "merges.txt"));
    Model m = Model::load(dir_ / "tiny");
    EXPECT_EQ(m.parameter_count(), 3324736);
}

TEST_F(ModelLoad, CheckpointTableOrderAndShapes) {
    Config c = small_spec().config;
    const auto specs = checkpoint_tensor_specs(c);
    ASSERT_EQ(specs.size(), 2u + 12u * 2u + 2u);
    EXPECT_EQ(specs[0].name, "wte.weight");
    EXPECT_EQ(specs[1].name, "wpe.weight");
    EXPECT_EQ(specs[2].name, "h.0.ln_1.weight");
    EXPECT_EQ(specs[4].name, "h.0.attn.c_attn.weight");
    EXPECT_EQ(specs[4].shape, (std::vector<std::int64_t>{32, 96}));
    EXPECT_EQ(specs[12].name, "h.0.mlp.c_proj.weight");
    EXPECT_EQ(specs[12].shape, (std::vector<std::int64_t>{128, 32}));
    EXPECT_EQ(specs[25].name, "h.1.mlp.c_proj.bias");
    EXPECT_EQ(specs[26].name, "ln_f.weight");
    EXPECT_EQ(specs[27].shape, (std::vector<std::int64_t>{32}));
}

TEST_F(ModelLoad, TransformerPrefixBuffersAndLmHead) {
    const Config c = small_spec().config;
    const std::int64_t T = c.n_ctx;
    std::vector<Extra> extra;
    // The causal-mask buffers old exports carry, and a tied lm_head copy.
    extra.push_back({"transformer.h.0.attn.bias", DType::kF32, {1, 1, T, T},
                     std::vector<std::byte>(static_cast<std::size_t>(T * T * 4))});
    extra.push_back({"transformer.h.1.attn.masked_bias", DType::kF32, {}, std::vector<std::byte>(4)});
    extra.push_back({"lm_head.weight", DType::kF32, {c.vocab_size, c.n_embd},
                     std::vector<std::byte>(static_cast<std::size_t>(c.vocab_size * c.n_embd * 4))});
    rewrite(dir_ / "f32", dir_ / "prefixed", [](const std::string& n) { return "transformer." + n; }, extra);
    Model ref = Model::load(dir_ / "f32");
    Model m = Model::load(dir_ / "prefixed", {.huge_page_copies = false});
    EXPECT_EQ(m.parameter_count(), ref.parameter_count());   // buffers and lm_head not counted
    EXPECT_EQ(m.weights().wte.data, m.file().at("transformer.wte.weight").data);
    for (std::int64_t i = 0; i < m.weights().layers[1].attn_c_proj_weight.numel(); ++i)
        ASSERT_EQ(m.weights().layers[1].attn_c_proj_weight.f32()[i], ref.weights().layers[1].attn_c_proj_weight.f32()[i]);
}

TEST_F(ModelLoad, LmHeadWithWrongShape) {
    rewrite(dir_ / "f32", dir_ / "bad", [](const std::string& n) { return n; },
            {{"lm_head.weight", DType::kF32, {49, 32}, std::vector<std::byte>(49 * 32 * 4)}});
    expect_error([&] { Model::load(dir_ / "bad"); },
                 {"'lm_head.weight' has shape [49, 32], expected [50, 32]", "tied to wte.weight"});
}

TEST_F(ModelLoad, MissingTensorsAreAllReported) {
    rewrite(dir_ / "f32", dir_ / "bad", [](const std::string& n) {
        return n == "h.1.mlp.c_fc.bias" || n == "wpe.weight" ? std::string() : n;
    });
    expect_error([&] { Model::load(dir_ / "bad"); },
                 {"model.safetensors does not match", "config.json", "2 problems",
                  "missing tensor 'wpe.weight' [16, 32]", "missing tensor 'h.1.mlp.c_fc.bias' [128]"});
}

TEST_F(ModelLoad, WrongShape) {
    rewrite(dir_ / "f32", dir_ / "bad", [](const std::string& n) { return n == "h.0.ln_2.bias" ? std::string() : n; },
            {{"h.0.ln_2.bias", DType::kF32, {16, 2}, std::vector<std::byte>(32 * 4)}});
    expect_error([&] { Model::load(dir_ / "bad"); },
                 {"1 problem:", "tensor 'h.0.ln_2.bias' has shape [16, 2], expected [32]"});
}

TEST_F(ModelLoad, UnsupportedDtype) {
    // An I8 tensor has to be written by hand: the writer only takes F32/F16/BF16.
    const auto d = dir_ / "i8";
    std::filesystem::create_directories(d);
    std::filesystem::copy_file(dir_ / "f32" / "config.json", d / "config.json");
    SafetensorsFile in = SafetensorsFile::open(dir_ / "f32" / "model.safetensors");
    std::string header = "{";
    std::string data;
    for (const TensorView& t : in.tensors()) {
        const bool i8 = t.name == "h.0.ln_1.weight";
        std::string shape;
        for (std::size_t i = 0; i < t.shape.size(); ++i) {
            if (i) shape += ",";
            shape += std::to_string(t.shape[i]);
        }
        const std::size_t n = i8 ? static_cast<std::size_t>(t.numel()) : t.nbytes;
        if (header.size() > 1) header += ",";
        header += "\"" + t.name + "\":{\"dtype\":\"" + (i8 ? "I8" : "F32") + "\",\"shape\":[" + shape +
                  "],\"data_offsets\":[" + std::to_string(data.size()) + "," + std::to_string(data.size() + n) + "]}";
        data.append(reinterpret_cast<const char*>(t.data), n);
        data.append((8 - data.size() % 8) % 8, '\0');   // keep F32 aligned (gaps are allowed)
    }
    header += "}";
    header.append((8 - header.size() % 8) % 8, ' ');
    std::ofstream out(d / "model.safetensors", std::ios::binary);
    const std::uint64_t len = header.size();
    for (int i = 0; i < 8; ++i) out.put(static_cast<char>((len >> (8 * i)) & 0xff));
    out << header << data;
    out.close();
    expect_error([&] { Model::load(d); }, {"tensor 'h.0.ln_1.weight' has unsupported dtype I8"});
}

TEST_F(ModelLoad, ConfigDisagreesWithTensors) {
    // config.json says 1 layer of width 32 while the file has 2 layers: the
    // second layer's tensors are unexpected.
    auto d = dir_ / "fewer-layers";
    rewrite(dir_ / "f32", d, [](const std::string& n) { return n; });
    Config c = small_spec().config;
    c.n_layer = 1;
    std::ofstream(d / "config.json") << config_to_json(c);
    expect_error([&] { Model::load(d); }, {"12 problems", "unexpected tensor 'h.1.ln_1.weight'", "n_layer=1"});
    // config.json says 3 layers: every tensor of h.2 is missing.
    c.n_layer = 3;
    std::ofstream(d / "config.json") << config_to_json(c);
    expect_error([&] { Model::load(d); }, {"12 problems", "missing tensor 'h.2.attn.c_attn.weight' [32, 96]"});
    // config.json says n_embd 64: every shape is wrong, all reported.
    c = small_spec().config;
    c.n_embd = 64;
    std::ofstream(d / "config.json") << config_to_json(c);
    expect_error([&] { Model::load(d); },
                 {"28 problems", "tensor 'wte.weight' has shape [50, 32], expected [50, 64]",
                  "tensor 'ln_f.bias' has shape [32], expected [64]"});
}

TEST_F(ModelLoad, DuplicateWithAndWithoutPrefix) {
    rewrite(dir_ / "f32", dir_ / "dup", [](const std::string& n) { return n; },
            {{"transformer.ln_f.bias", DType::kF32, {32}, std::vector<std::byte>(32 * 4)}});
    expect_error([&] { Model::load(dir_ / "dup"); }, {"'ln_f.bias' appears twice", "'transformer.ln_f.bias'"});
}

TEST_F(ModelLoad, MissingFiles) {
    expect_error([&] { Model::load(dir_ / "nowhere"); }, {"nowhere", "does not exist"});
    std::filesystem::create_directories(dir_ / "empty");
    expect_error([&] { Model::load(dir_ / "empty"); }, {"cannot open", "empty/config.json"});
    std::filesystem::copy_file(dir_ / "f32" / "config.json", dir_ / "empty" / "config.json");
    expect_error([&] { Model::load(dir_ / "empty"); }, {"cannot open", "empty/model.safetensors"});
}

TEST_F(ModelLoad, MisalignedF32IsCopied) {
    // A file whose header is not padded: the data area starts at 8 + odd.
    const std::string bytes = read_all(dir_ / "f32" / "model.safetensors");
    std::uint64_t len = 0;
    for (int i = 7; i >= 0; --i) len = (len << 8) | static_cast<unsigned char>(bytes[i]);
    std::string header = bytes.substr(8, len);
    while (!header.empty() && header.back() == ' ') header.pop_back();
    if ((8 + header.size()) % 4 == 0) header += ' ';
    const auto d = dir_ / "misaligned";
    std::filesystem::create_directories(d);
    std::filesystem::copy_file(dir_ / "f32" / "config.json", d / "config.json");
    std::ofstream out(d / "model.safetensors", std::ios::binary);
    const std::uint64_t n = header.size();
    for (int i = 0; i < 8; ++i) out.put(static_cast<char>((n >> (8 * i)) & 0xff));
    out << header << bytes.substr(8 + len);
    out.close();
    Model ref = Model::load(dir_ / "f32");
    Model m = Model::load(d);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(m.weights().wte.data) % 4, 0u);
    for (std::int64_t i = 0; i < m.weights().wte.numel(); ++i) ASSERT_EQ(m.weights().wte.f32()[i], ref.weights().wte.f32()[i]);
}

TEST(DefaultTokenizerDir, EnvironmentOverrides) {
    ::setenv("GPT2_DATA_DIR", "/opt/gpt2-data", 1);
    EXPECT_EQ(default_tokenizer_dir(), std::filesystem::path("/opt/gpt2-data/gpt2-tokenizer"));
    ::unsetenv("GPT2_DATA_DIR");
    EXPECT_EQ(default_tokenizer_dir(), test::tokenizer_dir());
    EXPECT_TRUE(std::filesystem::exists(default_tokenizer_dir() / "vocab.json"));
}

}  // namespace
}  // namespace gpt2
