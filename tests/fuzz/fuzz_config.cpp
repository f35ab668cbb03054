// libFuzzer target: config.json parsing and validation. Any text must parse
// to a valid Config or raise gpt2::Error; a parsed config must validate and
// survive a round trip through config_to_json.
#include <cstddef>
#include <cstdint>
#include <string>

#include "gpt2/config.hpp"
#include "gpt2/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    gpt2::Config config;
    try {
        config = gpt2::parse_config(text, "fuzz/config.json");
    } catch (const gpt2::Error&) {
        return 0;
    }
    config.validate("parsed");   // must not throw: parse_config validated it
    const gpt2::Config again = gpt2::parse_config(gpt2::config_to_json(config), "round trip");
    if (again.n_layer != config.n_layer || again.n_head != config.n_head || again.n_embd != config.n_embd ||
        again.n_ctx != config.n_ctx || again.vocab_size != config.vocab_size ||
        again.layer_norm_epsilon != config.layer_norm_epsilon || again.bos_token_id != config.bos_token_id ||
        again.eos_token_id != config.eos_token_id || again.activation_function != config.activation_function)
        __builtin_trap();
    return 0;
}
