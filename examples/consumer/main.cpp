// A program outside the project that links the installed gpt2 library: it
// writes a tiny random model, loads it, evaluates a prompt and samples a
// token with a preset chain.
#include <cstdio>
#include <filesystem>

#include <gpt2/gpt2.hpp>

int main() {
    namespace fs = std::filesystem;
    const fs::path dir = fs::temp_directory_path() / "gpt2-consumer-model";
    gpt2::RandomModelSpec spec = gpt2::random_model_preset("tiny");
    gpt2::write_random_model(dir, spec, gpt2::default_tokenizer_dir());

    gpt2::Model model = gpt2::Model::load(dir);
    gpt2::Tokenizer tok = gpt2::Tokenizer::from_dir(dir);
    gpt2::Session session(model, {.max_tokens = 32});
    std::span<const float> logits = session.eval(tok.encode("Hello world"));

    namespace gs = gpt2::sampling;
    gs::Chain chain = gs::Chain::from_params(gs::preset("top_p_90").params);
    gs::Rng rng(42, 0);
    const std::int32_t next = chain.sample(logits, rng);
    std::printf("gpt2 %s: %lld parameters, next token %d\n", gpt2::version(),
                static_cast<long long>(model.parameter_count()), next);
    fs::remove_all(dir);
    return 0;
}
