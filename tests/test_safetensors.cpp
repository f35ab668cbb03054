// safetensors reader/writer: round trips and one test per malformed file,
// each asserting what the message says.
#include <cstring>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "gpt2/error.hpp"
#include "gpt2/safetensors.hpp"
#include "support/test_env.hpp"

namespace gpt2 {
namespace {

// A file image: 8-byte little-endian length, the header text verbatim, then
// `data_bytes` bytes of data (value i & 0xff).
std::vector<std::byte> image(const std::string& header, std::size_t data_bytes,
                             std::uint64_t claimed_len = UINT64_MAX) {
    std::uint64_t n = claimed_len == UINT64_MAX ? header.size() : claimed_len;
    std::vector<std::byte> out;
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<std::byte>((n >> (8 * i)) & 0xff));
    for (char c : header) out.push_back(static_cast<std::byte>(c));
    for (std::size_t i = 0; i < data_bytes; ++i) out.push_back(static_cast<std::byte>(i & 0xff));
    return out;
}

// Runs `f`, expects gpt2::Error, and checks that every fragment is in the message.
void expect_error(const std::function<void()>& f, const std::vector<std::string>& fragments) {
    try {
        f();
    } catch (const Error& e) {
        const std::string msg = e.what();
        for (const std::string& frag : fragments) EXPECT_NE(msg.find(frag), std::string::npos) << "message: " << msg << "\nmissing: " << frag;
        return;
    }
    ADD_FAILURE() << "no gpt2::Error thrown";
}

void expect_open_error(const std::vector<std::byte>& bytes, const std::vector<std::string>& fragments) {
    std::vector<std::string> with_file = fragments;
    with_file.push_back("bad.safetensors");
    expect_error([&] { SafetensorsFile::from_bytes(bytes, "bad.safetensors"); }, with_file);
}

template <typename T>
std::span<const std::byte> bytes_of(const std::vector<T>& v) { return std::as_bytes(std::span(v)); }

TEST(SafetensorsRoundTrip, EveryDtype) {
    const std::vector<float> f32{1.5f, -2.0f, 0.25f, 3.0f, 4.0f, 5.0f};
    const std::vector<std::uint16_t> f16{0x3c00, 0xc000, 0x3555};
    const std::vector<std::uint16_t> bf16{0x3f80, 0x4049};
    SafetensorsWriter w;
    w.add_f32("a.weight", {2, 3}, f32);
    w.add("b", DType::kF16, {3}, bytes_of(f16));
    w.add("c", DType::kBF16, {1, 2}, bytes_of(bf16));
    w.add_f32("scalar", {}, std::vector<float>{7.0f});
    w.set_metadata("format", "pt");
    const std::vector<std::byte> bytes = w.serialize();

    SafetensorsFile f = SafetensorsFile::from_bytes(bytes, "mem");
    ASSERT_EQ(f.tensors().size(), 4u);
    // File order: the F32 tensors first (insertion order), then 16-bit ones.
    ASSERT_EQ(f.tensors()[0].name, "a.weight");
    EXPECT_EQ(f.tensors()[1].name, "scalar");
    EXPECT_EQ(f.tensors()[2].name, "b");
    for (const TensorView& t : f.tensors()) EXPECT_EQ(t.file_offset % dtype_size(t.dtype), 0u) << t.name;
    EXPECT_EQ(f.metadata().at("format"), "pt");
    const TensorView& a = f.at("a.weight");
    EXPECT_EQ(a.dtype, DType::kF32);
    EXPECT_EQ(a.shape, (std::vector<std::int64_t>{2, 3}));
    EXPECT_EQ(a.numel(), 6);
    EXPECT_EQ(a.nbytes, 24u);
    EXPECT_EQ(std::memcmp(a.as<float>(), f32.data(), 24), 0);
    // The view points into the image: zero copy.
    EXPECT_GE(a.data, bytes.data());
    EXPECT_LT(a.data, bytes.data() + bytes.size());
    const TensorView& b = f.at("b");
    EXPECT_EQ(b.dtype, DType::kF16);
    EXPECT_EQ(b.dtype_name, "F16");
    EXPECT_EQ(std::memcmp(b.as<std::uint16_t>(), f16.data(), 6), 0);
    const TensorView& c = f.at("c");
    EXPECT_EQ(c.dtype, DType::kBF16);
    EXPECT_EQ(c.as<std::uint16_t>()[1], 0x4049);
    EXPECT_EQ(f.at("scalar").numel(), 1);
    EXPECT_EQ(f.at("scalar").as<float>()[0], 7.0f);
    // The data area starts 8-byte aligned.
    EXPECT_EQ(a.file_offset % 8, 0u);
    EXPECT_EQ(f.find("nope"), nullptr);
}

TEST(SafetensorsRoundTrip, ThroughAFileOnDisk) {
    const auto dir = test::make_temp_dir("st");
    std::vector<float> values(1000);
    for (std::size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(i) * 0.5f;
    SafetensorsWriter w;
    w.add_f32("x", {10, 100}, values);
    w.write(dir / "x.safetensors");
    SafetensorsFile f = SafetensorsFile::open(dir / "x.safetensors");
    EXPECT_EQ(f.path(), dir / "x.safetensors");
    EXPECT_EQ(f.file_size(), std::filesystem::file_size(dir / "x.safetensors"));
    EXPECT_EQ(f.at("x").as<float>()[999], 499.5f);
    // Same calls, same bytes.
    EXPECT_EQ(w.serialize(), w.serialize());
    std::filesystem::remove_all(dir);
}

TEST(SafetensorsRoundTrip, MovedFileKeepsViewsValid) {
    SafetensorsWriter w;
    w.add_f32("x", {2}, std::vector<float>{1.0f, 2.0f});
    const auto bytes = w.serialize();
    SafetensorsFile f = SafetensorsFile::from_bytes(bytes, "mem");
    const float* p = f.at("x").as<float>();
    SafetensorsFile g = std::move(f);
    EXPECT_EQ(g.at("x").as<float>(), p);
}

TEST(SafetensorsMalformed, TooShortForLength) {
    expect_open_error({std::byte{1}, std::byte{0}, std::byte{0}}, {"3 bytes", "too short"});
}

TEST(SafetensorsMalformed, TruncatedData) {
    SafetensorsWriter w;
    w.add_f32("first", {4}, std::vector<float>(4, 1.0f));
    w.add_f32("last", {64}, std::vector<float>(64, 1.0f));
    auto bytes = w.serialize();
    bytes.resize(bytes.size() - 10);
    expect_open_error(bytes, {"'last'", "data_offsets [16, 272]", "outside the data area of 262 bytes"});
}

TEST(SafetensorsMalformed, HeaderLengthPastEnd) {
    expect_open_error(image("{}", 0, 1000), {"header length 1000", "past the end", "10 bytes"});
}

TEST(SafetensorsMalformed, HeaderLengthOver100MB) {
    expect_open_error(image("{}", 0, 200'000'000), {"header length 200000000", "exceeds the limit of 100000000"});
}

TEST(SafetensorsMalformed, HeaderNotJson) {
    expect_open_error(image("{\"a\": [1, 2", 0), {"header is not valid JSON"});
}

TEST(SafetensorsMalformed, HeaderNumberOutOfRange) {
    // Found by fuzz_safetensors: nlohmann reports 1e999 as out_of_range, not
    // as a parse error; it used to escape as an uncaught exception.
    expect_open_error(image(R"({"__metadata__": {"x": 1}, "t": {"dtype": "F32", "shape": [1e999], "data_offsets": [0, 4]}})", 4),
                      {"header is not valid JSON", "number out of range"});
}

TEST(SafetensorsMalformed, DuplicateTensorName) {
    // A repeated key would otherwise silently keep only the last entry.
    expect_open_error(image(R"({"t": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
                                "t": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}})", 8),
                      {"header is not valid JSON", "duplicate key \"t\""});
}

TEST(SafetensorsMalformed, HeaderNotObject) {
    expect_open_error(image("[1, 2]", 0), {"header must be a JSON object", "found array"});
}

TEST(SafetensorsMalformed, EntryNotObject) {
    expect_open_error(image(R"({"t": 5})", 0), {"tensor 't'", "expected a JSON object", "found number"});
}

TEST(SafetensorsMalformed, MissingDtype) {
    expect_open_error(image(R"({"t": {"shape": [1], "data_offsets": [0, 4]}})", 4), {"tensor 't'", "missing \"dtype\""});
}

TEST(SafetensorsMalformed, MissingShape) {
    expect_open_error(image(R"({"t": {"dtype": "F32", "data_offsets": [0, 4]}})", 4), {"tensor 't'", "missing \"shape\""});
}

TEST(SafetensorsMalformed, MissingDataOffsets) {
    expect_open_error(image(R"({"t": {"dtype": "F32", "shape": [1]}})", 4), {"tensor 't'", "missing \"data_offsets\""});
}

TEST(SafetensorsMalformed, WrongJsonTypes) {
    expect_open_error(image(R"({"t": {"dtype": 3, "shape": [1], "data_offsets": [0, 4]}})", 4),
                      {"tensor 't'", "\"dtype\" must be a string", "found number"});
    expect_open_error(image(R"({"t": {"dtype": "F32", "shape": "1", "data_offsets": [0, 4]}})", 4),
                      {"tensor 't'", "\"shape\" must be an array", "found string"});
    expect_open_error(image(R"({"t": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}})", 4),
                      {"tensor 't'", "non-negative integers", "-1"});
    expect_open_error(image(R"({"t": {"dtype": "F32", "shape": [1.5], "data_offsets": [0, 4]}})", 4),
                      {"tensor 't'", "non-negative integers", "1.5"});
    expect_open_error(image(R"({"t": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4, 8]}})", 8),
                      {"tensor 't'", "must be [begin, end]"});
    expect_open_error(image(R"({"t": {"dtype": "F32", "shape": [1], "data_offsets": [0, "4"]}})", 4),
                      {"tensor 't'", "non-negative integers"});
}

TEST(SafetensorsMalformed, UnknownDtypeRejectedAtOpen) {
    expect_open_error(image(R"({"t": {"dtype": "Q7", "shape": [1], "data_offsets": [0, 4]}})", 4),
                      {"tensor 't'", "unknown dtype 'Q7'"});
}

TEST(SafetensorsMalformed, UnsupportedDtypeReportedByNameWhenUsed) {
    // U8 and F64 are real safetensors dtypes: the file opens (sizes are
    // checked), but reading the data as a float type names the dtype.
    auto bytes = image(R"({"q": {"dtype": "U8", "shape": [8], "data_offsets": [0, 8]},)"
                       R"( "d": {"dtype": "F64", "shape": [1], "data_offsets": [8, 16]}})", 16);
    SafetensorsFile f = SafetensorsFile::from_bytes(bytes, "mem");
    EXPECT_EQ(f.at("q").dtype, DType::kUnsupported);
    EXPECT_EQ(f.at("q").dtype_name, "U8");
    expect_error([&] { (void)f.at("q").as<float>(); }, {"tensor 'q'", "has dtype U8", "cannot be read as F32"});
    expect_error([&] { (void)f.at("d").as<std::uint16_t>(); }, {"tensor 'd'", "has dtype F64"});
    // Size is still validated for them: 8 x U8 is 8 bytes, not 4.
    expect_open_error(image(R"({"q": {"dtype": "U8", "shape": [8], "data_offsets": [0, 4]}})", 4),
                      {"tensor 'q'", "needs 8 bytes", "span 4 bytes"});
}

TEST(SafetensorsMalformed, I8IsKnownForQuantizedData) {
    // I8 holds the data of q8 matrices: typed access as int8 only.
    auto bytes = image(R"({"q": {"dtype": "I8", "shape": [8], "data_offsets": [0, 8]}})", 8);
    SafetensorsFile f = SafetensorsFile::from_bytes(bytes, "mem");
    EXPECT_EQ(f.at("q").dtype, DType::kI8);
    EXPECT_NE(f.at("q").as<std::int8_t>(), nullptr);
    expect_error([&] { (void)f.at("q").as<float>(); }, {"tensor 'q'", "has dtype I8", "cannot be read as F32"});
    expect_open_error(image(R"({"q": {"dtype": "I8", "shape": [8], "data_offsets": [0, 4]}})", 4),
                      {"tensor 'q'", "needs 8 bytes", "span 4 bytes"});
}

TEST(SafetensorsMalformed, WrongTypedAccess) {
    SafetensorsWriter w;
    w.add_f32("x", {1}, std::vector<float>{1.0f});
    const auto bytes = w.serialize();
    SafetensorsFile f = SafetensorsFile::from_bytes(bytes, "mem");
    expect_error([&] { (void)f.at("x").as<std::uint16_t>(); }, {"tensor 'x'", "has dtype F32", "F16/BF16"});
}

TEST(SafetensorsMalformed, ShapeSizeMismatch) {
    expect_open_error(image(R"({"t": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 20]}})", 24),
                      {"tensor 't'", "shape [2, 3] x F32", "needs 24 bytes", "span 20 bytes"});
}

TEST(SafetensorsMalformed, ShapeProductOverflows) {
    expect_open_error(
        image(R"({"t": {"dtype": "F32", "shape": [4611686018427387904, 4611686018427387904], "data_offsets": [0, 4]}})", 4),
        {"tensor 't'", "more than 2^64", "span 4 bytes"});
    // The product fits but times 4 bytes overflows.
    expect_open_error(image(R"({"t": {"dtype": "F32", "shape": [4611686018427387904], "data_offsets": [0, 0]}})", 0),
                      {"tensor 't'", "span 0 bytes"});
}

TEST(SafetensorsMalformed, OffsetsOutOfRange) {
    expect_open_error(image(R"({"t": {"dtype": "F32", "shape": [250], "data_offsets": [0, 1000]}})", 24),
                      {"tensor 't'", "data_offsets [0, 1000]", "outside the data area of 24 bytes"});
    expect_open_error(image(R"({"t": {"dtype": "F32", "shape": [1], "data_offsets": [18446744073709551615, 3]}})", 24),
                      {"tensor 't'", "non-negative integers"});
}

TEST(SafetensorsMalformed, OffsetsReversed) {
    expect_open_error(image(R"({"t": {"dtype": "F32", "shape": [0], "data_offsets": [8, 4]}})", 24),
                      {"tensor 't'", "[8, 4]", "end before they begin"});
}

TEST(SafetensorsMalformed, OverlappingTensors) {
    expect_open_error(image(R"({"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]},)"
                            R"( "b": {"dtype": "F32", "shape": [4], "data_offsets": [8, 24]}})", 24),
                      {"'a' (bytes 0..16)", "'b' (bytes 8..24)", "overlap"});
    // Identical ranges overlap too.
    expect_open_error(image(R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},)"
                            R"( "b": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}})", 8),
                      {"overlap"});
}

TEST(SafetensorsMalformed, EmptyTensorsAndGapsAreFine) {
    auto bytes = image(R"({"e": {"dtype": "F32", "shape": [0, 5], "data_offsets": [4, 4]},)"
                       R"( "a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 8]},)"
                       R"( "b": {"dtype": "F32", "shape": [1], "data_offsets": [8, 12]}})", 16);
    // "a" spans 8 bytes for 1 element: that is a size mismatch, not a gap.
    expect_open_error(bytes, {"tensor 'a'", "needs 4 bytes"});
    bytes = image(R"({"e": {"dtype": "F32", "shape": [0, 5], "data_offsets": [4, 4]},)"
                  R"( "a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},)"
                  R"( "b": {"dtype": "F32", "shape": [1], "data_offsets": [8, 12]}})", 16);
    SafetensorsFile f = SafetensorsFile::from_bytes(bytes, "mem");
    EXPECT_EQ(f.tensors().size(), 3u);
    EXPECT_EQ(f.at("e").numel(), 0);
}

TEST(SafetensorsMalformed, Metadata) {
    expect_open_error(image(R"({"__metadata__": {"k": 1}})", 0), {"\"__metadata__\" value for 'k'", "must be a string"});
    expect_open_error(image(R"({"__metadata__": [1]})", 0), {"\"__metadata__\" must be an object"});
    auto ok = image(R"({"__metadata__": {"format": "pt", "x": "y"}})", 0);
    SafetensorsFile f = SafetensorsFile::from_bytes(ok, "mem");
    EXPECT_EQ(f.metadata().size(), 2u);
    EXPECT_EQ(f.metadata().at("x"), "y");
    EXPECT_TRUE(f.tensors().empty());
}

TEST(SafetensorsMalformed, MisalignedDataIsRefusedByTypedAccess) {
    // Header of 9 bytes (no padding): the data area starts at offset 17.
    auto bytes = image(R"({"t":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", 4);
    // Measure where the data area landed and skip if it happens to be aligned.
    SafetensorsFile f = SafetensorsFile::from_bytes(bytes, "mem");
    if (reinterpret_cast<std::uintptr_t>(f.at("t").data) % 4 == 0) GTEST_SKIP() << "header happened to align";
    expect_error([&] { (void)f.at("t").as<float>(); }, {"tensor 't'", "not aligned to 4 bytes"});
}

TEST(SafetensorsFileErrors, MissingTensorNamesFileAndTensor) {
    SafetensorsWriter w;
    w.add_f32("x", {1}, std::vector<float>{1.0f});
    const auto bytes = w.serialize();
    SafetensorsFile f = SafetensorsFile::from_bytes(bytes, "model.safetensors");
    expect_error([&] { (void)f.at("wte.weight"); }, {"model.safetensors", "tensor 'wte.weight'", "not in the file"});
}

TEST(SafetensorsFileErrors, MissingFile) {
    expect_error([] { SafetensorsFile::open("/nonexistent/dir/m.safetensors"); },
                 {"cannot open", "/nonexistent/dir/m.safetensors", "No such file"});
}

TEST(SafetensorsFileErrors, EmptyFileOnDisk) {
    const auto dir = test::make_temp_dir("st-empty");
    std::ofstream(dir / "e.safetensors").close();
    expect_error([&] { SafetensorsFile::open(dir / "e.safetensors"); }, {"e.safetensors", "0 bytes", "too short"});
    std::filesystem::remove_all(dir);
}

TEST(SafetensorsWriter, RejectsBadInput) {
    SafetensorsWriter w;
    expect_error([&] { w.add_f32("x", {2, 2}, std::vector<float>(3)); }, {"tensor 'x'", "needs 16 bytes", "got 12"});
    w.add_f32("x", {1}, std::vector<float>(1));
    expect_error([&] { w.add_f32("x", {1}, std::vector<float>(1)); }, {"duplicate tensor 'x'"});
    expect_error([&] { w.add_f32("__metadata__", {1}, std::vector<float>(1)); }, {"reserved"});
    expect_error([&] { w.add("u", DType::kUnsupported, {1}, {}); }, {"unsupported dtype"});
    expect_error([&] { w.write("/nonexistent/dir/out.safetensors"); }, {"/nonexistent/dir/out.safetensors"});
}

TEST(DType, NamesAndSizes) {
    EXPECT_EQ(parse_dtype("BF16"), DType::kBF16);
    EXPECT_EQ(dtype_size(DType::kF16), 2u);
    EXPECT_STREQ(dtype_name(DType::kF32), "F32");
    expect_error([] { parse_dtype("f32"); }, {"unsupported dtype 'f32'"});
}

}  // namespace
}  // namespace gpt2
