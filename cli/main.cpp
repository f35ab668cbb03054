// The gpt2 command: wiring only. Each subcommand is in cmd_<name>.cpp.
#include <cstdio>
#include <exception>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "commands.hpp"
#include "gpt2/error.hpp"
#include "gpt2/version.hpp"

int main(int argc, char** argv) {
    CLI::App app{"gpt2: a GPT-2 inference engine that shows how sampling works"};
    app.require_subcommand(1);
    app.set_version_flag("--version", gpt2::version());
    int verbosity = 0;
    app.add_flag("-v,--verbose", verbosity, "More log output (-v info, -vv debug)");
    // In the order `gpt2 --help` lists them: the sampling views first.
    gpt2::cli::add_generate_command(app);
    gpt2::cli::add_compare_command(app);
    gpt2::cli::add_sample_command(app);
    gpt2::cli::add_tokenize_command(app);
    gpt2::cli::add_logits_command(app);
    gpt2::cli::add_info_command(app);
    gpt2::cli::add_bench_command(app);
    gpt2::cli::add_make_model_command(app);
    gpt2::cli::add_convert_command(app);
    app.parse_complete_callback([&] {
        spdlog::set_level(verbosity >= 2 ? spdlog::level::debug
                          : verbosity == 1 ? spdlog::level::info
                                           : spdlog::level::warn);
    });


    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        int code = app.exit(e);
        return code == 0 ? 0 : gpt2::cli::kExitUsageError;
    } catch (const gpt2::Error& e) {
        std::fprintf(stderr, "gpt2: error: %s\n", e.what());
        return gpt2::cli::kExitRuntimeError;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "gpt2: internal error: %s\n", e.what());
        return gpt2::cli::kExitRuntimeError;
    }
    return 0;
}
