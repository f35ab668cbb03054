#include "kernels/linear.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#include "gpt2/error.hpp"
#include "kernels/matmul.hpp"
#include "kernels/matmul_half.hpp"
#include "kernels/matmul_q8.hpp"
#include "kernels/matvec_panels.hpp"
#include "thread_pool.hpp"

namespace gpt2::kernels {

namespace {

static_assert(kQ8Block == kQ8BlockSize, "the kernels' block is the format's block");

// Quantized activations of the calling thread, grown as needed (never shrunk)
// so a decode step allocates nothing.
struct Q8Scratch {
    std::vector<std::int8_t> q;
    std::vector<float> scales;
};

void q8_product(float* out, const float* x, const WeightTensor& w, const float* bias, int T, int K, int N,
                ThreadPool& pool) {
    thread_local Q8Scratch s;
    const std::size_t nq = static_cast<std::size_t>(T) * static_cast<std::size_t>(K);
    if (s.q.size() < nq) s.q.resize(nq);
    if (s.scales.size() < nq / kQ8Block) s.scales.resize(nq / kQ8Block);
    quantize_q8(s.q.data(), s.scales.data(), x, T, K, pool);
    matmul_q8(out, s.q.data(), s.scales.data(), w.i8(), w.scales, bias, T, K, N, pool);
}

Half half_of(DType d) { return d == DType::kBF16 ? Half::kBF16 : Half::kF16; }

[[noreturn]] void bad_format(const WeightTensor& w) {
    throw Error(std::string("matrix product: weight format ") + dtype_name(w.dtype) + " is not supported");
}

}  // namespace

void linear(float* out, const float* x, const WeightTensor& w, const float* bias, int T, ThreadPool& pool) {
    const int K = static_cast<int>(w.shape[0]);
    const int N = static_cast<int>(w.shape[1]);
    const bool panels = T == 1 && w.panels != nullptr;   // decode: one sequential stream (matvec_panels.hpp)
    switch (w.dtype) {
        case DType::kF32:
            if (panels) return matvec_panels(out, x, static_cast<const float*>(w.panels), bias, K, N, pool);
            return matmul(out, x, w.f32(), bias, T, K, N, pool, static_cast<const float*>(w.panels));
        case DType::kF16:
        case DType::kBF16:
            if (panels)
                return matvec_panels_half(out, x, static_cast<const std::uint16_t*>(w.panels), half_of(w.dtype), bias,
                                          K, N, pool);
            return matmul_half(out, x, w.u16(), half_of(w.dtype), bias, T, K, N, pool,
                               static_cast<const std::uint16_t*>(w.panels));
        case DType::kI8: q8_product(out, x, w, bias, T, K, N, pool); return;
        case DType::kUnsupported: break;
    }
    bad_format(w);
}

void linear_transposed(float* out, const float* x, const WeightTensor& w, int T, ThreadPool& pool) {
    const int N = static_cast<int>(w.shape[0]);
    const int K = static_cast<int>(w.shape[1]);
    switch (w.dtype) {
        case DType::kF32: matmul_transposed(out, x, w.f32(), T, K, N, pool); return;
        case DType::kF16:
        case DType::kBF16: matmul_transposed_half(out, x, w.u16(), half_of(w.dtype), T, K, N, pool); return;
        case DType::kI8: q8_product(out, x, w, nullptr, T, K, N, pool); return;
        case DType::kUnsupported: break;
    }
    bad_format(w);
}

void tied_logits(float* logits, const float* x, const Weights& w, int T, ThreadPool& pool,
                 std::vector<float>& scratch) {
    const DistinctRowsOfWte& d = w.wte_distinct;
    if (d.rows.data == nullptr) {
        linear_transposed(logits, x, w.wte, T, pool);
        return;
    }
    const std::int64_t V = w.wte.shape[0];
    const std::int64_t D = d.rows.shape[0];
    const std::size_t need = static_cast<std::size_t>(T) * static_cast<std::size_t>(D);
    if (scratch.size() < need) scratch.resize(need);
    linear_transposed(scratch.data(), x, d.rows, T, pool);
    // Each row of logits: the shared row's value everywhere, then the other
    // tokens' own. A gather of all V (vpgatherdd no faster than scalar) ran
    // ~20 us per row of 50,257 on one Zen 4 thread, the fill and the 9,795
    // others of the default model ~12 in compare (docs/benchmarks.md,
    // fifteenth round).
    pool.parallel_for(T, 1, V * T, [&](std::int64_t begin, std::int64_t end, int) {
        for (std::int64_t t = begin; t < end; ++t) {
            const float* s = scratch.data() + t * D;
            float* o = logits + t * V;
            std::fill(o, o + V, s[d.fill_row]);
            for (std::int64_t k = 0; k < d.n_others; ++k) o[d.other_tokens[k]] = s[d.other_rows[k]];
        }
    });
}

void weight_row(float* dst, const WeightTensor& w, std::int64_t row) {
    const std::int64_t C = w.shape[1];
    switch (w.dtype) {
        case DType::kF32: std::memcpy(dst, w.f32() + row * C, static_cast<std::size_t>(C) * sizeof(float)); return;
        case DType::kF16:
        case DType::kBF16: widen_half(dst, w.u16() + row * C, half_of(w.dtype), C); return;
        case DType::kI8:
            dequantize_q8_row(dst, w.i8() + row * C, w.scales + row * (C / kQ8Block), static_cast<int>(C));
            return;
        case DType::kUnsupported: break;
    }
    bad_format(w);
}

}  // namespace gpt2::kernels
