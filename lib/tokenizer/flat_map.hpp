#pragma once
// Two small open-addressing hash maps (linear probing, power-of-two capacity,
// load ≤ 1/2) for the tokenizer's read-only tables. They are built once at
// load and then only read, which is what makes concurrent lookups safe.
// Faster than std::unordered_map here because a probe is one cache line,
// not a pointer chase.
#include <cstdint>
#include <string_view>
#include <vector>

namespace gpt2::tokenizer {

inline std::uint64_t mix64(std::uint64_t x) {
    // splitmix64's finaliser: every input bit affects every output bit.
    x ^= x >> 30; x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27; x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

inline std::uint64_t hash_bytes(std::string_view s) {
    // FNV-1a over 8-byte words, then mixed: cheap for the short pieces BPE sees.
    std::uint64_t h = 0xcbf29ce484222325ULL ^ s.size();
    std::size_t i = 0;
    for (; i + 8 <= s.size(); i += 8) {
        std::uint64_t w;
        __builtin_memcpy(&w, s.data() + i, 8);
        h = (h ^ w) * 0x100000001b3ULL;
        h ^= h >> 29;
    }
    std::uint64_t tail = 0;
    for (std::size_t k = 0; i < s.size(); ++i, ++k) {
        tail |= static_cast<std::uint64_t>(static_cast<unsigned char>(s[i])) << (8 * k);
    }
    h = (h ^ tail) * 0x100000001b3ULL;
    return mix64(h);
}

inline std::size_t capacity_for(std::size_t n) {
    std::size_t cap = 16;
    while (cap < 2 * n) cap *= 2;
    return cap;
}

// Byte string -> id. Keys are views into storage owned by the caller (the
// tokenizer's token blob), which must outlive the map.
class BytesToIdMap {
public:
    void reserve(std::size_t n) {
        slots_.assign(capacity_for(n), Slot{});
        mask_ = slots_.size() - 1;
    }
    // Returns false if the key was already present (the map is unchanged).
    bool insert(std::string_view key, std::int32_t id) {
        for (std::size_t i = hash_bytes(key) & mask_;; i = (i + 1) & mask_) {
            Slot& slot = slots_[i];
            if (slot.id < 0) { slot = {key.data(), static_cast<std::uint32_t>(key.size()), id}; return true; }
            if (slot.view() == key) return false;
        }
    }
    std::int32_t find(std::string_view key) const {
        for (std::size_t i = hash_bytes(key) & mask_;; i = (i + 1) & mask_) {
            const Slot& slot = slots_[i];
            if (slot.id < 0) return -1;
            if (slot.size == key.size() && slot.view() == key) return slot.id;
        }
    }

private:
    struct Slot {
        const char* data = nullptr;
        std::uint32_t size = 0;
        std::int32_t id = -1;
        std::string_view view() const { return {data, size}; }
    };
    std::vector<Slot> slots_;
    std::size_t mask_ = 0;
};

// Adjacent token pair (left id, right id) -> the merge that joins them: its
// rank (lower merges first) and the id of the joined token.
struct Merge {
    std::int32_t rank;
    std::int32_t id;
};

class PairToMergeMap {
public:
    static constexpr std::int32_t kNoRank = INT32_MAX;

    void reserve(std::size_t n) {
        slots_.assign(capacity_for(n), Slot{});
        mask_ = slots_.size() - 1;
    }
    void insert(std::int32_t left, std::int32_t right, Merge merge) {
        const std::uint64_t key = pack(left, right);
        for (std::size_t i = mix64(key) & mask_;; i = (i + 1) & mask_) {
            Slot& slot = slots_[i];
            if (slot.key == kEmpty || slot.key == key) { slot = {key, merge}; return; }
        }
    }
    // {kNoRank, -1} when the pair does not merge.
    Merge find(std::int32_t left, std::int32_t right) const {
        const std::uint64_t key = pack(left, right);
        for (std::size_t i = mix64(key) & mask_;; i = (i + 1) & mask_) {
            const Slot& slot = slots_[i];
            if (slot.key == key) return slot.merge;
            if (slot.key == kEmpty) return {kNoRank, -1};
        }
    }

private:
    static constexpr std::uint64_t kEmpty = ~std::uint64_t{0};
    static std::uint64_t pack(std::int32_t a, std::int32_t b) {
        return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(a)) << 32) |
               static_cast<std::uint32_t>(b);
    }
    struct Slot {
        std::uint64_t key = kEmpty;
        Merge merge{kNoRank, -1};
    };
    std::vector<Slot> slots_;
    std::size_t mask_ = 0;
};

}  // namespace gpt2::tokenizer
