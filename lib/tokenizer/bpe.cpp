#include "tokenizer/bpe.hpp"

#include <algorithm>
#include <queue>

namespace gpt2::tokenizer {

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

void bpe_encode_heap(const Tokenizer::Tables& tables, std::string_view piece, std::vector<std::int32_t>& out) {
    const std::size_t n = piece.size();
    if (n == 0) return;
    // A doubly linked list of current tokens, indexed by the byte offset where
    // each starts (so index order is text order). Each node also caches the
    // merge of the pair it begins (rank kNoRank when none).
    struct Node {
        std::int32_t id;    // -1 once merged into its left neighbour
        std::int32_t prev;  // -1 = none
        std::int32_t next;  // -1 = none
        std::int32_t pair_rank;
        std::int32_t pair_id;
    };
    std::vector<Node> nodes(n);
    for (std::size_t i = 0; i < n; ++i) {
        nodes[i] = {tables.byte_ids[static_cast<unsigned char>(piece[i])], static_cast<std::int32_t>(i) - 1,
                    i + 1 < n ? static_cast<std::int32_t>(i + 1) : -1, PairToMergeMap::kNoRank, -1};
    }
    // Candidates are (rank << 32 | node index), smallest first: lowest rank,
    // then leftmost, the order of the scan. 8-byte entries keep the heap
    // compact (its cache misses are the cost of this path). An entry is stale
    // when its node's cached pair rank changed since; it is then skipped.
    // (Two different pairs with the same rank join into the same token, so a
    // pair that changed to an equal rank is merged identically.)
    auto key = [](std::int32_t rank, std::int32_t node) {
        return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(rank)) << 32) | static_cast<std::uint32_t>(node);
    };
    auto refresh = [&](std::int32_t left) -> bool {  // recompute the pair at `left`; true if it merges
        Node& l = nodes[static_cast<std::size_t>(left)];
        if (l.next < 0) { l.pair_rank = PairToMergeMap::kNoRank; return false; }
        const Merge m = tables.merges.find(l.id, nodes[static_cast<std::size_t>(l.next)].id);
        l.pair_rank = m.rank;
        l.pair_id = m.id;
        return m.id >= 0;
    };
    std::vector<std::uint64_t> heap;
    heap.reserve(n);
    for (std::size_t i = 0; i + 1 < n; ++i) {
        if (refresh(static_cast<std::int32_t>(i))) heap.push_back(key(nodes[i].pair_rank, static_cast<std::int32_t>(i)));
    }
    const std::greater<std::uint64_t> later;
    std::make_heap(heap.begin(), heap.end(), later);  // O(n)
    auto push = [&](std::int32_t left) {
        if (left >= 0 && refresh(left)) {
            heap.push_back(key(nodes[static_cast<std::size_t>(left)].pair_rank, left));
            std::push_heap(heap.begin(), heap.end(), later);
        }
    };
    while (!heap.empty()) {
        std::pop_heap(heap.begin(), heap.end(), later);
        const std::uint64_t top = heap.back();
        heap.pop_back();
        const auto rank = static_cast<std::int32_t>(top >> 32);
        const auto left_index = static_cast<std::int32_t>(top & 0xFFFFFFFFu);
        Node& left = nodes[static_cast<std::size_t>(left_index)];
        if (left.id < 0 || left.pair_rank != rank) continue;  // stale
        Node& right = nodes[static_cast<std::size_t>(left.next)];
        left.id = left.pair_id;
        right.id = -1;
        left.next = right.next;
        if (right.next >= 0) nodes[static_cast<std::size_t>(right.next)].prev = left_index;
        push(left.prev);
        push(left_index);
    }
    for (std::int32_t i = 0; i >= 0; i = nodes[static_cast<std::size_t>(i)].next) {
        out.push_back(nodes[static_cast<std::size_t>(i)].id);
    }
}

void bpe_encode(const Tokenizer::Tables& tables, std::string_view piece, std::vector<std::int32_t>& out) {
    const std::int32_t whole = tables.ordinary_ids.find(piece);
    if (whole >= 0) {
        out.push_back(whole);
        return;
    }
    if (piece.size() <= kBpeScanMaxBytes) bpe_encode_scan(tables, piece, out);
    else bpe_encode_heap(tables, piece, out);
}

}  // namespace gpt2::tokenizer
