#include "support/cli_run.hpp"

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sys/wait.h>

#include "gpt2/random_model.hpp"
#include "support/test_env.hpp"

namespace gpt2::test {

namespace {

std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

std::string shell_quote(const std::string& text) {
    std::string out = "'";
    for (char c : text) {
        if (c == '\'') out += "'\\''";
        else out += c;
    }
    return out + "'";
}

CliResult run_cli(const std::string& args, const std::string& env, const std::string* stdin_text) {
    const auto dir = make_temp_dir("cli-run");
    const auto out = dir / "out", err = dir / "err", in = dir / "in";
    std::string input = "/dev/null";
    if (stdin_text != nullptr) {
        std::ofstream(in, std::ios::binary) << *stdin_text;
        input = in.string();
    }
    const std::string cmd = env + (env.empty() ? "" : " ") + shell_quote(cli_path().string()) + " " + args + " > " +
                            out.string() + " 2> " + err.string() + " < " + input;
    const int raw = std::system(cmd.c_str());
    CliResult r;
    r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
    r.out = slurp(out);
    r.err = slurp(err);
    std::filesystem::remove_all(dir);
    return r;
}

const std::filesystem::path& tiny_model_dir() {
    // Removed when the test program exits (ctest runs each test in its own
    // process, so each writes its own copy: about 13 MB, a few ms).
    struct Owned {
        std::filesystem::path root = make_temp_dir("tiny-model");
        std::filesystem::path dir = root / "tiny";
        Owned() { write_random_model(dir, random_model_preset("tiny"), tokenizer_dir()); }
        ~Owned() {
            std::error_code ec;
            std::filesystem::remove_all(root, ec);
        }
    };
    static const Owned owned;
    return owned.dir;
}

}  // namespace gpt2::test
