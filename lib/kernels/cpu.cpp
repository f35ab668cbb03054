#include "kernels/cpu.hpp"

#include <atomic>
#include <cstdlib>
#include <string_view>

namespace gpt2::kernels::cpu {

namespace {

struct Features {
    Isa level = Isa::kScalar;
    bool vnni = false;
    bool bf16 = false;
};

Features probe() {
    Features f;
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    __builtin_cpu_init();
    const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    // F16C has no __builtin_cpu_supports name in GCC 12; every CPU with AVX2
    // and FMA (Haswell, Zen 1 and later) has it.
    const bool avx512 = avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
    f.level = avx512 ? Isa::kAvx512 : avx2 ? Isa::kAvx2 : Isa::kScalar;
    f.vnni = avx512 && __builtin_cpu_supports("avx512vnni");
    f.bf16 = avx512 && __builtin_cpu_supports("avx512bf16");
#endif
    return f;
}

const Features& features() {
    static const Features f = probe();
    return f;
}

Isa min_isa(Isa a, Isa b) { return static_cast<int>(a) < static_cast<int>(b) ? a : b; }

Isa from_environment() {
    const Isa best = features().level;
    const char* env = std::getenv("GPT2_ISA");
    if (env == nullptr) return best;
    const std::string_view v(env);
    if (v == "scalar") return Isa::kScalar;
    if (v == "avx2") return min_isa(Isa::kAvx2, best);
    return best;
}

std::atomic<Isa>& active_level() {
    static std::atomic<Isa> level{from_environment()};
    return level;
}

}  // namespace

Isa detected() { return features().level; }
Isa active() { return active_level().load(std::memory_order_relaxed); }

Isa set_active(Isa isa) {
    return active_level().exchange(min_isa(isa, detected()), std::memory_order_relaxed);
}

bool has_avx512_vnni() { return features().vnni && active() == Isa::kAvx512; }
bool has_avx512_bf16() { return features().bf16 && active() == Isa::kAvx512; }

const char* isa_name(Isa isa) {
    switch (isa) {
        case Isa::kScalar: return "scalar";
        case Isa::kAvx2: return "avx2";
        case Isa::kAvx512: return "avx512";
    }
    return "?";
}

}  // namespace gpt2::kernels::cpu
