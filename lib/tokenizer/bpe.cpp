#include "tokenizer/bpe.hpp"

#include <algorithm>
#include <functional>


namespace gpt2::tokenizer {
namespace {

// A min-heap of 64-bit keys with four children per node: half the depth of a
// binary heap, and a node's children sit side by side (32 bytes), so a
// sift-down touches about half as many cache lines. The heap of a long piece
// (8 bytes per candidate pair, megabytes for a megabyte word) lives in L3 or
// memory, so the cache lines are its cost, not the comparisons.
class MinHeap4 {
public:
    void reserve(std::size_t n) { keys_.reserve(n); }
    bool empty() const { return keys_.empty(); }
    // Bulk load: append any number of keys, then heapify() once (O(n)).
    void append(std::uint64_t key) { keys_.push_back(key); }
    void heapify() {
        const std::size_t n = keys_.size();
        if (n < 2) return;
        for (std::size_t i = (n - 2) / 4 + 1; i-- > 0;) sift_down(i, keys_[i]);
    }
    void push(std::uint64_t key) {
        std::size_t i = keys_.size();
        keys_.push_back(key);
        while (i > 0) {
            const std::size_t parent = (i - 1) / 4;
            if (keys_[parent] <= key) break;
            keys_[i] = keys_[parent];
            i = parent;
        }
        keys_[i] = key;
    }
    std::uint64_t pop() {  // precondition: !empty()
        const std::uint64_t top = keys_.front();
        const std::uint64_t last = keys_.back();
        keys_.pop_back();
        if (!keys_.empty()) sift_down(0, last);
        return top;
    }

private:
    // Places `key` at the hole `i`, moving smaller children up.
    void sift_down(std::size_t i, std::uint64_t key) {
        const std::size_t n = keys_.size();
        std::uint64_t* k = keys_.data();
        for (;;) {
            const std::size_t first = 4 * i + 1;
            if (first >= n) break;
            const std::size_t end = first + 4 < n ? first + 4 : n;
            std::size_t best = first;
            for (std::size_t c = first + 1; c < end; ++c) {
                if (k[c] < k[best]) best = c;
            }
            if (k[best] >= key) break;
            k[i] = k[best];
            i = best;
        }
        k[i] = key;
    }

    std::vector<std::uint64_t> keys_;
};

}  // namespace

void bpe_encode_scan(const Tokenizer::Tables& tables, std::string_view piece, std::vector<std::int32_t>& out) {
    const std::size_t n = piece.size();
    if (n == 0) return;
    // ids[i] is the i-th current token; ranks[i] / merged[i] describe the
    // pair (ids[i], ids[i+1]).
    std::int32_t ids_buf[kBpeScanMaxBytes];
    std::int32_t ranks_buf[kBpeScanMaxBytes];
    std::int32_t merged_buf[kBpeScanMaxBytes];
    std::vector<std::int32_t> ids_heap, ranks_heap, merged_heap;
    std::int32_t* ids = ids_buf;
    std::int32_t* ranks = ranks_buf;
    std::int32_t* merged = merged_buf;
    if (n > kBpeScanMaxBytes) {  // only when called directly (tests)
        ids_heap.resize(n); ranks_heap.resize(n); merged_heap.resize(n);
        ids = ids_heap.data(); ranks = ranks_heap.data(); merged = merged_heap.data();
    }
    for (std::size_t i = 0; i < n; ++i) ids[i] = tables.byte_ids[static_cast<unsigned char>(piece[i])];
    std::size_t count = n;
    auto update = [&](std::size_t i) {
        const Merge m = tables.merges.find(ids[i], ids[i + 1]);
        ranks[i] = m.rank;
        merged[i] = m.id;
    };
    for (std::size_t i = 0; i + 1 < count; ++i) update(i);
    while (count > 1) {
        std::size_t best = 0;
        std::int32_t best_rank = ranks[0];
        for (std::size_t i = 1; i + 1 < count; ++i) {
            if (ranks[i] < best_rank) { best_rank = ranks[i]; best = i; }
        }
        if (best_rank == PairToMergeMap::kNoRank) break;
        ids[best] = merged[best];
        // Remove element best+1 (its token and its pair with best+2).
        for (std::size_t i = best + 1; i + 1 < count; ++i) {
            ids[i] = ids[i + 1];
            ranks[i] = ranks[i + 1];
            merged[i] = merged[i + 1];
        }
        --count;
        if (best + 1 < count) update(best);
        if (best > 0) update(best - 1);
    }
    out.insert(out.end(), ids, ids + count);
}

namespace {

// The current tokens of a long piece as a doubly linked list, indexed by the
// byte offset where each starts (so index order is text order). Each node
// caches the merge of the pair it begins (rank kNoRank when none). The heap
// and bucket paths share it and differ only in how they find the next pair.
class TokenList {
public:
    TokenList(const Tokenizer::Tables& tables, std::string_view piece) : tables_(tables), nodes_(piece.size()) {
        const std::size_t n = piece.size();
        for (std::size_t i = 0; i < n; ++i) {
            nodes_[i] = {tables.byte_ids[static_cast<unsigned char>(piece[i])], static_cast<std::int32_t>(i) - 1,
                         i + 1 < n ? static_cast<std::int32_t>(i + 1) : -1, PairToMergeMap::kNoRank, -1};
        }
    }
    // Recomputes the pair that starts at node `left`; true if it merges.
    bool refresh(std::int32_t left) {
        Node& l = at(left);
        if (l.next < 0) { l.pair_rank = PairToMergeMap::kNoRank; return false; }
        const Merge m = tables_.merges.find(l.id, at(l.next).id);
        l.pair_rank = m.rank;
        l.pair_id = m.id;
        return m.id >= 0;
    }
    std::int32_t pair_rank(std::int32_t node) const { return at(node).pair_rank; }
    // A candidate (node, rank) is stale when the node was merged away or its
    // pair changed since. (Two different pairs with the same rank join into
    // the same token, so a pair that changed to an equal rank merges alike.)
    bool is_current(std::int32_t node, std::int32_t rank) const {
        const Node& l = at(node);
        return l.id >= 0 && l.pair_rank == rank;
    }
    // Joins node `left` with its right neighbour; returns left's previous
    // node (-1 when none). The pairs at prev and at left need a refresh.
    std::int32_t merge(std::int32_t left_index) {
        Node& left = at(left_index);
        Node& right = at(left.next);
        left.id = left.pair_id;
        right.id = -1;
        left.next = right.next;
        if (right.next >= 0) at(right.next).prev = left_index;
        return left.prev;
    }
    void prefetch(std::int32_t node) const { __builtin_prefetch(&at(node)); }
    void append_ids(std::vector<std::int32_t>& out) const {
        for (std::int32_t i = 0; i >= 0; i = at(i).next) out.push_back(at(i).id);
    }

private:
    struct Node {
        std::int32_t id;    // -1 once merged into its left neighbour
        std::int32_t prev;  // -1 = none
        std::int32_t next;  // -1 = none
        std::int32_t pair_rank;
        std::int32_t pair_id;
    };
    Node& at(std::int32_t i) { return nodes_[static_cast<std::size_t>(i)]; }
    const Node& at(std::int32_t i) const { return nodes_[static_cast<std::size_t>(i)]; }

    const Tokenizer::Tables& tables_;
    std::vector<Node> nodes_;
};

}  // namespace

void bpe_encode_heap(const Tokenizer::Tables& tables, std::string_view piece, std::vector<std::int32_t>& out) {
    const std::size_t n = piece.size();
    if (n == 0) return;
    TokenList list(tables, piece);
    // Candidates are (rank << 32 | node index), smallest first: lowest rank,
    // then leftmost, the order of the scan. 8-byte entries keep the heap
    // compact (its cache misses are the cost of this path). Stale entries are
    // skipped when popped.
    auto key = [](std::int32_t rank, std::int32_t node) {
        return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(rank)) << 32) | static_cast<std::uint32_t>(node);
    };
    MinHeap4 heap;
    heap.reserve(n);
    for (std::size_t i = 0; i + 1 < n; ++i) {
        const auto pos = static_cast<std::int32_t>(i);
        if (list.refresh(pos)) heap.append(key(list.pair_rank(pos), pos));
    }
    heap.heapify();
    auto push = [&](std::int32_t left) {
        if (left >= 0 && list.refresh(left)) heap.push(key(list.pair_rank(left), left));
    };
    while (!heap.empty()) {
        const std::uint64_t top = heap.pop();
        const auto rank = static_cast<std::int32_t>(top >> 32);
        const auto left = static_cast<std::int32_t>(top & 0xFFFFFFFFu);
        if (!list.is_current(left, rank)) continue;
        push(list.merge(left));
        push(left);
    }
    list.append_ids(out);
}

void bpe_encode_buckets(const Tokenizer::Tables& tables, std::string_view piece, std::vector<std::int32_t>& out) {
    const std::size_t n = piece.size();
    if (n == 0) return;
    // The token list of bpe_encode_heap, but the candidates are grouped by
    // rank instead of kept in one big heap. Why: for a megabyte word the
    // single heap holds a million entries and every pop walks ~10 levels of it
    // through cache misses. Here the current lowest rank comes from a small
    // heap of the ranks that have candidates, and within a rank the leftmost
    // candidate comes from (a) the positions found by the initial left-to-right
    // pass, already sorted, read with a cursor, or (b) a small heap of the
    // positions added later by merges. Same order as the scan: lowest rank,
    // then leftmost.
    struct Bucket {
        std::vector<std::int32_t> sorted;  // initial candidates, increasing position
        std::size_t cursor = 0;
        std::vector<std::int32_t> added;   // min-heap of later candidates
        bool empty() const { return cursor == sorted.size() && added.empty(); }
        std::int32_t pop() {  // the leftmost candidate; precondition: !empty()
            const std::greater<std::int32_t> later;
            if (added.empty() || (cursor < sorted.size() && sorted[cursor] < added.front())) return sorted[cursor++];
            std::pop_heap(added.begin(), added.end(), later);
            const std::int32_t pos = added.back();
            added.pop_back();
            return pos;
        }
    };
    TokenList list(tables, piece);
    // One bucket per rank up to the highest rank seen so far (grown
    // geometrically), so a piece that only meets early merges stays small.
    std::vector<Bucket> buckets;
    std::vector<bool> rank_queued;
    std::vector<std::int32_t> ranks;  // min-heap of ranks whose bucket may be non-empty
    const std::greater<std::int32_t> later;
    auto bucket_of = [&](std::int32_t rank) -> Bucket& {
        const auto r = static_cast<std::size_t>(rank);
        if (r >= buckets.size()) {
            const std::size_t size = std::max(r + 1, 2 * buckets.size());
            buckets.resize(size);
            rank_queued.resize(size, false);
        }
        if (!rank_queued[r]) {
            rank_queued[r] = true;
            ranks.push_back(rank);
            std::push_heap(ranks.begin(), ranks.end(), later);
        }
        return buckets[r];
    };
    for (std::size_t i = 0; i + 1 < n; ++i) {
        const auto pos = static_cast<std::int32_t>(i);
        if (list.refresh(pos)) bucket_of(list.pair_rank(pos)).sorted.push_back(pos);
    }
    auto push = [&](std::int32_t left) {
        if (left < 0 || !list.refresh(left)) return;
        std::vector<std::int32_t>& added = bucket_of(list.pair_rank(left)).added;
        added.push_back(left);
        std::push_heap(added.begin(), added.end(), later);
    };
    while (!ranks.empty()) {
        const std::int32_t rank = ranks.front();
        Bucket& bucket = buckets[static_cast<std::size_t>(rank)];
        if (bucket.empty()) {
            std::pop_heap(ranks.begin(), ranks.end(), later);
            ranks.pop_back();
            rank_queued[static_cast<std::size_t>(rank)] = false;
            continue;
        }
        // The sorted run says which nodes come next: fetch them ahead, since a
        // node load that misses the cache is this loop's main cost.
        constexpr std::size_t kPrefetchDistance = 16;
        if (bucket.cursor + kPrefetchDistance < bucket.sorted.size()) {
            list.prefetch(bucket.sorted[bucket.cursor + kPrefetchDistance]);
        }
        const std::int32_t left = bucket.pop();
        if (!list.is_current(left, rank)) continue;
        push(list.merge(left));
        push(left);
    }
    list.append_ids(out);
}

void bpe_encode(const Tokenizer::Tables& tables, std::string_view piece, std::vector<std::int32_t>& out) {
    const std::int32_t whole = tables.ordinary_ids.find(piece);
    if (whole >= 0) {
        out.push_back(whole);
        return;
    }
    if (piece.size() <= kBpeScanMaxBytes) bpe_encode_scan(tables, piece, out);
    else if (piece.size() <= kBpeHeapMaxBytes) bpe_encode_heap(tables, piece, out);
    else bpe_encode_buckets(tables, piece, out);
}

}  // namespace gpt2::tokenizer
