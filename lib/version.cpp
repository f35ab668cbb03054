#include "gpt2/version.hpp"

namespace gpt2 {
const char* version() { return GPT2_VERSION_STRING; }
}  // namespace gpt2
