#pragma once
namespace gpt2 {
// "MAJOR.MINOR.PATCH" of the library, e.g. "0.1.0".
const char* version();
}  // namespace gpt2
