#include "forward.hpp"

#include <algorithm>
#include <cstring>

#include "kernels/attention.hpp"
#include "kernels/gelu.hpp"
#include "kernels/layer_norm.hpp"
#include "kernels/linear.hpp"
#include "kernels/residual.hpp"
#include "thread_pool.hpp"

namespace gpt2::forward {

namespace {

using std::int64_t;

// One pass: the context, its sequences and their total row count.
struct Pass {
    const Context& ctx;
    std::span<const Sequence> seqs;
    int T;
};

// Hands each sequence's observer its rows of an activation [Σ T, width]
// (laid out as the sequences' rows, in order).
void report(const Pass& p, const char* name, int layer, int width, const float* data) {
    int row = 0;
    for (const Sequence& s : p.seqs) {
        if (s.observer != nullptr && *s.observer) {
            (*s.observer)(Activation{name, layer, s.pos0, s.T, width,
                                     std::span<const float>(data + static_cast<int64_t>(row) * width,
                                                            static_cast<std::size_t>(s.T) * width)});
        }
        row += s.T;
    }
}

// x[t] = wte[ids[t]] + wpe[position of row t].   x: [T, C]; tmp: [C] scratch.
// The rows are fetched in F32 whatever the weight format (weights.hpp).
void embed(const Pass& p, float* x, float* tmp, const std::int32_t* ids) {
    const Weights& w = p.ctx.weights;
    const int C = p.ctx.config.n_embd;
    int t = 0;
    for (const Sequence& s : p.seqs) {
        for (int i = 0; i < s.T; ++i, ++t) {
            float* xt = x + static_cast<int64_t>(t) * C;
            kernels::weight_row(xt, w.wte, ids[t]);
            kernels::weight_row(tmp, w.wpe, s.pos0 + i);
            for (int c = 0; c < C; ++c) xt[c] = xt[c] + tmp[c];
        }
    }
}

// x += c_proj(attention(c_attn(ln_1(x)))), appending each sequence's K and V
// to its cache rows [pos0, pos0 + T). The products run over all rows at
// once; attention runs per sequence, against its own cache.
void attention_block(const Pass& p, const LayerWeights& lw, int layer) {
    const Context& ctx = p.ctx;
    const Config& cfg = ctx.config;
    const int C = cfg.n_embd;
    const int T = p.T;
    Scratch& s = ctx.scratch;

    kernels::layer_norm(s.ln.data(), s.x.data(), lw.ln_1_weight.f32(), lw.ln_1_bias.f32(), T, C,
                        cfg.layer_norm_epsilon);
    report(p, "ln_1", layer, C, s.ln.data());

    // qkv: [T, 3C] = q | k | v along the columns (c_attn's output order).
    kernels::linear(s.qkv.data(), s.ln.data(), lw.attn_c_attn_weight, lw.attn_c_attn_bias.f32(), T, ctx.pool);
    report(p, "qkv", layer, 3 * C, s.qkv.data());

    const int HS = cfg.head_dim();
    // One sequence's rows (from row0 of the pass): their keys and values
    // into its cache, then their attention. `pool`: the context's, or a
    // caller-only one when the sequences themselves are spread over threads.
    const auto attend_sequence = [&](const Sequence& seq, int row0, ThreadPool& pool) {
        KvCache& cache = *seq.cache;
        const float* qkv = s.qkv.data() + static_cast<int64_t>(row0) * 3 * C;
        float* out = s.att.data() + static_cast<int64_t>(row0) * C;
        const bool f16 = cache.dtype() == KvDtype::kF16;
        const kernels::KvLayout layout = cache.layout();
        for (int t = 0; t < seq.T; ++t) {
            const float* row = qkv + static_cast<int64_t>(t) * 3 * C;
            const int64_t pos = static_cast<int64_t>(seq.pos0 + t) * layout.position_stride;
            for (int h = 0; h < cfg.n_head; ++h) {
                const int64_t at = h * layout.head_stride + pos;
                const float* k = row + C + h * HS;
                const float* v = row + 2 * C + h * HS;
                if (f16) {
                    kernels::narrow_to_f16(cache.k_f16(layer) + at, k, HS);
                    kernels::narrow_to_f16(cache.v_f16(layer) + at, v, HS);
                } else {
                    std::memcpy(cache.k(layer) + at, k, sizeof(float) * static_cast<size_t>(HS));
                    std::memcpy(cache.v(layer) + at, v, sizeof(float) * static_cast<size_t>(HS));
                }
            }
        }
        if (f16) {
            kernels::attention_f16(out, C, qkv, 3 * C, cache.k_f16(layer), cache.v_f16(layer), layout, seq.T, seq.pos0,
                                   cfg.n_head, HS, pool);
        } else {
            kernels::attention(out, C, qkv, 3 * C, cache.k(layer), cache.v(layer), layout, seq.T, seq.pos0, cfg.n_head,
                               HS, pool);
        }
    };
    const bool one_query_each =
        p.seqs.size() > 1 && std::all_of(p.seqs.begin(), p.seqs.end(), [](const Sequence& q) { return q.T == 1; });
    if (one_query_each) {
        // Batched decode (BatchDecoder, gpt2 compare): row b is sequence b.
        // One query's attention is mostly too small to split over threads
        // (ThreadPool::kMinChunkWork), so the caller ran every sequence's
        // alone while the workers waited; the sequences themselves go to
        // the threads instead, each on one. The same calls, so the same bits.
        int64_t work = 0;
        for (const Sequence& q : p.seqs) work += kernels::attention_work(1, q.pos0, cfg.n_head, HS);
        ctx.pool.parallel_for(static_cast<int64_t>(p.seqs.size()), 1, work, [&](int64_t b0, int64_t b1, int) {
            ThreadPool caller_only(1);
            for (int64_t b = b0; b < b1; ++b)
                attend_sequence(p.seqs[static_cast<std::size_t>(b)], static_cast<int>(b), caller_only);
        });
    } else {
        int row0 = 0;
        for (const Sequence& seq : p.seqs) {
            attend_sequence(seq, row0, ctx.pool);
            row0 += seq.T;
        }
    }
    report(p, "attention", layer, C, s.att.data());

    kernels::linear(s.proj.data(), s.att.data(), lw.attn_c_proj_weight, lw.attn_c_proj_bias.f32(), T, ctx.pool);
    report(p, "attn_proj", layer, C, s.proj.data());

    kernels::residual_add(s.x.data(), s.proj.data(), static_cast<int64_t>(T) * C);
    report(p, "residual_attn", layer, C, s.x.data());
}

// x += mlp_c_proj(gelu(mlp_c_fc(ln_2(x)))).
void mlp_block(const Pass& p, const LayerWeights& lw, int layer) {
    const Context& ctx = p.ctx;
    const Config& cfg = ctx.config;
    const int C = cfg.n_embd;
    const int T = p.T;
    Scratch& s = ctx.scratch;

    kernels::layer_norm(s.ln.data(), s.x.data(), lw.ln_2_weight.f32(), lw.ln_2_bias.f32(), T, C,
                        cfg.layer_norm_epsilon);
    report(p, "ln_2", layer, C, s.ln.data());

    kernels::linear(s.fc.data(), s.ln.data(), lw.mlp_c_fc_weight, lw.mlp_c_fc_bias.f32(), T, ctx.pool);
    kernels::gelu(s.fc.data(), s.fc.data(), static_cast<int64_t>(T) * 4 * C, ctx.pool);
    report(p, "mlp_gelu", layer, 4 * C, s.fc.data());

    kernels::linear(s.proj.data(), s.fc.data(), lw.mlp_c_proj_weight, lw.mlp_c_proj_bias.f32(), T, ctx.pool);
    report(p, "mlp_proj", layer, C, s.proj.data());

    kernels::residual_add(s.x.data(), s.proj.data(), static_cast<int64_t>(T) * C);
    report(p, "block_out", layer, C, s.x.data());
}

}  // namespace

void Scratch::reserve_rows(int T, int C) {
    const auto need = [&](std::vector<float>& v, int width) {
        const std::size_t n = static_cast<std::size_t>(T) * static_cast<std::size_t>(width);
        if (v.size() < n) v.resize(n);
    };
    need(x, C);
    need(ln, C);
    need(qkv, 3 * C);
    need(att, C);
    need(proj, C);
    need(fc, 4 * C);
}

void run(const Context& ctx, const std::int32_t* ids, std::span<const Sequence> sequences, Logits which,
         float* logits) {
    const Config& cfg = ctx.config;
    const Weights& w = ctx.weights;
    const int C = cfg.n_embd;
    const int V = cfg.vocab_size;
    int T = 0;
    for (const Sequence& seq : sequences) T += seq.T;
    const Pass p{ctx, sequences, T};
    Scratch& s = ctx.scratch;
    s.reserve_rows(T, C);

    embed(p, s.x.data(), s.ln.data(), ids);
    report(p, "embedding", -1, C, s.x.data());

    for (int layer = 0; layer < cfg.n_layer; ++layer) {
        const LayerWeights& lw = w.layers[static_cast<std::size_t>(layer)];
        attention_block(p, lw, layer);
        mlp_block(p, lw, layer);
    }

    // Only the rows whose logits are wanted go through ln_f and the (tied)
    // output projection: for a prompt that is one row instead of T. ln_f is
    // per row, so normalising the last rows one by one into consecutive rows
    // of ln gives the bits of one call.
    if (which == Logits::kAllRows) {
        kernels::layer_norm(s.ln.data(), s.x.data(), w.ln_f_weight.f32(), w.ln_f_bias.f32(), T, C,
                            cfg.layer_norm_epsilon);
        report(p, "ln_f", cfg.n_layer, C, s.ln.data());
        kernels::tied_logits(logits, s.ln.data(), w, T, ctx.pool, s.distinct_logits);
        report(p, "logits", cfg.n_layer, V, logits);
        return;
    }
    const int n_seq = static_cast<int>(sequences.size());
    int last = -1;
    for (int i = 0; i < n_seq; ++i) {
        last += sequences[static_cast<std::size_t>(i)].T;
        kernels::layer_norm(s.ln.data() + static_cast<int64_t>(i) * C, s.x.data() + static_cast<int64_t>(last) * C,
                            w.ln_f_weight.f32(), w.ln_f_bias.f32(), 1, C, cfg.layer_norm_epsilon);
    }
    kernels::tied_logits(logits, s.ln.data(), w, n_seq, ctx.pool, s.distinct_logits);
    // Each sequence sees its last row: one row of ln / logits.
    for (int i = 0; i < n_seq; ++i) {
        const Sequence& seq = sequences[static_cast<std::size_t>(i)];
        if (seq.observer == nullptr || !*seq.observer) continue;
        const int pos = seq.pos0 + seq.T - 1;
        (*seq.observer)(Activation{"ln_f", cfg.n_layer, pos, 1, C,
                                   std::span<const float>(s.ln.data() + static_cast<int64_t>(i) * C,
                                                          static_cast<std::size_t>(C))});
        (*seq.observer)(Activation{"logits", cfg.n_layer, pos, 1, V,
                                   std::span<const float>(logits + static_cast<int64_t>(i) * V,
                                                          static_cast<std::size_t>(V))});
    }
}

}  // namespace gpt2::forward
