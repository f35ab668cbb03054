#pragma once
// Streaming UTF-8 sanitiser for display: bytes in (any split, any content),
// valid UTF-8 out.
//
//   gpt2::Utf8Stream out;
//   std::fputs(out.push(tokenizer.token_bytes(id)).c_str(), stdout);   // per token
//   std::fputs(out.flush().c_str(), stdout);                          // at the end
//
// Why: GPT-2's byte-level tokens can split a character ("é" may arrive as two
// tokens of one byte each), and a sampled sequence can contain bytes that
// never form a character (a lone continuation byte). A terminal must see
// neither half a character nor an invalid byte. push() returns the complete,
// well-formed characters so far and holds back the bytes of a sequence that
// may still be completed by the next push (at most 3). A byte that cannot be
// part of a well-formed sequence (RFC 3629: no overlongs, no surrogates,
// nothing above U+10FFFF) becomes U+FFFD, one per maximal invalid subpart
// (the W3C/Unicode "substitution of maximal subparts" practice), so every
// other character is passed through unchanged. flush() turns an unfinished
// sequence into U+FFFD and resets the stream.
//
// Unlike gpt2::IncrementalDecoder (lossless, releases invalid bytes as they
// are), this is lossy on invalid input by design: it is for showing text.
// Ownership/threads: a small value; one stream per output, one thread.
#include <string>
#include <string_view>

namespace gpt2 {

class Utf8Stream {
public:
    // Appends `bytes`; returns the newly complete valid UTF-8 (maybe empty).
    std::string push(std::string_view bytes);
    // Returns what is held back as U+FFFD (or "" when nothing is) and resets.
    std::string flush();
    // Bytes currently held back (0..3).
    std::size_t pending_size() const { return pending_.size(); }

private:
    std::string pending_;
};

// True when `s` is well-formed UTF-8 (RFC 3629).
bool is_valid_utf8(std::string_view s);

}  // namespace gpt2
