#include "support/test_env.hpp"

#include <atomic>
#include <unistd.h>

namespace gpt2::test {

std::filesystem::path source_dir() { return GPT2_SOURCE_DIR; }
std::filesystem::path test_data_dir() { return GPT2_TEST_DATA_DIR; }
std::filesystem::path tokenizer_dir() { return source_dir() / "data" / "gpt2-tokenizer"; }
std::filesystem::path cli_path() { return GPT2_CLI_PATH; }

std::filesystem::path make_temp_dir(const std::string& tag) {
    static std::atomic<int> counter{0};
    std::filesystem::path dir = std::filesystem::temp_directory_path() /
        ("gpt2-test-" + tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir;
}

}  // namespace gpt2::test
