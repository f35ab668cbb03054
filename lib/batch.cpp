#include "gpt2/batch.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <string>
#include <vector>

#include "forward.hpp"
#include "gpt2/error.hpp"
#include "session_impl.hpp"
#include "thread_pool.hpp"

namespace gpt2 {

struct BatchDecoder::Impl {
    const Model* model;
    ThreadPool pool;
    forward::Scratch scratch;
    std::vector<float> logits;
    std::vector<forward::Sequence> sequences;
    std::vector<Session::Impl*> checked;   // eval()'s duplicate check, reused

    Impl(const Model& m, int n_threads) : model(&m), pool(n_threads) {}

    // Every precondition of eval(), before anything is written.
    void check(std::span<Session* const> sessions, std::span<const std::int32_t> tokens) {
        const Config& cfg = model->config();
        if (sessions.empty()) throw Error("batch decode: eval() needs at least one session (got an empty batch)");
        if (sessions.size() != tokens.size()) {
            throw Error("batch decode: " + std::to_string(sessions.size()) + " sessions but " +
                        std::to_string(tokens.size()) + " tokens; give one token per session");
        }
        checked.clear();
        for (std::size_t b = 0; b < sessions.size(); ++b) {
            const std::string at = " (batch row " + std::to_string(b) + ")";
            if (sessions[b] == nullptr) throw Error("batch decode: session pointer is null" + at);
            Session::Impl& s = *sessions[b]->impl_;
            if (s.model != model) {
                throw Error("batch decode: a session of another model" + at +
                            "; every session must use the decoder's model");
            }
            if (s.position >= s.max_tokens) {
                throw Error("context limit: session" + at + " is full (position " + std::to_string(s.position) +
                            " = its max_tokens; model n_ctx " + std::to_string(cfg.n_ctx) + ")");
            }
            if (tokens[b] < 0 || tokens[b] >= cfg.vocab_size) {
                throw Error("batch decode: token id " + std::to_string(tokens[b]) + at +
                            " is outside the vocabulary [0, " + std::to_string(cfg.vocab_size) + ")");
            }
            checked.push_back(&s);
        }
        std::sort(checked.begin(), checked.end());
        if (std::adjacent_find(checked.begin(), checked.end()) != checked.end()) {
            throw Error("batch decode: the same session appears twice in the batch; "
                        "a session takes one token per step (fork() it for a second continuation)");
        }
    }
};

BatchDecoder::BatchDecoder(const Model& model, int n_threads) {
    if (n_threads < 0)
        throw Error("batch decode: n_threads must be ≥ 0 (0 = all cores), got " + std::to_string(n_threads));
    impl_ = std::make_unique<Impl>(model, n_threads);
}
BatchDecoder::BatchDecoder(BatchDecoder&&) noexcept = default;
BatchDecoder& BatchDecoder::operator=(BatchDecoder&&) noexcept = default;
BatchDecoder::~BatchDecoder() = default;

std::span<const float> BatchDecoder::eval(std::span<Session* const> sessions, std::span<const std::int32_t> tokens) {
    Impl& d = *impl_;
    d.check(sessions, tokens);
    const Config& cfg = d.model->config();
    const std::size_t V = static_cast<std::size_t>(cfg.vocab_size);
    const std::size_t B = sessions.size();
    if (d.logits.size() < B * V) d.logits.resize(B * V);

    const forward::Context ctx{cfg, d.model->weights(), d.scratch, d.pool};
    // Passes of at most forward::kMaxRows sessions bound the scratch as a
    // Session's chunking does; rows are independent, so this is exact.
    for (std::size_t start = 0; start < B; start += forward::kMaxRows) {
        const std::size_t n = std::min<std::size_t>(forward::kMaxRows, B - start);
        d.sequences.clear();
        for (std::size_t b = start; b < start + n; ++b) {
            Session::Impl& s = *sessions[b]->impl_;
            d.sequences.push_back(forward::Sequence{&s.cache, s.position, 1, s.observer_or_null()});
        }
        forward::run(ctx, tokens.data() + start, d.sequences, forward::Logits::kLastRow, d.logits.data() + start * V);
        for (std::size_t b = start; b < start + n; ++b) ++sessions[b]->impl_->position;
    }
    return {d.logits.data(), B * V};
}

void BatchDecoder::parallel_for_each(std::size_t n, const std::function<void(std::size_t, int)>& fn) {
    if (n == 0) return;
    ThreadPool& pool = impl_->pool;
    if (pool.size() == 1 || n == 1) {
        for (std::size_t i = 0; i < n; ++i) fn(i, 0);
        return;
    }
    std::atomic<std::size_t> next{0};
    std::exception_ptr error;
    std::mutex error_mutex;
    pool.run([&](int slot) {
        for (std::size_t i; (i = next.fetch_add(1, std::memory_order_relaxed)) < n;) {
            try {
                fn(i, slot);
            } catch (...) {
                const std::lock_guard<std::mutex> lock(error_mutex);
                if (!error) error = std::current_exception();
                next.store(n, std::memory_order_relaxed);   // skip the rest
            }
        }
    });
    if (error) std::rethrow_exception(error);
}

int BatchDecoder::n_threads() const { return impl_->pool.size(); }
const Model& BatchDecoder::model() const { return *impl_->model; }

}  // namespace gpt2
