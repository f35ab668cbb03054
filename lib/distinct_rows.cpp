#include "distinct_rows.hpp"

#include <algorithm>
#include <bit>
#include <cstring>

namespace gpt2 {

namespace {

// A 64-bit mix of a row's first bytes (at most 64): cheap, and only a
// filter, since rows whose prefixes hash alike are compared in full.
std::uint64_t prefix_key(const unsigned char* row, std::size_t row_bytes) {
    const std::size_t n = std::min<std::size_t>(row_bytes, 64);
    std::uint64_t h = 0x9E3779B97F4A7C15ull ^ n;
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        std::uint64_t w = 0;
        std::memcpy(&w, row + i, 8);
        h = (h ^ w) * 0xBF58476D1CE4E5B9ull;
        h ^= h >> 31;
    }
    for (; i < n; ++i) h = (h ^ row[i]) * 0x94D049BB133111EBull;
    return h ^ (h >> 29);
}

}  // namespace

DistinctRows find_distinct_rows(const void* data, std::int64_t rows, std::size_t row_bytes) {
    DistinctRows out;
    if (rows <= 0) return out;
    const auto* base = static_cast<const unsigned char*>(data);
    const auto n = static_cast<std::size_t>(rows);
    out.of.resize(n);
    // Open addressing, at most half full: slot = distinct index + 1 (0 empty).
    const std::size_t size = std::bit_ceil(2 * n);
    std::vector<std::uint64_t> keys(size);
    std::vector<std::int32_t> slots(size, 0);
    // The rows sit row_bytes apart (1.5-3 KB for GPT-2 124M), out of reach
    // of the hardware prefetchers: ask for the prefixes a few rows ahead.
    constexpr std::size_t kAhead = 16;
    for (std::size_t r = 0; r < n; ++r) {
        if (r + kAhead < n) __builtin_prefetch(base + (r + kAhead) * row_bytes);
        const unsigned char* row = base + r * row_bytes;
        const std::uint64_t key = prefix_key(row, row_bytes);
        std::size_t s = static_cast<std::size_t>(key) & (size - 1);
        for (;; s = (s + 1) & (size - 1)) {
            if (slots[s] == 0) {   // a new content
                out.first.push_back(static_cast<std::int64_t>(r));
                slots[s] = static_cast<std::int32_t>(out.first.size());
                keys[s] = key;
                out.of[r] = slots[s] - 1;
                break;
            }
            const std::int32_t d = slots[s] - 1;
            if (keys[s] == key &&
                std::memcmp(row, base + static_cast<std::size_t>(out.first[static_cast<std::size_t>(d)]) * row_bytes,
                            row_bytes) == 0) {
                out.of[r] = d;
                break;
            }
        }
    }
    return out;
}

}  // namespace gpt2
