// Links the installed gpt2 library and prints its version.
#include <cstdio>

#include <gpt2/version.hpp>

int main() {
    std::printf("gpt2 %s\n", gpt2::version());
    return 0;
}
