#pragma once
// Writing NumPy .npy files (format version 1.0): the magic "\x93NUMPY", the
// version bytes 1 0, a little-endian uint16 header length, a Python-literal
// dict {'descr': '<f4', 'fortran_order': False, 'shape': (...), } padded with
// spaces and a final '\n' so the data starts at a multiple of 64 bytes, then
// the raw little-endian float32 data in C order.
// Spec: https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

namespace gpt2::io {

// The header (magic through padding) for a float32 array of `shape`.
std::string npy_header_f32(const std::vector<std::int64_t>& shape);

// Writes `data` (row-major, product(shape) floats) to `path`; throws
// gpt2::Error naming the file on a size mismatch or an I/O failure.
void write_npy_f32(const std::filesystem::path& path, std::span<const float> data,
                   const std::vector<std::int64_t>& shape);

}  // namespace gpt2::io
