// libFuzzer target: the safetensors header parser and validator. Any input
// must either open (and then every view must lie inside the input) or raise
// gpt2::Error; anything else (crash, other exception, out-of-bounds read
// caught by ASan) is a bug.
#include <cstddef>
#include <cstdint>
#include <span>

#include "gpt2/error.hpp"
#include "gpt2/safetensors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto bytes = std::as_bytes(std::span(data, size));
    try {
        gpt2::SafetensorsFile file = gpt2::SafetensorsFile::from_bytes(bytes, "fuzz.safetensors");
        std::uint64_t sum = 0;
        for (const gpt2::TensorView& t : file.tensors()) {
            // Touch the first and last byte of every tensor: ASan flags any
            // view that escapes the input.
            if (t.nbytes > 0) sum += std::to_integer<unsigned>(t.data[0]) + std::to_integer<unsigned>(t.data[t.nbytes - 1]);
            if (file.find(t.name) == nullptr) __builtin_trap();
            try {
                if (t.dtype == gpt2::DType::kF32) sum += t.as<float>() != nullptr;
                else sum += t.as<std::uint16_t>() != nullptr;
            } catch (const gpt2::Error&) {
            }
        }
        for (const auto& [k, v] : file.metadata()) sum += k.size() + v.size();
        asm volatile("" : : "r"(sum));
    } catch (const gpt2::Error&) {
    }
    return 0;
}
