#pragma once
// safetensors: a zero-copy, strictly validated reader and a writer.
//
//   gpt2::SafetensorsFile file = gpt2::SafetensorsFile::open("model.safetensors");
//   const gpt2::TensorView& wte = file.at("wte.weight");   // throws gpt2::Error if absent
//   const float* p = wte.as<float>();                       // throws if dtype is not F32
//
// Format: 8-byte little-endian header length N, N bytes of JSON
// {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...,
//  "__metadata__": {"key": "value"}}, then the data area; offsets are
// relative to the start of the data area.
//
// Ownership: SafetensorsFile owns the memory map; every TensorView points into
// it and is valid while the file object lives. Opening reads only the header;
// tensor bytes are paged in by the OS when (and if) they are touched.
// Thread-safety: a SafetensorsFile is immutable after open() and may be read
// from any number of threads.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace gpt2 {

// Element types. Known ones can be computed with (kI8 only as the data of a
// q8 block-quantized matrix, see model.hpp). The other dtypes the
// safetensors format defines (BOOL, U8, F8_E5M2, F8_E4M3, I16, U16, I32,
// U32, F64, I64, U64) are still size-checked at open but kept as
// kUnsupported with their name, and using such a tensor's data is an error
// that names the dtype (never a silent misread). A dtype string the format
// does not define at all is rejected at open (its size is unknown, so the
// entry cannot be validated).
enum class DType { kF32, kF16, kBF16, kI8, kUnsupported };

// "F32", "F16", "BF16", "I8" ("unsupported" for kUnsupported).
const char* dtype_name(DType dtype);
// Bytes per element of a known dtype (4, 2, 2, 1); throws gpt2::Error for
// kUnsupported.
std::size_t dtype_size(DType dtype);
// Parses "F32"/"F16"/"BF16"/"I8" (case-sensitive, as in the format); throws
// gpt2::Error for anything else.
DType parse_dtype(const std::string& name);

struct TensorView {
    std::string name;
    DType dtype = DType::kUnsupported;
    std::string dtype_name;            // as written in the file, e.g. "I8" for unsupported ones
    std::vector<std::int64_t> shape;
    const std::byte* data = nullptr;   // points into the memory map
    std::size_t nbytes = 0;
    std::size_t file_offset = 0;       // where the data starts in the file, in bytes

    std::int64_t numel() const;
    // Typed access; throws gpt2::Error naming the tensor if the dtype differs
    // (float ↔ kF32, std::uint16_t ↔ kF16 or kBF16, std::int8_t ↔ kI8; an unsupported dtype is
    // named in the message) or if the data is not aligned for T (only
    // possible in files whose writer did not pad the header).
    template <typename T> const T* as() const;
};
extern template const float* TensorView::as<float>() const;
extern template const std::uint16_t* TensorView::as<std::uint16_t>() const;
extern template const std::int8_t* TensorView::as<std::int8_t>() const;

class SafetensorsFile {
public:
    // Maps and validates the file; throws gpt2::Error (the message names the
    // file, the tensor, the expectation and what was found) on any defect:
    // file shorter than 8 bytes, header length past the end or over 100 MB,
    // header not JSON or not an object, an entry without dtype/shape/
    // data_offsets or with the wrong JSON types, shape product x dtype size
    // different from the byte span, offsets outside the data area, two
    // tensors overlapping, a non-string metadata value, a dtype the format
    // does not define. Unused bytes between tensors are allowed.
    static SafetensorsFile open(const std::filesystem::path& path);
    // Validates an in-memory image (the bytes are not copied: they must
    // outlive the object). Used by the fuzz target and tests.
    static SafetensorsFile from_bytes(std::span<const std::byte> bytes, std::string display_name);

    SafetensorsFile(SafetensorsFile&&) noexcept;
    SafetensorsFile& operator=(SafetensorsFile&&) noexcept;
    SafetensorsFile(const SafetensorsFile&) = delete;
    SafetensorsFile& operator=(const SafetensorsFile&) = delete;
    ~SafetensorsFile();

    const std::filesystem::path& path() const;
    std::size_t file_size() const;
    // Tensors in file order (by data offset).
    const std::vector<TensorView>& tensors() const;
    // nullptr when absent.
    const TensorView* find(const std::string& name) const;
    // Throws gpt2::Error naming the file and the tensor when absent.
    const TensorView& at(const std::string& name) const;
    const std::map<std::string, std::string>& metadata() const;

private:
    struct Impl;
    explicit SafetensorsFile(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// Collects tensors and writes a .safetensors file: header padded with spaces
// to a multiple of 8 bytes; tensor data contiguous, wider dtypes first and
// otherwise in insertion order (as the reference writer does), so every
// tensor is aligned for its type in a mapped file; __metadata__ first.
// The data is copied at add() time. Same calls → byte-identical output.
class SafetensorsWriter {
public:
    // Throws gpt2::Error if dtype is kUnsupported, the name is a duplicate or
    // "__metadata__", a dimension is negative, or data.size() differs from
    // numel x dtype_size.
    void add(const std::string& name, DType dtype, std::vector<std::int64_t> shape,
             std::span<const std::byte> data);
    void add_f32(const std::string& name, std::vector<std::int64_t> shape, std::span<const float> data);
    void set_metadata(const std::string& key, const std::string& value);
    // Throws gpt2::Error if the file cannot be written.
    void write(const std::filesystem::path& path) const;
    // The file image, for in-memory tests.
    std::vector<std::byte> serialize() const;

private:
    // The 8-byte length prefix and the padded JSON header.
    std::string header_text() const;
    std::vector<std::size_t> data_order() const;
    struct Entry {
        std::string name;
        DType dtype;
        std::vector<std::int64_t> shape;
        std::vector<std::byte> data;
    };
    std::vector<Entry> entries_;
    std::map<std::string, std::string> metadata_;
};

}  // namespace gpt2
