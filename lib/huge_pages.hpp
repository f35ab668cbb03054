#pragma once
// Memory for the data a decode step streams from start to end (the weights),
// advised as 2 MB pages where the kernel allows them (Linux transparent huge
// pages in "madvise" mode, the default on Debian). On a Zen 4 one thread read
// a 512 MB buffer at 29-30 GB/s on 2 MB pages against 21-26 on 4 KB pages
// (the file map or the heap), and q8 decode went 120-145 -> 157-173 tok/s
// (docs/benchmarks.md, tenth round). Not measured apart, but the likely
// reasons: 512 times fewer TLB misses, and hardware prefetchers that stop
// at page boundaries.
#include <cstddef>
#include <memory>
#include <new>

namespace gpt2 {

// `bytes` (> 0) aligned to 2 MB when at least that large (64 bytes
// otherwise) and advised as huge pages; release with std::free. Throws
// std::bad_alloc.
void* allocate_huge_pages(std::size_t bytes);

struct FreeHugePages {
    void operator()(std::byte* p) const;
};
using HugePageBuffer = std::unique_ptr<std::byte[], FreeHugePages>;

inline HugePageBuffer make_huge_page_buffer(std::size_t bytes) {
    return HugePageBuffer(static_cast<std::byte*>(allocate_huge_pages(bytes)));
}

// For std::vector in the benchmarks, so that their weights sit in memory
// like the model's.
template <typename T>
struct HugePageAllocator {
    using value_type = T;
    HugePageAllocator() = default;
    template <typename U>
    HugePageAllocator(const HugePageAllocator<U>&) noexcept {}
    T* allocate(std::size_t n) { return static_cast<T*>(allocate_huge_pages(n * sizeof(T))); }
    void deallocate(T* p, std::size_t) noexcept { FreeHugePages{}(reinterpret_cast<std::byte*>(p)); }
    template <typename U>
    bool operator==(const HugePageAllocator<U>&) const noexcept { return true; }
};

}  // namespace gpt2
