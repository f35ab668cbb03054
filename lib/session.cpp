#include "gpt2/session.hpp"

#include <algorithm>
#include <string>

#include "gpt2/error.hpp"
#include "session_impl.hpp"
#include "weights_table.hpp"

namespace gpt2 {

namespace {

void check_f32(const WeightTensor& t, const char* what) {
    if (t.dtype != DType::kF32 || t.data == nullptr)
        throw Error(std::string("session: weight ") + what + " must be F32 in memory (found " + dtype_name(t.dtype) +
                    ")");
}

// Matrices may be F32, F16, BF16 or q8 (see weights.hpp); wpe is not q8.
void check_matrix(const WeightTensor& t, const char* what, bool q8_allowed) {
    const bool ok = t.dtype == DType::kF32 || t.dtype == DType::kF16 || t.dtype == DType::kBF16 ||
                    (q8_allowed && t.dtype == DType::kI8 && t.scales != nullptr);
    if (!ok || t.data == nullptr)
        throw Error(std::string("session: weight ") + what + " has an unsupported format (" + dtype_name(t.dtype) +
                    ")");
}

}  // namespace

void Session::Impl::check_batch(std::span<const std::int32_t> tokens) const {
    const Config& cfg = model->config();
    if (tokens.empty()) throw Error("session: eval() needs at least one token (got an empty batch)");
    if (static_cast<std::int64_t>(tokens.size()) > max_tokens - position) {
        throw Error("context limit: evaluating " + std::to_string(tokens.size()) + " tokens at position " +
                    std::to_string(position) + " would exceed the session's max_tokens " +
                    std::to_string(max_tokens) + " (model n_ctx " + std::to_string(cfg.n_ctx) + ")");
    }
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        if (tokens[i] < 0 || tokens[i] >= cfg.vocab_size) {
            throw Error("session: token id " + std::to_string(tokens[i]) + " at index " + std::to_string(i) +
                        " is outside the vocabulary [0, " + std::to_string(cfg.vocab_size) + ")");
        }
    }
}

std::span<const float> Session::Impl::eval(std::span<const std::int32_t> tokens, forward::Logits which) {
    check_batch(tokens);
    const Config& cfg = model->config();
    const int T = static_cast<int>(tokens.size());
    const std::size_t V = static_cast<std::size_t>(cfg.vocab_size);
    const std::size_t n_logits = which == forward::Logits::kAllRows ? V * static_cast<std::size_t>(T) : V;
    if (logits.size() < n_logits) logits.resize(n_logits);

    const forward::Context ctx{cfg, model->weights(), scratch, pool};
    for (int start = 0; start < T; start += forward::kMaxRows) {
        const int n = std::min(forward::kMaxRows, T - start);
        const forward::Sequence seq{&cache, position, n, observer_or_null()};
        // kLastRow: intermediate chunks only fill the cache; their logits
        // row is overwritten by the next chunk's.
        float* out = which == forward::Logits::kAllRows ? logits.data() + static_cast<std::size_t>(start) * V
                                                        : logits.data();
        forward::run(ctx, tokens.data() + start, {&seq, 1}, which, out);
        position += n;
    }
    return {logits.data(), n_logits};
}

Session::Session(const Model& model, SessionOptions options) {
    const Config& cfg = model.config();
    if (options.max_tokens < 0 || options.max_tokens > cfg.n_ctx) {
        throw Error("session: max_tokens must be in [0, n_ctx = " + std::to_string(cfg.n_ctx) + "] (0 = n_ctx), got " +
                    std::to_string(options.max_tokens));
    }
    if (options.n_threads < 0)
        throw Error("session: n_threads must be ≥ 0 (0 = all cores), got " + std::to_string(options.n_threads));
    const Weights& w = model.weights();
    check_matrix(w.wte, "wte", true);
    check_matrix(w.wpe, "wpe", false);
    check_f32(w.ln_f_weight, "ln_f.weight");
    check_f32(w.ln_f_bias, "ln_f.bias");
    for (const LayerWeights& lw : w.layers) {
        for (LayerField field : block_vector_fields()) check_f32(lw.*field, "of a block");
        for (LayerField field : block_matrix_fields()) check_matrix(lw.*field, "of a block", true);
    }
    const int max_tokens = options.max_tokens == 0 ? cfg.n_ctx : options.max_tokens;
    if (options.kv_dtype != KvDtype::kF32 && options.kv_dtype != KvDtype::kF16)
        throw Error("session: kv_dtype must be KvDtype::kF32 or KvDtype::kF16");
    impl_ = std::make_unique<Impl>(model, max_tokens, options.n_threads, options.kv_dtype);
}

Session::Session(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Session::Session(Session&&) noexcept = default;
Session& Session::operator=(Session&&) noexcept = default;
Session::~Session() = default;

std::span<const float> Session::eval(std::span<const std::int32_t> tokens) {
    return impl_->eval(tokens, forward::Logits::kLastRow);
}

std::span<const float> Session::eval_all(std::span<const std::int32_t> tokens) {
    return impl_->eval(tokens, forward::Logits::kAllRows);
}

void Session::rewind(int n) {
    if (n < 0 || n > impl_->position) {
        throw Error("session: rewind(" + std::to_string(n) + ") must be in [0, position = " +
                    std::to_string(impl_->position) + "]");
    }
    impl_->position = n;   // rows ≥ n are overwritten by the next eval()
}

Session Session::fork() const {
    auto copy = std::make_unique<Impl>(*impl_->model, impl_->max_tokens, impl_->pool.size(), impl_->cache.dtype());
    copy->cache = impl_->cache.copy(impl_->position);
    copy->position = impl_->position;
    copy->observer = impl_->observer;
    return Session(std::move(copy));
}

void Session::set_observer(ActivationObserver observer) { impl_->observer = std::move(observer); }

int Session::position() const { return impl_->position; }
int Session::max_tokens() const { return impl_->max_tokens; }
int Session::n_threads() const { return impl_->pool.size(); }
KvDtype Session::kv_dtype() const { return impl_->cache.dtype(); }
const Model& Session::model() const { return *impl_->model; }

}  // namespace gpt2
