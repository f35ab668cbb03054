#include "io/npy.hpp"

#include <bit>
#include <fstream>

#include "gpt2/error.hpp"

namespace gpt2::io {

std::string npy_header_f32(const std::vector<std::int64_t>& shape) {
    std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (";
    for (std::size_t i = 0; i < shape.size(); ++i) {
        dict += std::to_string(shape[i]);
        if (shape.size() == 1 || i + 1 < shape.size()) dict += ",";
        if (i + 1 < shape.size()) dict += " ";
    }
    dict += "), }";
    // magic (6) + version (2) + header length (2) + dict + padding + '\n'
    const std::size_t unpadded = 10 + dict.size() + 1;
    dict.append((64 - unpadded % 64) % 64, ' ');
    dict += '\n';
    std::string header = "\x93NUMPY";
    header += '\x01';
    header += '\x00';
    header += static_cast<char>(dict.size() & 0xff);
    header += static_cast<char>((dict.size() >> 8) & 0xff);
    return header + dict;
}

void write_npy_f32(const std::filesystem::path& path, std::span<const float> data,
                   const std::vector<std::int64_t>& shape) {
    static_assert(std::endian::native == std::endian::little, "the .npy writer assumes a little-endian host");
    std::int64_t n = 1;
    for (std::int64_t d : shape) n *= d;
    if (n != static_cast<std::int64_t>(data.size()))
        throw Error("npy '" + path.string() + "': shape holds " + std::to_string(n) + " values, data has " +
                    std::to_string(data.size()));
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out) throw Error("cannot create '" + path.string() + "'");
    const std::string header = npy_header_f32(shape);
    out.write(header.data(), static_cast<std::streamsize>(header.size()));
    out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size_bytes()));
    out.close();
    if (!out) throw Error("cannot write '" + path.string() + "'");
}

}  // namespace gpt2::io
