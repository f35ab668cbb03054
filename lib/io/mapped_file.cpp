#include "io/mapped_file.hpp"

#include <cerrno>
#include <cstring>
#include <utility>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gpt2/error.hpp"

namespace gpt2::io {

namespace {

std::string os_error(const std::string& what, const std::filesystem::path& path) {
    return what + " '" + path.string() + "': " + std::strerror(errno);
}

// Closes the descriptor on every path out of open(); the mapping stays valid
// after close (POSIX keeps a reference to the file).
struct FdGuard {
    int fd;
    ~FdGuard() {
        if (fd >= 0) ::close(fd);
    }
};

}  // namespace

MappedFile MappedFile::open(const std::filesystem::path& path) {
    FdGuard fd{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
    if (fd.fd < 0) throw Error(os_error("cannot open", path));
    struct stat st {};
    if (::fstat(fd.fd, &st) != 0) throw Error(os_error("cannot stat", path));
    if (!S_ISREG(st.st_mode)) throw Error("'" + path.string() + "' is not a regular file");
    MappedFile file;
    file.size_ = static_cast<std::size_t>(st.st_size);
    if (file.size_ == 0) return file;
    void* p = ::mmap(nullptr, file.size_, PROT_READ, MAP_PRIVATE, fd.fd, 0);
    if (p == MAP_FAILED) {
        file.size_ = 0;
        throw Error(os_error("cannot memory-map", path));
    }
    file.data_ = static_cast<const std::byte*>(p);
    return file;
}

MappedFile::MappedFile(MappedFile&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
    if (this != &other) {
        release();
        data_ = std::exchange(other.data_, nullptr);
        size_ = std::exchange(other.size_, 0);
    }
    return *this;
}

MappedFile::~MappedFile() { release(); }

void MappedFile::release() noexcept {
    if (data_ != nullptr) ::munmap(const_cast<std::byte*>(data_), size_);
    data_ = nullptr;
    size_ = 0;
}

}  // namespace gpt2::io
