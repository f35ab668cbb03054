#pragma once
// GPT2_KEEP_IN_REGISTER(v): an empty asm statement that takes the vector v
// in a register and may change it, so the compiler must keep the value it
// loaded in a register at that point instead of re-reading memory at each
// use. The dot-product tiles (the logits) load R rows of x per step and use
// each in NN fmas; left to itself GCC 12 folded those loads into the fmas,
// one load per fma, and the tiles waited on the load ports (measured in
// matmul_half_impl.inc and f32_kernels.inc dot_tile). No instruction is
// emitted; the arithmetic, and so the bits, are unchanged.
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define GPT2_KEEP_IN_REGISTER(v) __asm__("" : "+v"(v))
#else
#define GPT2_KEEP_IN_REGISTER(v) static_cast<void>(v)
#endif
