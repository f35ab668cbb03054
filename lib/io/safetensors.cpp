// safetensors reader and writer. The format: https://github.com/huggingface/safetensors
// (8-byte little-endian header length, JSON header, data area).
#include "gpt2/safetensors.hpp"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <limits>
#include <optional>

#include <nlohmann/json.hpp>

#include "gpt2/error.hpp"
#include "io/mapped_file.hpp"
#include "io/json_strict.hpp"

namespace gpt2 {

namespace {

// A header bigger than this is not a plausible model file (the real GPT-2 XL
// header is ~60 KB); the limit also bounds the JSON parser's work.
constexpr std::uint64_t kMaxHeaderBytes = 100'000'000;
constexpr const char* kMetadataKey = "__metadata__";

// Element sizes of every dtype the safetensors format defines, so that the
// byte span of tensors we cannot compute with is still validated.
std::optional<std::size_t> format_dtype_size(const std::string& name) {
    static const std::pair<const char*, std::size_t> kSizes[] = {
        {"BOOL", 1}, {"U8", 1},  {"I8", 1},  {"F8_E5M2", 1}, {"F8_E4M3", 1},
        {"I16", 2},  {"U16", 2}, {"F16", 2}, {"BF16", 2},    {"I32", 4},
        {"U32", 4},  {"F32", 4}, {"F64", 8}, {"I64", 8},     {"U64", 8}};
    for (const auto& [n, size] : kSizes)
        if (name == n) return size;
    return std::nullopt;
}

std::string shape_string(const std::vector<std::int64_t>& shape) {
    std::string s = "[";
    for (std::size_t i = 0; i < shape.size(); ++i) {
        if (i) s += ", ";
        s += std::to_string(shape[i]);
    }
    return s + "]";
}

std::string json_type(const nlohmann::json& j) { return j.type_name(); }

// Reads a non-negative JSON integer that fits in int64; nullopt otherwise.
std::optional<std::uint64_t> as_count(const nlohmann::json& j) {
    if (j.is_number_unsigned()) {
        auto v = j.get<std::uint64_t>();
        if (v <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return v;
        return std::nullopt;
    }
    if (j.is_number_integer()) {
        auto v = j.get<std::int64_t>();
        if (v >= 0) return static_cast<std::uint64_t>(v);
    }
    return std::nullopt;
}

}  // namespace

const char* dtype_name(DType dtype) {
    switch (dtype) {
        case DType::kF32: return "F32";
        case DType::kF16: return "F16";
        case DType::kBF16: return "BF16";
        case DType::kI8: return "I8";
        case DType::kUnsupported: break;
    }
    return "unsupported";
}

std::size_t dtype_size(DType dtype) {
    switch (dtype) {
        case DType::kF32: return 4;
        case DType::kF16: return 2;
        case DType::kBF16: return 2;
        case DType::kI8: return 1;
        case DType::kUnsupported: break;
    }
    throw Error("dtype_size: an unsupported dtype has no element size here");
}

DType parse_dtype(const std::string& name) {
    if (name == "F32") return DType::kF32;
    if (name == "F16") return DType::kF16;
    if (name == "BF16") return DType::kBF16;
    if (name == "I8") return DType::kI8;
    throw Error("unsupported dtype '" + name + "' (expected F32, F16, BF16 or I8)");
}

std::int64_t TensorView::numel() const {
    std::int64_t n = 1;
    for (std::int64_t d : shape) n *= d;
    return n;
}

template <typename T>
const T* TensorView::as() const {
    static_assert(std::is_same_v<T, float> || std::is_same_v<T, std::uint16_t> || std::is_same_v<T, std::int8_t>);
    const bool ok = std::is_same_v<T, float>           ? dtype == DType::kF32
                    : std::is_same_v<T, std::int8_t> ? dtype == DType::kI8
                                                       : (dtype == DType::kF16 || dtype == DType::kBF16);
    if (!ok) {
        throw Error("tensor '" + name + "': has dtype " + dtype_name + ", cannot be read as " +
                    (std::is_same_v<T, float> ? "F32" : std::is_same_v<T, std::int8_t> ? "I8" : "F16/BF16"));
    }
    if (reinterpret_cast<std::uintptr_t>(data) % alignof(T) != 0) {
        throw Error("tensor '" + name + "': data at file offset " + std::to_string(file_offset) +
                    " is not aligned to " + std::to_string(alignof(T)) + " bytes");
    }
    return reinterpret_cast<const T*>(data);
}
template const float* TensorView::as<float>() const;
template const std::uint16_t* TensorView::as<std::uint16_t>() const;
template const std::int8_t* TensorView::as<std::int8_t>() const;

struct SafetensorsFile::Impl {
    std::filesystem::path path;
    std::string display;       // the name used in messages
    io::MappedFile map;        // empty for from_bytes()
    std::span<const std::byte> bytes;
    std::vector<TensorView> tensors;
    std::map<std::string, std::size_t> index;
    std::map<std::string, std::string> metadata;

    [[noreturn]] void fail(const std::string& what) const { throw Error(display + ": " + what); }
    [[noreturn]] void fail_tensor(const std::string& name, const std::string& what) const {
        throw Error(display + ": tensor '" + name + "': " + what);
    }
    void parse();
    TensorView parse_entry(const std::string& name, const nlohmann::json& entry,
                           std::uint64_t data_start, std::uint64_t data_size) const;
};

TensorView SafetensorsFile::Impl::parse_entry(const std::string& name, const nlohmann::json& entry,
                                              std::uint64_t data_start,
                                              std::uint64_t data_size) const {
    if (!entry.is_object())
        fail_tensor(name, "expected a JSON object {dtype, shape, data_offsets}, found " + json_type(entry));
    for (const char* key : {"dtype", "shape", "data_offsets"})
        if (!entry.contains(key)) fail_tensor(name, std::string("missing \"") + key + "\"");

    TensorView view;
    view.name = name;
    const auto& dtype = entry["dtype"];
    if (!dtype.is_string()) fail_tensor(name, "\"dtype\" must be a string, found " + json_type(dtype));
    view.dtype_name = dtype.get<std::string>();
    std::optional<std::size_t> elem = format_dtype_size(view.dtype_name);
    if (!elem) {
        fail_tensor(name, "unknown dtype '" + view.dtype_name +
                              "' (not a safetensors dtype; this engine computes with F32, F16, BF16, I8)");
    }
    view.dtype = (view.dtype_name == "F32")    ? DType::kF32
                 : (view.dtype_name == "F16")  ? DType::kF16
                 : (view.dtype_name == "BF16") ? DType::kBF16
                 : (view.dtype_name == "I8")   ? DType::kI8
                                                : DType::kUnsupported;

    const auto& shape = entry["shape"];
    if (!shape.is_array()) fail_tensor(name, "\"shape\" must be an array, found " + json_type(shape));
    // The element count is bounded by the data area, so any product beyond it
    // (including one that would overflow) is already a size mismatch.
    std::uint64_t numel = 1;
    bool too_big = false;
    for (const auto& d : shape) {
        auto v = as_count(d);
        if (!v) fail_tensor(name, "\"shape\" entries must be non-negative integers, found " + d.dump());
        view.shape.push_back(static_cast<std::int64_t>(*v));
        if (!too_big && __builtin_mul_overflow(numel, *v, &numel)) too_big = true;
    }

    const auto& offsets = entry["data_offsets"];
    if (!offsets.is_array() || offsets.size() != 2)
        fail_tensor(name, "\"data_offsets\" must be [begin, end], found " + offsets.dump());
    auto begin = as_count(offsets[0]);
    auto end = as_count(offsets[1]);
    if (!begin || !end)
        fail_tensor(name, "\"data_offsets\" must be non-negative integers, found " + offsets.dump());
    if (*begin > *end)
        fail_tensor(name, "data_offsets [" + std::to_string(*begin) + ", " + std::to_string(*end) +
                              "] end before they begin");
    if (*end > data_size)
        fail_tensor(name, "data_offsets [" + std::to_string(*begin) + ", " + std::to_string(*end) +
                              "] outside the data area of " + std::to_string(data_size) + " bytes");
    std::uint64_t span = *end - *begin;
    std::uint64_t expected = 0;
    if (too_big || __builtin_mul_overflow(numel, *elem, &expected) || expected != span) {
        fail_tensor(name, "shape " + shape_string(view.shape) + " x " + view.dtype_name + " (" +
                              std::to_string(*elem) + " bytes) needs " +
                              (too_big ? std::string("more than 2^64") : std::to_string(expected)) +
                              " bytes, but data_offsets span " + std::to_string(span) + " bytes");
    }
    view.file_offset = static_cast<std::size_t>(data_start + *begin);
    view.data = bytes.data() + view.file_offset;
    view.nbytes = static_cast<std::size_t>(span);
    return view;
}

void SafetensorsFile::Impl::parse() {
    const std::uint64_t size = bytes.size();
    if (size < 8)
        fail("file is " + std::to_string(size) + " bytes, too short for the 8-byte header length (truncated?)");
    std::uint64_t header_len = 0;
    for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | std::to_integer<std::uint64_t>(bytes[i]);
    if (header_len > kMaxHeaderBytes)
        fail("header length " + std::to_string(header_len) + " exceeds the limit of " +
             std::to_string(kMaxHeaderBytes) + " bytes (not a safetensors file?)");
    if (header_len > size - 8)
        fail("header length " + std::to_string(header_len) + " runs past the end of the file (" +
             std::to_string(size) + " bytes; truncated?)");

    const char* text = reinterpret_cast<const char*>(bytes.data() + 8);
    std::string json_error;
    const nlohmann::json header = io::parse_json_strict(std::string_view(text, header_len), json_error);
    if (!json_error.empty()) fail("header is not valid JSON: " + json_error);
    if (!header.is_object()) fail("header must be a JSON object, found " + json_type(header));

    const std::uint64_t data_start = 8 + header_len;
    const std::uint64_t data_size = size - data_start;
    for (const auto& [name, entry] : header.items()) {
        if (name == kMetadataKey) {
            if (!entry.is_object()) fail("\"__metadata__\" must be an object, found " + json_type(entry));
            for (const auto& [key, value] : entry.items()) {
                if (!value.is_string())
                    fail("\"__metadata__\" value for '" + key + "' must be a string, found " + json_type(value));
                metadata[key] = value.get<std::string>();
            }
            continue;
        }
        tensors.push_back(parse_entry(name, entry, data_start, data_size));
    }

    // File order; then every tensor must start at or after the previous end.
    std::sort(tensors.begin(), tensors.end(), [](const TensorView& a, const TensorView& b) {
        return a.file_offset != b.file_offset ? a.file_offset < b.file_offset : a.nbytes < b.nbytes;
    });
    const TensorView* prev = nullptr;
    for (const TensorView& t : tensors) {
        if (t.nbytes == 0) continue;  // an empty tensor occupies no bytes
        if (prev && t.file_offset < prev->file_offset + prev->nbytes) {
            fail("tensors '" + prev->name + "' (bytes " + std::to_string(prev->file_offset - data_start) +
                 ".." + std::to_string(prev->file_offset - data_start + prev->nbytes) + ") and '" + t.name +
                 "' (bytes " + std::to_string(t.file_offset - data_start) + ".." +
                 std::to_string(t.file_offset - data_start + t.nbytes) + ") overlap");
        }
        prev = &t;
    }
    for (std::size_t i = 0; i < tensors.size(); ++i) index.emplace(tensors[i].name, i);
}

SafetensorsFile::SafetensorsFile(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SafetensorsFile::SafetensorsFile(SafetensorsFile&&) noexcept = default;
SafetensorsFile& SafetensorsFile::operator=(SafetensorsFile&&) noexcept = default;
SafetensorsFile::~SafetensorsFile() = default;

SafetensorsFile SafetensorsFile::open(const std::filesystem::path& path) {
    auto impl = std::make_unique<Impl>();
    impl->path = path;
    impl->display = path.string();
    impl->map = io::MappedFile::open(path);
    impl->bytes = impl->map.bytes();
    impl->parse();
    return SafetensorsFile(std::move(impl));
}

SafetensorsFile SafetensorsFile::from_bytes(std::span<const std::byte> bytes, std::string display_name) {
    auto impl = std::make_unique<Impl>();
    impl->path = display_name;
    impl->display = std::move(display_name);
    impl->bytes = bytes;
    impl->parse();
    return SafetensorsFile(std::move(impl));
}

const std::filesystem::path& SafetensorsFile::path() const { return impl_->path; }
std::size_t SafetensorsFile::file_size() const { return impl_->bytes.size(); }
const std::vector<TensorView>& SafetensorsFile::tensors() const { return impl_->tensors; }
const std::map<std::string, std::string>& SafetensorsFile::metadata() const { return impl_->metadata; }

const TensorView* SafetensorsFile::find(const std::string& name) const {
    auto it = impl_->index.find(name);
    return it == impl_->index.end() ? nullptr : &impl_->tensors[it->second];
}

const TensorView& SafetensorsFile::at(const std::string& name) const {
    if (const TensorView* t = find(name)) return *t;
    impl_->fail_tensor(name, "not in the file (" + std::to_string(impl_->tensors.size()) + " tensors)");
}

// ---- writer ----

void SafetensorsWriter::add(const std::string& name, DType dtype, std::vector<std::int64_t> shape,
                            std::span<const std::byte> data) {
    if (dtype == DType::kUnsupported) throw Error("SafetensorsWriter: tensor '" + name + "': unsupported dtype");
    if (name == kMetadataKey) throw Error("SafetensorsWriter: '__metadata__' is reserved, not a tensor name");
    for (const Entry& e : entries_)
        if (e.name == name) throw Error("SafetensorsWriter: duplicate tensor '" + name + "'");
    std::uint64_t numel = 1;
    for (std::int64_t d : shape) {
        if (d < 0) throw Error("SafetensorsWriter: tensor '" + name + "': negative dimension in " + shape_string(shape));
        numel *= static_cast<std::uint64_t>(d);
    }
    if (numel * dtype_size(dtype) != data.size()) {
        throw Error("SafetensorsWriter: tensor '" + name + "': shape " + shape_string(shape) + " x " +
                    dtype_name(dtype) + " needs " + std::to_string(numel * dtype_size(dtype)) +
                    " bytes, got " + std::to_string(data.size()));
    }
    entries_.push_back(Entry{name, dtype, std::move(shape), std::vector<std::byte>(data.begin(), data.end())});
}

void SafetensorsWriter::add_f32(const std::string& name, std::vector<std::int64_t> shape,
                                std::span<const float> data) {
    add(name, DType::kF32, std::move(shape), std::as_bytes(data));
}

void SafetensorsWriter::set_metadata(const std::string& key, const std::string& value) {
    metadata_[key] = value;
}

// Data order: wider dtypes first (stable, so insertion order within a width),
// as the reference Python writer does. With an 8-aligned data area every
// tensor then starts aligned for its type without gaps between tensors
// (the reference reader rejects gaps).
std::vector<std::size_t> SafetensorsWriter::data_order() const {
    std::vector<std::size_t> order(entries_.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return dtype_size(entries_[a].dtype) > dtype_size(entries_[b].dtype);
    });
    return order;
}

std::string SafetensorsWriter::header_text() const {
    nlohmann::ordered_json header = nlohmann::ordered_json::object();
    if (!metadata_.empty()) header[kMetadataKey] = metadata_;
    std::uint64_t offset = 0;
    for (std::size_t i : data_order()) {
        const Entry& e = entries_[i];
        header[e.name] = {{"dtype", dtype_name(e.dtype)},
                          {"shape", e.shape},
                          {"data_offsets", {offset, offset + e.data.size()}}};
        offset += e.data.size();
    }
    std::string text = header.dump();
    // Pad with spaces (valid JSON whitespace) so that, with the 8-byte length
    // prefix, the data area starts at a multiple of 8: mapped tensors are
    // then naturally aligned.
    text.append((8 - text.size() % 8) % 8, ' ');
    std::string prefix(8, '\0');
    for (int i = 0; i < 8; ++i) prefix[i] = static_cast<char>((text.size() >> (8 * i)) & 0xff);
    return prefix + text;
}

std::vector<std::byte> SafetensorsWriter::serialize() const {
    std::string head = header_text();
    const auto* h = reinterpret_cast<const std::byte*>(head.data());
    std::vector<std::byte> out(h, h + head.size());
    for (std::size_t i : data_order()) out.insert(out.end(), entries_[i].data.begin(), entries_[i].data.end());
    return out;
}

void SafetensorsWriter::write(const std::filesystem::path& path) const {
    std::string head = header_text();
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out) throw Error("cannot create '" + path.string() + "'");
    out.write(head.data(), static_cast<std::streamsize>(head.size()));
    for (std::size_t i : data_order()) {
        const Entry& e = entries_[i];
        out.write(reinterpret_cast<const char*>(e.data.data()), static_cast<std::streamsize>(e.data.size()));
    }
    out.close();
    if (!out) throw Error("cannot write '" + path.string() + "'");
}

}  // namespace gpt2
