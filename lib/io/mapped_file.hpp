#pragma once
// A read-only memory map of a whole file (RAII).
//
// Ownership: the MappedFile owns the mapping; bytes() is valid while it lives
// and keeps its address when the object is moved. Mapping reads nothing: pages
// are brought in by the OS when touched. Immutable, so safe to read from any
// number of threads.
#include <cstddef>
#include <filesystem>
#include <span>

namespace gpt2::io {

class MappedFile {
public:
    MappedFile() = default;
    // Maps `path` read-only; throws gpt2::Error naming the file and the OS
    // error when it cannot be opened, stat'ed or mapped. An empty file gives
    // an empty span (mmap of length 0 is not allowed).
    static MappedFile open(const std::filesystem::path& path);

    MappedFile(MappedFile&& other) noexcept;
    MappedFile& operator=(MappedFile&& other) noexcept;
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;
    ~MappedFile();

    std::span<const std::byte> bytes() const { return {data_, size_}; }
    std::size_t size() const { return size_; }

private:
    void release() noexcept;
    const std::byte* data_ = nullptr;
    std::size_t size_ = 0;
};

}  // namespace gpt2::io
