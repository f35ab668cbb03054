// libFuzzer target: the tokenizer on arbitrary bytes (valid or not UTF-8).
// Checks what must hold for every input, not only that nothing crashes:
//   - decode(encode(s)) == s byte for byte (byte-level BPE is lossless),
//     with and without special-token recognition;
//   - every id is in range; the streaming IncrementalDecoder, fed the ids one
//     by one, releases exactly the same bytes;
//   - the three BPE merge paths (array scan, heap, rank buckets) agree on the
//     whole input taken as one piece;
//   - Utf8Stream emits only well-formed UTF-8 whatever the split.
// The real GPT-2 tokenizer files are loaded once from the source tree.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gpt2/tokenizer.hpp"
#include "gpt2/utf8_stream.hpp"
#include "tokenizer/bpe.hpp"
#include "tokenizer/load.hpp"

namespace {

#define GPT2_TOKENIZER_DIR GPT2_SOURCE_DIR "/data/gpt2-tokenizer"

const gpt2::Tokenizer& tokenizer() {
    static const gpt2::Tokenizer t = gpt2::Tokenizer::from_dir(GPT2_TOKENIZER_DIR);
    return t;
}

const gpt2::Tokenizer::Tables& tables() {
    static const auto t = gpt2::tokenizer::load_tables(GPT2_TOKENIZER_DIR "/vocab.json", GPT2_TOKENIZER_DIR "/merges.txt");
    return *t;
}

void check(bool ok) {
    if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const gpt2::Tokenizer& tok = tokenizer();
    const std::string_view text(reinterpret_cast<const char*>(data), size);

    for (const bool allow_special : {false, true}) {
        const std::vector<std::int32_t> ids = tok.encode(text, {.allow_special = allow_special});
        for (const std::int32_t id : ids) check(id >= 0 && id < tok.vocab_size());
        check(tok.decode(ids) == text);

        gpt2::IncrementalDecoder stream(tok);
        std::string streamed;
        for (const std::int32_t id : ids) streamed += stream.push(id);
        streamed += stream.flush();
        check(streamed == text);
    }

    // The whole input as one piece; the quadratic scan path (meant for
    // pieces up to 128 bytes) only on inputs short enough to stay quick.
    std::vector<std::int32_t> scan, heap;
    gpt2::tokenizer::bpe_encode_heap(tables(), text, heap);
    if (size <= 512) {
        gpt2::tokenizer::bpe_encode_scan(tables(), text, scan);
        check(scan == heap);
    }
    // The bucket path allocates a table of one bucket per rank (~3 MB) per
    // call, which would slow the whole run tenfold under the sanitizers, so
    // it is checked on a deterministic eighth of the inputs.
    if (size > 0 && data[size - 1] % 8 == 0) {
        std::vector<std::int32_t> buckets;
        gpt2::tokenizer::bpe_encode_buckets(tables(), text, buckets);
        check(heap == buckets);
    }

    // Split the input at a data-dependent point to exercise held-back bytes.
    gpt2::Utf8Stream display;
    const std::size_t cut = size == 0 ? 0 : data[0] % (size + 1);
    std::string shown = display.push(text.substr(0, cut));
    shown += display.push(text.substr(cut));
    shown += display.flush();
    check(gpt2::is_valid_utf8(shown));
    return 0;
}
