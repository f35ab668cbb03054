#pragma once
// GPT-2's byte-level BPE tokenizer: text bytes <-> token ids, exactly as
// OpenAI's tiktoken "gpt2" encoding does it.
//
//   auto tok = gpt2::Tokenizer::from_dir("data/gpt2-tokenizer");
//   std::vector<std::int32_t> ids = tok.encode("Hello world");   // {15496, 995}
//   std::string text = tok.decode(ids);                           // "Hello world"
//   auto with_eot = tok.encode("a<|endoftext|>", {.allow_special = true});  // {64, 50256}
//
//   gpt2::IncrementalDecoder stream(tok);        // streaming output, one token at a time
//   for (auto id : ids) std::fputs(stream.push(id).c_str(), stdout);
//   std::fputs(stream.flush().c_str(), stdout);
//
// Ownership and threads: a Tokenizer is immutable after loading; every const
// member (encode, decode, token_bytes) may be called from any number of
// threads at once (each call uses its own scratch). It is cheap to move and
// is copyable (copies share the immutable tables). An IncrementalDecoder
// holds a pointer to its Tokenizer (which must outlive it) and per-stream
// state: one per stream, one thread at a time.
//
// Input text is any byte string. Valid UTF-8 is split with GPT-2's pattern
// (docs/tokenizer.md lists the rules). A byte that does not begin a complete,
// well-formed UTF-8 sequence is treated as one unit of the "other" class
// (neither letter, number nor whitespace) and still encoded byte-level, so
// decode(encode(s)) == s for every byte string s.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace gpt2 {

struct EncodeOptions {
    // false (default): "<|endoftext|>" in the text is ordinary text (tiktoken's
    // encode_ordinary, OpenAI's encoder.py). true: every occurrence becomes the
    // single id eot_id().
    bool allow_special = false;
};

class Tokenizer {
public:
    // Hugging Face files: vocab.json (token string -> id) + merges.txt.
    // Throws gpt2::Error naming the file when one is missing or malformed.
    static Tokenizer from_files(const std::filesystem::path& vocab_json,
                                const std::filesystem::path& merges_txt);
    // OpenAI's originals: encoder.json + vocab.bpe (the same formats).
    static Tokenizer from_openai_files(const std::filesystem::path& encoder_json,
                                       const std::filesystem::path& vocab_bpe);
    // A directory holding vocab.json + merges.txt, or else encoder.json +
    // vocab.bpe. Throws gpt2::Error when it has neither pair.
    static Tokenizer from_dir(const std::filesystem::path& dir);

    // Text bytes -> token ids. Never throws on content: invalid UTF-8 is encoded
    // byte-level (see above).
    std::vector<std::int32_t> encode(std::string_view text, EncodeOptions options = {}) const;
    // As encode(), appending to `out` (reuse one vector across calls to avoid
    // allocations).
    void encode_into(std::string_view text, std::vector<std::int32_t>& out,
                     EncodeOptions options = {}) const;

    // Token ids -> the exact bytes (may be invalid UTF-8 when a multi-byte
    // character is split across a cut). Throws gpt2::Error naming the position
    // and value of an id outside [0, vocab_size()).
    std::string decode(std::span<const std::int32_t> ids) const;
    // The bytes of one token (a view into the tokenizer, valid while it
    // lives). Throws gpt2::Error for an id outside [0, vocab_size()).
    std::string_view token_bytes(std::int32_t id) const;
    // The id of a token's exact bytes, or -1 when no token has them.
    std::int32_t token_id(std::string_view bytes) const;

    // Number of ids (50257 for GPT-2).
    int vocab_size() const;
    // The id of "<|endoftext|>" (50256 for GPT-2), or -1 if the vocabulary has none.
    std::int32_t eot_id() const;

    Tokenizer(const Tokenizer&);
    Tokenizer& operator=(const Tokenizer&);
    Tokenizer(Tokenizer&&) noexcept;
    Tokenizer& operator=(Tokenizer&&) noexcept;
    ~Tokenizer();

    struct Tables;  // the immutable tables (lib/tokenizer/tables.hpp)

private:
    explicit Tokenizer(std::shared_ptr<const Tables> tables);
    std::shared_ptr<const Tables> tables_;
};

// Streaming decode: feeds ids one at a time and returns only complete UTF-8
// characters, holding back the bytes of a character whose remaining bytes may
// still come in a later token. Bytes that can never become valid UTF-8 are
// released at once, unchanged. Nothing is dropped or altered (a leading U+FEFF
// is kept): the concatenation of every push() and the final flush() equals
// tokenizer.decode(all ids).
class IncrementalDecoder {
public:
    explicit IncrementalDecoder(const Tokenizer& tokenizer);

    // The newly complete bytes after appending token `id` (possibly empty).
    // Throws gpt2::Error for an id out of range (and keeps its state).
    std::string push(std::int32_t id);
    // Returns the held-back bytes (an unfinished, hence invalid, sequence at
    // the end of the stream) and resets the decoder.
    std::string flush();
    // Number of bytes currently held back (0..3).
    std::size_t pending_size() const { return pending_.size(); }

private:
    const Tokenizer* tokenizer_;
    std::string pending_;
};

// Renders token bytes for display with whitespace and invisible characters
// made visible: ' ' -> "␣", '\n' -> "↵", '\t' -> "⇥", '\r' -> "␍", other
// control characters, non-ASCII whitespace and format characters (U+0085,
// U+00A0, U+200B, U+FEFF, ...) -> "\u{FEFF}", a byte that is not part of valid
// UTF-8 -> "\xNN", a backslash -> "\\" (so the rendering is unambiguous).
// Everything else is copied.
std::string visible_piece(std::string_view bytes);

}  // namespace gpt2
