#include "gpt2/random_model.hpp"

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <numbers>

#include "gpt2/error.hpp"
#include "numeric/half.hpp"
#include "weights_table.hpp"

namespace gpt2 {

namespace {

// splitmix64 (Steele, Lea, Flood 2014; constants from Vigna's reference):
// a tiny generator whose output is fixed by its definition, unlike the
// distributions of <random>, which differ between standard libraries.
class SplitMix64 {
public:
    explicit SplitMix64(std::uint64_t seed) : state_(seed) {}
    std::uint64_t next() {
        std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }
    // Uniform in (0, 1]: 53 random bits, never 0 (log(0) below).
    double uniform_open0() { return (static_cast<double>(next() >> 11) + 1.0) * 0x1p-53; }

private:
    std::uint64_t state_;
};

// Standard normals by the Box-Muller transform, both outputs used:
// z0 = sqrt(-2 ln u1) cos(2 pi u2), z1 = sqrt(-2 ln u1) sin(2 pi u2).
// Computed in double and rounded to float, so a last-bit difference between
// libm implementations of log/cos/sin practically never reaches the file.
class Normal {
public:
    explicit Normal(std::uint64_t seed) : rng_(seed) {}
    double next() {
        if (has_spare_) {
            has_spare_ = false;
            return spare_;
        }
        const double r = std::sqrt(-2.0 * std::log(rng_.uniform_open0()));
        const double theta = 2.0 * std::numbers::pi * rng_.uniform_open0();
        spare_ = r * std::sin(theta);
        has_spare_ = true;
        return r * std::cos(theta);
    }

private:
    SplitMix64 rng_;
    double spare_ = 0.0;
    bool has_spare_ = false;
};

void copy_tokenizer_file(const std::filesystem::path& from, const std::filesystem::path& to) {
    std::error_code ec;
    std::filesystem::copy_file(from, to, std::filesystem::copy_options::overwrite_existing, ec);
    if (ec) throw Error("cannot copy '" + from.string() + "' to '" + to.string() + "': " + ec.message());
}

}  // namespace

RandomModelSpec random_model_preset(const std::string& name) {
    RandomModelSpec spec;
    Config& c = spec.config;
    if (name == "tiny") {
        c.n_layer = 2;
        c.n_head = 4;
        c.n_embd = 64;
        c.n_ctx = 128;
    } else if (name == "124M") {
        c.n_layer = 12;
        c.n_head = 12;
        c.n_embd = 768;
        c.n_ctx = 1024;
    } else {
        throw Error("unknown random-model preset '" + name + "' (expected tiny or 124M)");
    }
    c.vocab_size = 50257;
    c.bos_token_id = c.eos_token_id = 50256;
    return spec;
}

void write_random_model(const std::filesystem::path& dir, const RandomModelSpec& spec,
                        const std::filesystem::path& tokenizer_dir) {
    spec.config.validate("random model spec");
    if (spec.dtype != DType::kF32 && spec.dtype != DType::kF16 && spec.dtype != DType::kBF16) throw Error("random model spec: dtype must be F32, F16 or BF16");
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) throw Error("cannot create directory '" + dir.string() + "': " + ec.message());

    Weights scratch;
    std::vector<WeightSlot> slots = weight_slots(spec.config, scratch);
    Normal normal(spec.seed);
    SafetensorsWriter writer;
    writer.set_metadata("format", "pt");
    std::vector<float> values;
    std::vector<std::uint16_t> halves;
    // One stream in table order: the same spec gives the same numbers.
    for (const WeightSlot& slot : slots) {
        std::int64_t n = 1;
        for (std::int64_t d : slot.spec.shape) n *= d;
        values.resize(static_cast<std::size_t>(n));
        // Matrices and biases ~ N(0, 0.02) (GPT-2's initialiser); LayerNorm
        // weight ~ 1 + N(0, 0.1), bias ~ N(0, 0.1) so that a LayerNorm bug
        // changes the output. The scaled value is its own statement so no
        // compiler fuses it into an FMA (which would change the last bit).
        const double std_dev = (slot.role == TensorRole::kMatrix || slot.role == TensorRole::kBias) ? 0.02 : 0.1;
        const double mean = slot.role == TensorRole::kNormWeight ? 1.0 : 0.0;
        for (float& v : values) {
            const double scaled = std_dev * normal.next();
            v = static_cast<float>(mean + scaled);
        }
        if (spec.dtype == DType::kF32) {
            writer.add_f32(slot.spec.name, slot.spec.shape, values);
            continue;
        }
        halves.resize(values.size());
        if (spec.dtype == DType::kF16) numeric::f32_to_f16(values.data(), halves.data(), values.size());
        else numeric::f32_to_bf16(values.data(), halves.data(), values.size());
        writer.add(slot.spec.name, spec.dtype, slot.spec.shape, std::as_bytes(std::span(halves)));
    }
    writer.write(dir / "model.safetensors");

    const std::filesystem::path config_path = dir / "config.json";
    std::ofstream out(config_path, std::ios::binary | std::ios::trunc);
    out << config_to_json(spec.config);
    out.close();
    if (!out) throw Error("cannot write '" + config_path.string() + "'");

    if (!tokenizer_dir.empty()) {
        for (const char* f : {"vocab.json", "merges.txt"}) copy_tokenizer_file(tokenizer_dir / f, dir / f);
    }
}

std::filesystem::path default_tokenizer_dir() {
    if (const char* data = std::getenv("GPT2_DATA_DIR"); data != nullptr && *data != '\0')
        return std::filesystem::path(data) / "gpt2-tokenizer";
    const std::filesystem::path source = std::filesystem::path(GPT2_SOURCE_DIR) / "data" / "gpt2-tokenizer";
    std::error_code ec;
    if (std::filesystem::exists(source / "vocab.json", ec)) return source;
    // Installed layout: <prefix>/bin/gpt2 and <prefix>/share/gpt2/gpt2-tokenizer.
    const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (!ec) return exe.parent_path().parent_path() / "share" / "gpt2" / "gpt2-tokenizer";
    return source;
}

}  // namespace gpt2
