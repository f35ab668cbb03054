#include "gpt2/convert.hpp"

#include <cstring>
#include <span>
#include <vector>

#include "gpt2/error.hpp"
#include "gpt2/model.hpp"
#include "gpt2/safetensors.hpp"
#include "kernels/linear.hpp"
#include "kernels/matmul_q8.hpp"
#include "numeric/half.hpp"
#include "weights_table.hpp"

namespace gpt2 {

namespace {

// The tensor's values in F32, logical (checkpoint) layout, row by row.
std::vector<float> to_f32(const WeightTensor& t, bool is_wte) {
    const std::int64_t rows = t.shape[0], cols = t.shape[1];
    std::vector<float> out(static_cast<std::size_t>(rows * cols));
    if (t.dtype != DType::kI8 || is_wte) {
        for (std::int64_t r = 0; r < rows; ++r) kernels::weight_row(out.data() + r * cols, t, r);
        return out;
    }
    // q8 Conv1D: int8 rows are the logical columns.
    std::vector<float> row(static_cast<std::size_t>(rows));
    const int n_blocks = static_cast<int>(rows) / kQ8BlockSize;
    for (std::int64_t n = 0; n < cols; ++n) {
        kernels::dequantize_q8_row(row.data(), t.i8() + n * rows, t.scales + n * n_blocks, static_cast<int>(rows));
        for (std::int64_t k = 0; k < rows; ++k) out[static_cast<std::size_t>(k * cols + n)] = row[static_cast<std::size_t>(k)];
    }
    return out;
}

template <typename T>
std::span<const std::byte> bytes_of(const std::vector<T>& v) {
    return std::as_bytes(std::span<const T>(v));
}

}  // namespace

const char* weight_format_name(WeightFormat format) {
    switch (format) {
        case WeightFormat::kF32: return "f32";
        case WeightFormat::kF16: return "f16";
        case WeightFormat::kBF16: return "bf16";
        case WeightFormat::kQ8: return "q8";
    }
    return "?";
}

WeightFormat parse_weight_format(const std::string& name) {
    for (WeightFormat f : {WeightFormat::kF32, WeightFormat::kF16, WeightFormat::kBF16, WeightFormat::kQ8})
        if (name == weight_format_name(f)) return f;
    throw Error("unknown weight format '" + name + "' (expected f32, f16, bf16 or q8)");
}

ConvertReport convert_model(const std::filesystem::path& in_dir, const std::filesystem::path& out_dir,
                            WeightFormat format) {
    std::error_code ec;
    if (std::filesystem::exists(out_dir, ec) && std::filesystem::equivalent(in_dir, out_dir, ec))
        throw Error("convert: the output directory '" + out_dir.string() + "' is the input directory");
    // Read, never run: no decode copies.
    const Model model = Model::load(in_dir, LoadOptions{.decode_panels = false, .huge_page_copies = false, .distinct_logit_rows = false});
    const std::vector<TensorSpec> specs = checkpoint_tensor_specs(model.config());
    const std::vector<const WeightTensor*> tensors = tensors_in_checkpoint_order(model.weights());

    ConvertReport report;
    SafetensorsWriter writer;
    writer.set_metadata("format", "pt");
    writer.set_metadata("gpt2.weight_format", weight_format_name(format));
    if (format == WeightFormat::kQ8) {
        writer.set_metadata("gpt2.q8.block_size", std::to_string(kQ8BlockSize));
        writer.set_metadata("gpt2.q8.layout",
                            "<name>.q8: I8 [N, K], rows = outputs (Conv1D weights transposed, wte as is); "
                            "<name>.scale: F32 [N, K/32]; w[n, k] = q8[n, k] * scale[n, k/32]");
    }
    for (std::size_t i = 0; i < specs.size(); ++i) {
        const TensorSpec& spec = specs[i];
        const WeightTensor& t = *tensors[i];
        const bool is_wte = spec.name == "wte.weight";
        if (t.numel() != [&] { std::int64_t n = 1; for (auto d : spec.shape) n *= d; return n; }())
            throw Error("convert: internal table mismatch at '" + spec.name + "'");
        const std::vector<float> values = to_f32(t, is_wte);
        const bool matrix = spec.shape.size() == 2 && spec.name != "wpe.weight";
        switch (format) {
            case WeightFormat::kF32: writer.add_f32(spec.name, spec.shape, values); break;
            case WeightFormat::kF16:
            case WeightFormat::kBF16: {
                std::vector<std::uint16_t> bits(values.size());
                if (format == WeightFormat::kF16) numeric::f32_to_f16(values.data(), bits.data(), values.size());
                else numeric::f32_to_bf16(values.data(), bits.data(), values.size());
                writer.add(spec.name, format == WeightFormat::kF16 ? DType::kF16 : DType::kBF16, spec.shape,
                           bytes_of(bits));
                break;
            }
            case WeightFormat::kQ8: {
                // Rows = outputs: N × K.
                const std::int64_t N = is_wte ? spec.shape[0] : (matrix ? spec.shape[1] : 0);
                const std::int64_t K = is_wte ? spec.shape[1] : (matrix ? spec.shape[0] : 0);
                if (!matrix || K % kQ8BlockSize != 0) {
                    if (matrix) ++report.n_kept_f32;
                    writer.add_f32(spec.name, spec.shape, values);
                    break;
                }
                std::vector<float> row(static_cast<std::size_t>(K));
                std::vector<std::int8_t> q(static_cast<std::size_t>(N * K));
                std::vector<float> scales(static_cast<std::size_t>(N * (K / kQ8BlockSize)));
                for (std::int64_t n = 0; n < N; ++n) {
                    for (std::int64_t k = 0; k < K; ++k)
                        row[static_cast<std::size_t>(k)] =
                            is_wte ? values[static_cast<std::size_t>(n * K + k)] : values[static_cast<std::size_t>(k * N + n)];
                    kernels::quantize_q8_row(q.data() + n * K, scales.data() + n * (K / kQ8BlockSize), row.data(),
                                             static_cast<int>(K));
                }
                writer.add(spec.name + ".q8", DType::kI8, {N, K}, bytes_of(q));
                writer.add(spec.name + ".scale", DType::kF32, {N, K / kQ8BlockSize}, bytes_of(scales));
                ++report.n_quantized;
                break;
            }
        }
    }

    std::filesystem::create_directories(out_dir, ec);
    if (ec) throw Error("convert: cannot create '" + out_dir.string() + "': " + ec.message());
    // config.json and the tokenizer files travel with the weights.
    for (const auto& entry : std::filesystem::directory_iterator(in_dir)) {
        if (!entry.is_regular_file() || entry.path().filename() == "model.safetensors") continue;
        std::filesystem::copy_file(entry.path(), out_dir / entry.path().filename(),
                                   std::filesystem::copy_options::overwrite_existing, ec);
        if (ec) throw Error("convert: cannot copy '" + entry.path().string() + "': " + ec.message());
    }
    writer.write(out_dir / "model.safetensors");
    report.bytes_in = std::filesystem::file_size(in_dir / "model.safetensors");
    report.bytes_out = std::filesystem::file_size(out_dir / "model.safetensors");
    return report;
}

}  // namespace gpt2
