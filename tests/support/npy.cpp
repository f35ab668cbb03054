#include "support/npy.hpp"

#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>

namespace gpt2::test {

NpyArray read_npy(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot open " + path.string());
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto fail = [&](const std::string& what) { throw std::runtime_error(path.string() + ": " + what); };
    if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0) fail("bad magic");
    if (bytes[6] != 1 || bytes[7] != 0) fail("not format version 1.0");
    const std::size_t header_len = static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
    if ((10 + header_len) % 64 != 0) fail("header not padded to a multiple of 64 bytes");
    if (bytes.size() < 10 + header_len) fail("truncated header");
    const std::string header = bytes.substr(10, header_len);
    if (header.back() != '\n') fail("header does not end with a newline");
    if (header.find("'descr': '<f4'") == std::string::npos) fail("dtype is not '<f4': " + header);
    if (header.find("'fortran_order': False") == std::string::npos) fail("not C order: " + header);
    const std::size_t open = header.find("'shape': (");
    if (open == std::string::npos) fail("no shape: " + header);
    const std::size_t close = header.find(')', open);
    NpyArray out;
    std::string dims = header.substr(open + 10, close - open - 10);
    std::size_t pos = 0;
    while (pos < dims.size()) {
        while (pos < dims.size() && (dims[pos] == ' ' || dims[pos] == ',')) ++pos;
        if (pos >= dims.size()) break;
        std::size_t used = 0;
        out.shape.push_back(std::stoll(dims.substr(pos), &used));
        pos += used;
    }
    std::int64_t n = 1;
    for (std::int64_t d : out.shape) n *= d;
    const std::size_t data_bytes = bytes.size() - 10 - header_len;
    if (data_bytes != static_cast<std::size_t>(n) * 4) fail("data size does not match the shape");
    out.data.resize(static_cast<std::size_t>(n));
    std::memcpy(out.data.data(), bytes.data() + 10 + header_len, data_bytes);
    return out;
}

}  // namespace gpt2::test
