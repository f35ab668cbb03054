// gpt2 convert: rewrites a checkpoint in another weight format.
#include <memory>
#include <string>

#include <fmt/format.h>

#include "commands.hpp"
#include "gpt2/convert.hpp"

namespace gpt2::cli {

namespace {

struct ConvertOptions {
    std::string model;
    std::string dtype;
    std::string out;
};

}  // namespace

void add_convert_command(CLI::App& app) {
    auto o = std::make_shared<ConvertOptions>();
    CLI::App* cmd = app.add_subcommand(
        "convert", "Rewrite a checkpoint with F32, F16, BF16 or q8 (int8, one scale per 32 inputs) weights");
    cmd->add_option("--model", o->model, "Input model directory (config.json, model.safetensors)")->required();
    cmd->add_option("--dtype", o->dtype, "Weight format of the output")
        ->required()
        ->check(CLI::IsMember({"f32", "f16", "bf16", "q8"}));
    cmd->add_option("-o,--out", o->out, "Output directory (created; config and tokenizer files are copied)")
        ->required();
    cmd->footer(
        "Example:\n  gpt2 convert --model models/kjv-small --dtype q8 --out /tmp/kjv-q8\n"
        "q8 stores each matrix as <name>.q8 (I8, rows = outputs) + <name>.scale (F32 per 32 inputs);\n"
        "see docs/benchmarks.md, \"Weight formats and kernels\".\n");
    cmd->callback([o] {
        const WeightFormat format = parse_weight_format(o->dtype);
        const ConvertReport r = convert_model(o->model, o->out, format);
        fmt::print("wrote {} ({}): {} -> {} bytes", o->out, weight_format_name(format), r.bytes_in, r.bytes_out);
        if (format == WeightFormat::kQ8)
            fmt::print(", {} matrices quantized, {} kept F32 (inputs not a multiple of 32)", r.n_quantized,
                       r.n_kept_f32);
        fmt::print("\n");
    });
}

}  // namespace gpt2::cli
