#include "huge_pages.hpp"

#include <cstdlib>

#include <sys/mman.h>

namespace gpt2 {

void* allocate_huge_pages(std::size_t bytes) {
    constexpr std::size_t kHugePage = std::size_t{2} << 20;
    const std::size_t align = bytes >= kHugePage ? kHugePage : 64;
    const std::size_t rounded = (bytes + align - 1) / align * align;   // aligned_alloc wants a multiple
    void* p = std::aligned_alloc(align, rounded == 0 ? align : rounded);
    if (p == nullptr) throw std::bad_alloc();
#if defined(MADV_HUGEPAGE)
    if (align == kHugePage) (void)madvise(p, rounded, MADV_HUGEPAGE);   // advice only: may be refused
#endif
    return p;
}

void FreeHugePages::operator()(std::byte* p) const { std::free(p); }

}  // namespace gpt2
