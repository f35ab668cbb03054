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

void report(const Context& ctx, const char* name, int layer, int pos0, int T, int width, const float* data) {
    if (ctx.observer == nullptr || !*ctx.observer) return;
    (*ctx.observer)(Activation{name, layer, pos0, T, width,
                               std::span<const float>(data, static_cast<std::size_t>(T) * width)});
}

// x[t] = wte[ids[t]] + wpe[pos0 + t].   x: [T, C]; tmp: [C] scratch.
// The rows are fetched in F32 whatever the weight format (weights.hpp).
void embed(float* x, float* tmp, const std::int32_t* ids, int T, int pos0, const Weights& w, int C) {
    for (int t = 0; t < T; ++t) {
        float* xt = x + static_cast<int64_t>(t) * C;
        kernels::weight_row(xt, w.wte, ids[t]);
        kernels::weight_row(tmp, w.wpe, pos0 + t);
        for (int c = 0; c < C; ++c) xt[c] = xt[c] + tmp[c];
    }
}

// x += c_proj(attention(c_attn(ln_1(x)))), appending this chunk's K and V to
// the layer's cache rows [pos0, pos0 + T).
void attention_block(const Context& ctx, const LayerWeights& lw, int layer, int T, int pos0) {
    const Config& cfg = ctx.config;
    const int C = cfg.n_embd;
    Scratch& s = ctx.scratch;
    float* k_cache = ctx.cache.k(layer);
    float* v_cache = ctx.cache.v(layer);

    kernels::layer_norm(s.ln.data(), s.x.data(), lw.ln_1_weight.f32(), lw.ln_1_bias.f32(), T, C,
                        cfg.layer_norm_epsilon);
    report(ctx, "ln_1", layer, pos0, T, C, s.ln.data());

    // qkv: [T, 3C] = q | k | v along the columns (c_attn's output order).
    kernels::linear(s.qkv.data(), s.ln.data(), lw.attn_c_attn_weight, lw.attn_c_attn_bias.f32(), T, ctx.pool);
    report(ctx, "qkv", layer, pos0, T, 3 * C, s.qkv.data());
    for (int t = 0; t < T; ++t) {
        const float* row = s.qkv.data() + static_cast<int64_t>(t) * 3 * C;
        std::memcpy(k_cache + static_cast<int64_t>(pos0 + t) * C, row + C, sizeof(float) * static_cast<size_t>(C));
        std::memcpy(v_cache + static_cast<int64_t>(pos0 + t) * C, row + 2 * C, sizeof(float) * static_cast<size_t>(C));
    }

    kernels::attention(s.att.data(), C, s.qkv.data(), 3 * C, k_cache, v_cache, C, T, pos0, cfg.n_head,
                       cfg.head_dim(), ctx.pool);
    report(ctx, "attention", layer, pos0, T, C, s.att.data());

    kernels::linear(s.proj.data(), s.att.data(), lw.attn_c_proj_weight, lw.attn_c_proj_bias.f32(), T, ctx.pool);
    report(ctx, "attn_proj", layer, pos0, T, C, s.proj.data());

    kernels::residual_add(s.x.data(), s.proj.data(), static_cast<int64_t>(T) * C);
    report(ctx, "residual_attn", layer, pos0, T, C, s.x.data());
}

// x += mlp_c_proj(gelu(mlp_c_fc(ln_2(x)))).
void mlp_block(const Context& ctx, const LayerWeights& lw, int layer, int T, int pos0) {
    const Config& cfg = ctx.config;
    const int C = cfg.n_embd;
    Scratch& s = ctx.scratch;

    kernels::layer_norm(s.ln.data(), s.x.data(), lw.ln_2_weight.f32(), lw.ln_2_bias.f32(), T, C,
                        cfg.layer_norm_epsilon);
    report(ctx, "ln_2", layer, pos0, T, C, s.ln.data());

    kernels::linear(s.fc.data(), s.ln.data(), lw.mlp_c_fc_weight, lw.mlp_c_fc_bias.f32(), T, ctx.pool);
    kernels::gelu(s.fc.data(), s.fc.data(), static_cast<int64_t>(T) * 4 * C, ctx.pool);
    report(ctx, "mlp_gelu", layer, pos0, T, 4 * C, s.fc.data());

    kernels::linear(s.proj.data(), s.fc.data(), lw.mlp_c_proj_weight, lw.mlp_c_proj_bias.f32(), T, ctx.pool);
    report(ctx, "mlp_proj", layer, pos0, T, C, s.proj.data());

    kernels::residual_add(s.x.data(), s.proj.data(), static_cast<int64_t>(T) * C);
    report(ctx, "block_out", layer, pos0, T, C, s.x.data());
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

void run(const Context& ctx, const std::int32_t* ids, int T, int pos0, Logits which, float* logits) {
    const Config& cfg = ctx.config;
    const Weights& w = ctx.weights;
    const int C = cfg.n_embd;
    const int V = cfg.vocab_size;
    Scratch& s = ctx.scratch;
    s.reserve_rows(T, C);

    embed(s.x.data(), s.ln.data(), ids, T, pos0, w, C);
    report(ctx, "embedding", -1, pos0, T, C, s.x.data());

    for (int layer = 0; layer < cfg.n_layer; ++layer) {
        const LayerWeights& lw = w.layers[static_cast<std::size_t>(layer)];
        attention_block(ctx, lw, layer, T, pos0);
        mlp_block(ctx, lw, layer, T, pos0);
    }

    // Only the rows whose logits are wanted go through ln_f and the (tied)
    // output projection: for a prompt that is one row instead of T.
    const int first = which == Logits::kAllRows ? 0 : T - 1;
    const int rows = T - first;
    const float* x_rows = s.x.data() + static_cast<int64_t>(first) * C;
    kernels::layer_norm(s.ln.data(), x_rows, w.ln_f_weight.f32(), w.ln_f_bias.f32(), rows, C,
                        cfg.layer_norm_epsilon);
    report(ctx, "ln_f", cfg.n_layer, pos0 + first, rows, C, s.ln.data());

    kernels::linear_transposed(logits, s.ln.data(), w.wte, rows, ctx.pool);
    report(ctx, "logits", cfg.n_layer, pos0 + first, rows, V, logits);
}

}  // namespace gpt2::forward
