#pragma once
// Converting a checkpoint to another weight format.
//
//   gpt2::ConvertReport r = gpt2::convert_model("models/kjv-small", "/tmp/kjv-q8", gpt2::WeightFormat::kQ8);
//
// Formats (the in-memory meaning is in weights.hpp):
// - f32, f16, bf16: every tensor in that dtype (16-bit values rounded to
//   nearest even), names and layout as in a Hugging Face checkpoint.
// - q8: each matrix except wpe (wte and the four per block) becomes
//   "<name>.q8" I8 [N, K] (rows = outputs: Conv1D weights transposed) plus
//   "<name>.scale" F32 [N, K/32]: symmetric per-block quantization,
//   scale = max|w| / 127 over 32 consecutive inputs, q = round(w / scale).
//   A matrix whose K is not a multiple of 32 stays F32. wpe and the 1-D
//   tensors stay F32. Metadata: "gpt2.weight_format" = "q8",
//   "gpt2.q8.block_size" = "32", "gpt2.q8.layout" (a description).
// Every output file carries "format" = "pt" and "gpt2.weight_format".
// The input may be in any format (q8 is dequantized first). config.json and
// the other files of the input directory (tokenizer) are copied.
// Thread-safety: reentrant. Failure: gpt2::Error (unreadable input, output
// directory equal to the input, I/O errors).
#include <cstdint>
#include <filesystem>
#include <string>

namespace gpt2 {

enum class WeightFormat { kF32, kF16, kBF16, kQ8 };

// "f32", "f16", "bf16", "q8"; parse throws gpt2::Error on anything else.
const char* weight_format_name(WeightFormat format);
WeightFormat parse_weight_format(const std::string& name);

struct ConvertReport {
    std::uintmax_t bytes_in = 0;    // model.safetensors sizes
    std::uintmax_t bytes_out = 0;
    int n_quantized = 0;            // matrices written as q8
    int n_kept_f32 = 0;             // matrices left F32 by q8 (K not a multiple of 32)
};

// Reads in_dir (config.json + model.safetensors), writes out_dir (created).
ConvertReport convert_model(const std::filesystem::path& in_dir, const std::filesystem::path& out_dir,
                            WeightFormat format);

}  // namespace gpt2
