// Tokenizer throughput, single thread: encode a few MB of mixed text as one
// string and as many short strings, decode it, and encode a 1 MiB word.
//
// The text is the natural-language part of the parity goldens
// (tests/data/tokenizer/*.bin: English prose, code, the KJV Bible, fortunes,
// man pages in 13 languages, scripts and emoji), so scripts/bench_tiktoken.mjs
// can time tiktoken on exactly the same bytes:
//
//   build/release/bin/bench_tokenizer
//   node scripts/bench_tiktoken.mjs build/release/bin/bench_tokenizer   # both, side by side
#include <benchmark/benchmark.h>

#include <cstdint>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "gpt2/tokenizer.hpp"

namespace {

const std::filesystem::path kSource = GPT2_SOURCE_DIR;

// The groups that make up the corpus, in order (the long synthetic pieces
// and random strings are left out: they measure pathologies, not throughput).
const char* const kCorpusGroups[] = {"whole_files", "english", "code", "bible", "fortunes",
                                     "manpages", "unicode", "whitespace", "misc", "contractions"};

// Reads the texts of one golden file (format in scripts/make_tokenizer_goldens.mjs).
std::vector<std::string> golden_texts(const std::string& group) {
    const auto path = kSource / "tests" / "data" / "tokenizer" / (group + ".bin");
    std::ifstream in(path, std::ios::binary);
    std::ostringstream buffer;
    buffer << in.rdbuf();
    const std::string data = std::move(buffer).str();
    if (data.compare(0, 4, "GTG1") != 0) throw std::runtime_error("bad golden file " + path.string());
    std::size_t p = 4;
    auto u32_at = [&](std::size_t at) {
        std::uint32_t v = 0;
        for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(data.at(at + static_cast<std::size_t>(i)));
        return v;
    };
    std::vector<std::string> texts;
    while (p < data.size()) {
        const std::size_t name_len = static_cast<unsigned char>(data.at(p + 1)) |
                                     (static_cast<std::size_t>(static_cast<unsigned char>(data.at(p + 2))) << 8);
        p += 3 + name_len;
        const std::uint32_t text_len = u32_at(p);
        texts.push_back(data.substr(p + 4, text_len));
        p += 4 + text_len;
        p += 4 + 2 * static_cast<std::size_t>(u32_at(p));
    }
    return texts;
}

struct Corpus {
    std::vector<std::string> lines;  // every case
    std::string whole;               // the cases joined by '\n'
    Corpus() {
        for (const char* group : kCorpusGroups) {
            for (auto& t : golden_texts(group)) lines.push_back(std::move(t));
        }
        for (const auto& l : lines) (whole += l) += '\n';
    }
};

const Corpus& corpus() {
    static const Corpus c;
    return c;
}

const gpt2::Tokenizer& tokenizer() {
    static const gpt2::Tokenizer t = gpt2::Tokenizer::from_dir(kSource / "data" / "gpt2-tokenizer");
    return t;
}

void BM_EncodeWhole(benchmark::State& state) {
    const auto& text = corpus().whole;
    const auto& tok = tokenizer();
    std::size_t n_ids = 0;
    for (auto _ : state) {
        auto ids = tok.encode(text);
        n_ids = ids.size();
        benchmark::DoNotOptimize(ids.data());
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
    state.counters["text_bytes"] = static_cast<double>(text.size());
    state.counters["ids"] = static_cast<double>(n_ids);
}
BENCHMARK(BM_EncodeWhole)->Unit(benchmark::kMillisecond)->MinTime(2.0);

void BM_EncodeLines(benchmark::State& state) {
    const auto& lines = corpus().lines;
    const auto& tok = tokenizer();
    std::size_t bytes = 0;
    for (const auto& l : lines) bytes += l.size();
    for (auto _ : state) {
        for (const auto& l : lines) {
            auto ids = tok.encode(l);  // a fresh vector per string, as a caller would get
            benchmark::DoNotOptimize(ids.data());
        }
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
    state.counters["strings"] = static_cast<double>(lines.size());
}
BENCHMARK(BM_EncodeLines)->Unit(benchmark::kMillisecond)->MinTime(2.0);

void BM_Decode(benchmark::State& state) {
    const auto& tok = tokenizer();
    const auto ids = tok.encode(corpus().whole);
    for (auto _ : state) {
        auto text = tok.decode(ids);
        benchmark::DoNotOptimize(text.data());
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * corpus().whole.size()));
}
BENCHMARK(BM_Decode)->Unit(benchmark::kMillisecond)->MinTime(2.0);

void BM_DecodeStreaming(benchmark::State& state) {
    const auto& tok = tokenizer();
    const auto ids = tok.encode(corpus().whole);
    for (auto _ : state) {
        gpt2::IncrementalDecoder stream(tok);
        std::size_t n = 0;
        for (auto id : ids) n += stream.push(id).size();
        n += stream.flush().size();
        benchmark::DoNotOptimize(n);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * corpus().whole.size()));
}
BENCHMARK(BM_DecodeStreaming)->Unit(benchmark::kMillisecond);

void BM_EncodeMegabyteWord(benchmark::State& state) {
    std::mt19937 gen(3);
    std::string word(1 << 20, 'a');
    for (auto& c : word) c = static_cast<char>('a' + gen() % 26);
    const auto& tok = tokenizer();
    for (auto _ : state) {
        auto ids = tok.encode(word);
        benchmark::DoNotOptimize(ids.data());
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * word.size()));
}
BENCHMARK(BM_EncodeMegabyteWord)->Unit(benchmark::kMillisecond);

void BM_Load(benchmark::State& state) {
    for (auto _ : state) {
        auto t = gpt2::Tokenizer::from_dir(kSource / "data" / "gpt2-tokenizer");
        benchmark::DoNotOptimize(&t);
    }
}
BENCHMARK(BM_Load)->Unit(benchmark::kMillisecond);

}  // namespace
