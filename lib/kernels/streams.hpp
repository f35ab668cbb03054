#pragma once
// Decode's walk over a thread's share of a weight matrix as several
// sequential streams. One core reads a few streams far apart faster than one
// stream, or than adjacent rows interleaved (one strided stream, which the
// prefetchers follow poorly): the measurements are with each caller's stream
// count (matmul_q8.cpp, f32_kernels.inc, matmul_half_impl.inc,
// matvec_panels.cpp).
namespace gpt2::kernels {

// Splits the units (weight rows, or column panels) [n0, n1) into S equal
// parts and calls tile(n, part) for each n of the first part; the tile
// handles units n, n + part, ..., n + (S - 1) · part, one from each part.
// The remainder past S parts goes to single(n), one unit at a time.
template <int S, typename Tile, typename Single>
inline void for_each_stream_tile(int n0, int n1, Tile&& tile, Single&& single) {
    const int part = (n1 - n0) / S;
    for (int n = n0; n < n0 + part; ++n) tile(n, part);
    for (int n = n0 + S * part; n < n1; ++n) single(n);
}

}  // namespace gpt2::kernels
