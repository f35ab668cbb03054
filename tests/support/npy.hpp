#pragma once
// A strict reader of NumPy .npy files (format version 1.0, dtype '<f4',
// C order), written for the tests independently of the library's writer.
#include <cstdint>
#include <filesystem>
#include <vector>

namespace gpt2::test {

struct NpyArray {
    std::vector<std::int64_t> shape;
    std::vector<float> data;
};

// Throws std::runtime_error describing the first defect (magic, version,
// header dict, dtype, fortran_order, size).
NpyArray read_npy(const std::filesystem::path& path);

}  // namespace gpt2::test
