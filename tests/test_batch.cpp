// BatchDecoder: one decode step for several sessions in one forward pass.
// The contract is bit-identity with each session's own eval() — for every
// weight format, sessions at different positions, any batch size and 1, 2 or
// 3 threads — and errors that change nothing.
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <thread>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "gpt2/batch.hpp"
#include "gpt2/convert.hpp"
#include "gpt2/error.hpp"
#include "gpt2/model.hpp"
#include "gpt2/random_model.hpp"
#include "support/small_model.hpp"
#include "gpt2/session.hpp"
#include "support/test_env.hpp"

namespace {

namespace fs = std::filesystem;
using gpt2::BatchDecoder;
using gpt2::Session;
using gpt2::WeightFormat;

constexpr int kVocab = 1000;
constexpr int kContext = 96;

class Batch : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        dir_ = new fs::path(gpt2::test::make_temp_dir("batch"));
        const gpt2::RandomModelSpec spec = gpt2::test::small_model_spec(kContext, kVocab, 2024);
        gpt2::write_random_model(*dir_ / "f32", spec);
        models_ = new std::map<WeightFormat, gpt2::Model>();
        models_->emplace(WeightFormat::kF32, gpt2::Model::load(*dir_ / "f32"));
        for (WeightFormat f : {WeightFormat::kF16, WeightFormat::kBF16, WeightFormat::kQ8}) {
            const fs::path out = *dir_ / gpt2::weight_format_name(f);
            gpt2::convert_model(*dir_ / "f32", out, f);
            models_->emplace(f, gpt2::Model::load(out));
        }
    }
    static void TearDownTestSuite() {
        delete models_;
        fs::remove_all(*dir_);
        delete dir_;
    }
    static const gpt2::Model& model(WeightFormat f = WeightFormat::kF32) { return models_->at(f); }

    static std::vector<std::int32_t> random_ids(int n, unsigned seed) {
        std::mt19937 rng(seed);
        std::uniform_int_distribution<std::int32_t> dist(0, kVocab - 1);
        std::vector<std::int32_t> ids(static_cast<std::size_t>(n));
        for (auto& id : ids) id = dist(rng);
        return ids;
    }
    static std::vector<float> copy(std::span<const float> s) { return {s.begin(), s.end()}; }

    // B sessions of `m`, session b prefilled with its own prompt of
    // lengths[b] tokens (different positions), each with `threads` threads;
    // with mixed_kv, the odd ones keep an F16 KV cache.
    static std::vector<Session> sessions_at(const gpt2::Model& m, const std::vector<int>& lengths, int threads,
                                            bool mixed_kv = false) {
        std::vector<Session> out;
        for (std::size_t b = 0; b < lengths.size(); ++b) {
            const gpt2::KvDtype kv = mixed_kv && b % 2 == 1 ? gpt2::KvDtype::kF16 : gpt2::KvDtype::kF32;
            out.emplace_back(m, gpt2::SessionOptions{.max_tokens = 0, .n_threads = threads, .kv_dtype = kv});
            out.back().eval(random_ids(lengths[b], 100 + static_cast<unsigned>(b)));
        }
        return out;
    }

    // Decodes `steps` steps: every session of `batched` through the decoder,
    // its fork in `reference` through its own eval(); the logits must be the
    // same bits, row by row. Session b sits out the steps where
    // (step + b) % 4 == 3 (batches of changing membership and size).
    static void expect_same_as_eval(const gpt2::Model& m, const std::vector<int>& lengths, int threads, int steps,
                                    bool mixed_kv = false) {
        std::vector<Session> batched = sessions_at(m, lengths, threads, mixed_kv);
        std::vector<Session> reference;
        for (const Session& s : batched) reference.push_back(s.fork());
        BatchDecoder decoder(m, threads);
        const std::size_t B = lengths.size();
        for (int step = 0; step < steps; ++step) {
            const std::vector<std::int32_t> step_ids = random_ids(static_cast<int>(B), 1000 + static_cast<unsigned>(step));
            std::vector<Session*> in;
            std::vector<std::int32_t> ids;
            std::vector<std::size_t> who;
            for (std::size_t b = 0; b < B; ++b) {
                if (B > 1 && (static_cast<std::size_t>(step) + b) % 4 == 3) continue;
                in.push_back(&batched[b]);
                ids.push_back(step_ids[b]);
                who.push_back(b);
            }
            const std::vector<float> got = copy(decoder.eval(in, ids));
            ASSERT_EQ(got.size(), in.size() * kVocab);
            for (std::size_t i = 0; i < who.size(); ++i) {
                Session& ref = reference[who[i]];
                const std::vector<float> want = copy(ref.eval({&ids[i], 1}));
                const std::vector<float> row(got.begin() + static_cast<std::ptrdiff_t>(i * kVocab),
                                             got.begin() + static_cast<std::ptrdiff_t>((i + 1) * kVocab));
                ASSERT_EQ(row, want) << "step " << step << ", session " << who[i] << " (batch row " << i << " of "
                                     << in.size() << "), position " << ref.position() - 1 << ", " << threads
                                     << " threads";
                ASSERT_EQ(batched[who[i]].position(), ref.position());
            }
        }
    }

    static fs::path* dir_;
    static std::map<WeightFormat, gpt2::Model>* models_;
};

fs::path* Batch::dir_ = nullptr;
std::map<WeightFormat, gpt2::Model>* Batch::models_ = nullptr;

TEST_F(Batch, RowsAreBitIdenticalToEachSessionsEvalForEveryFormatAndThreadCount) {
    // Nine sessions (compare's batch) at nine different positions; B also
    // takes the values 6..9 as sessions sit out, crossing the 6-row tile of
    // the AVX-512 matmul.
    const std::vector<int> lengths = {1, 2, 5, 9, 17, 31, 40, 3, 64};
    for (WeightFormat f : {WeightFormat::kF32, WeightFormat::kF16, WeightFormat::kBF16, WeightFormat::kQ8}) {
        for (int threads : {1, 2, 3}) {
            SCOPED_TRACE(std::string(gpt2::weight_format_name(f)) + ", " + std::to_string(threads) + " threads");
            expect_same_as_eval(model(f), lengths, threads, 6);
            if (HasFatalFailure()) return;
        }
    }
}

// Each session keeps its own cache type: F32 and F16 caches in one batch,
// each row the bits of that session's own eval.
TEST_F(Batch, SessionsWithF16AndF32CachesInOneBatch) {
    const std::vector<int> lengths = {1, 2, 5, 9, 17, 31, 40, 3, 64};
    for (int threads : {1, 2}) {
        SCOPED_TRACE(std::to_string(threads) + " threads");
        expect_same_as_eval(model(WeightFormat::kF32), lengths, threads, 6, true);
        if (HasFatalFailure()) return;
    }
}

TEST_F(Batch, BatchSizesOneToThirteen) {
    for (int B = 1; B <= 13; ++B) {
        std::vector<int> lengths;
        for (int b = 0; b < B; ++b) lengths.push_back(1 + (b * 7) % 23);
        SCOPED_TRACE("B = " + std::to_string(B));
        expect_same_as_eval(model(), lengths, 2, 3);
        if (HasFatalFailure()) return;
    }
}

TEST_F(Batch, ForkedSessionsAtTheSamePositionAndTheLastPosition) {
    // Forks of one prefill (compare's case) with different tokens, decoded up
    // to the very last position of a small session.
    Session base(model(), {.max_tokens = 12, .n_threads = 2});
    base.eval(random_ids(8, 5));
    std::array<Session, 3> batched{base.fork(), base.fork(), base.fork()};
    std::array<Session, 3> reference{base.fork(), base.fork(), base.fork()};
    BatchDecoder decoder(model(), 2);
    for (int step = 0; step < 4; ++step) {   // positions 8 .. 11: fills the session
        std::array<Session*, 3> in{&batched[0], &batched[1], &batched[2]};
        const std::array<std::int32_t, 3> ids{step, 500 + step, kVocab - 1};
        const std::vector<float> got = copy(decoder.eval(in, ids));
        for (std::size_t b = 0; b < 3; ++b) {
            const std::vector<float> want = copy(reference[b].eval({&ids[b], 1}));
            EXPECT_TRUE(std::equal(want.begin(), want.end(), got.begin() + static_cast<std::ptrdiff_t>(b * kVocab)))
                << "step " << step << " row " << b;
        }
    }
    EXPECT_EQ(batched[0].position(), 12);
}

TEST_F(Batch, MoreSessionsThanOnePassHolds) {
    // 260 sessions: two passes (256 + 4 rows); still each session's own bits.
    constexpr int kB = 260;
    std::vector<Session> batched, reference;
    for (int b = 0; b < kB; ++b) {
        batched.emplace_back(model(), gpt2::SessionOptions{.max_tokens = 4, .n_threads = 1});
        batched.back().eval(random_ids(1 + b % 3, static_cast<unsigned>(b)));
        reference.push_back(batched.back().fork());
    }
    std::vector<Session*> in;
    for (Session& s : batched) in.push_back(&s);
    const std::vector<std::int32_t> ids = random_ids(kB, 9);
    BatchDecoder decoder(model(), 2);
    const std::vector<float> got = copy(decoder.eval(in, ids));
    // Rows of the first pass, its last, and the second pass.
    for (int b : {0, 100, 255, 256, 259}) {
        const auto i = static_cast<std::size_t>(b);
        const std::vector<float> want = copy(reference[i].eval({&ids[i], 1}));
        EXPECT_TRUE(std::equal(want.begin(), want.end(), got.begin() + static_cast<std::ptrdiff_t>(b) * kVocab))
            << "row " << b;
    }
}

TEST_F(Batch, ObserverSeesTheSessionsOwnRows) {
    // A session's observer gets, from a batched step, exactly what it gets
    // from its own eval(): the same names, layers, positions and values.
    struct Seen {
        std::string name;
        int layer, pos0, T, width;
        std::vector<float> data;
        bool operator==(const Seen&) const = default;
    };
    const auto recorder = [](std::vector<Seen>& out) {
        return [&out](const gpt2::Activation& a) {
            out.push_back({std::string(a.name), a.layer, a.pos0, a.T, a.width, {a.data.begin(), a.data.end()}});
        };
    };
    Session a(model(), {.max_tokens = 0, .n_threads = 1});
    a.eval(random_ids(6, 1));
    Session other(model(), {.max_tokens = 0, .n_threads = 1});
    other.eval(random_ids(3, 2));
    Session ref = a.fork();
    std::vector<Seen> seen_batch, seen_ref;
    a.set_observer(recorder(seen_batch));
    ref.set_observer(recorder(seen_ref));
    const std::array<std::int32_t, 2> ids{7, 8};
    std::array<Session*, 2> in{&other, &a};   // a is row 1
    BatchDecoder(model(), 1).eval(in, ids);
    ref.eval({&ids[1], 1});
    ASSERT_FALSE(seen_ref.empty());
    EXPECT_EQ(seen_batch.size(), seen_ref.size());
    EXPECT_TRUE(seen_batch == seen_ref);
}

TEST_F(Batch, ErrorsChangeNothing) {
    Session a(model(), {.max_tokens = 0, .n_threads = 1});
    a.eval(random_ids(4, 1));
    Session full(model(), {.max_tokens = 3, .n_threads = 1});
    full.eval(random_ids(3, 2));
    const gpt2::Model other_model = gpt2::Model::load(*dir_ / "f32");   // same file, another Model
    Session foreign(other_model, {.max_tokens = 0, .n_threads = 1});
    foreign.eval(random_ids(4, 1));
    Session ref = a.fork();
    BatchDecoder decoder(model(), 1);

    const auto expect_error = [&](std::vector<Session*> in, std::vector<std::int32_t> ids, const std::string& part) {
        try {
            decoder.eval(in, ids);
            ADD_FAILURE() << "no error; expected one mentioning '" << part << "'";
        } catch (const gpt2::Error& e) {
            EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
        }
        EXPECT_EQ(a.position(), 4);
        EXPECT_EQ(full.position(), 3);
        EXPECT_EQ(foreign.position(), 4);
    };
    expect_error({}, {}, "empty batch");
    expect_error({&a}, {1, 2}, "1 sessions but 2 tokens");
    expect_error({&a, nullptr}, {1, 2}, "null");
    expect_error({&a, &foreign}, {1, 2}, "another model");
    expect_error({&a, &full}, {1, 2}, "max_tokens");
    expect_error({&a}, {kVocab}, "outside the vocabulary");
    expect_error({&a}, {-1}, "outside the vocabulary");
    expect_error({&a, &a}, {1, 2}, "twice");
    EXPECT_THROW(BatchDecoder(model(), -1), gpt2::Error);

    // The failed calls left `a` as it was: the next step is its fork's.
    const std::int32_t id = 11;
    std::array<Session*, 1> in{&a};
    const std::vector<float> got = copy(decoder.eval(in, {&id, 1}));
    EXPECT_EQ(got, copy(ref.eval({&id, 1})));
    EXPECT_EQ(decoder.n_threads(), 1);
    EXPECT_EQ(&decoder.model(), &model());
}

TEST_F(Batch, ParallelForEachRunsEveryItemOnceWithDistinctSlots) {
    for (int threads : {1, 2, 3}) {
        BatchDecoder decoder(model(), threads);
        for (std::size_t n : {0u, 1u, 2u, 9u, 100u}) {
            std::vector<std::atomic<int>> calls(n);
            std::vector<std::atomic<int>> busy(static_cast<std::size_t>(threads));
            std::atomic<bool> slot_out_of_range{false}, slot_shared{false};
            decoder.parallel_for_each(n, [&](std::size_t i, int slot) {
                if (slot < 0 || slot >= threads) {
                    slot_out_of_range = true;
                    return;
                }
                // No two calls with the same slot at once: per-slot scratch is safe.
                if (busy[static_cast<std::size_t>(slot)].fetch_add(1) != 0) slot_shared = true;
                calls[i].fetch_add(1);
                std::this_thread::sleep_for(std::chrono::microseconds(20));   // let the calls overlap
                busy[static_cast<std::size_t>(slot)].fetch_sub(1);
            });
            EXPECT_FALSE(slot_out_of_range) << threads << " threads, n = " << n;
            EXPECT_FALSE(slot_shared) << threads << " threads, n = " << n;
            for (std::size_t i = 0; i < n; ++i) EXPECT_EQ(calls[i].load(), 1) << "item " << i;
        }
    }
}

TEST_F(Batch, ParallelForEachRethrowsAndTheDecoderStaysUsable) {
    for (int threads : {1, 2}) {
        BatchDecoder decoder(model(), threads);
        std::atomic<int> calls{0};
        try {
            decoder.parallel_for_each(50, [&](std::size_t i, int) {
                calls.fetch_add(1);
                if (i == 3) throw gpt2::Error("item 3 failed");
            });
            ADD_FAILURE() << "no exception with " << threads << " threads";
        } catch (const gpt2::Error& e) {
            EXPECT_EQ(std::string(e.what()), "item 3 failed");
        }
        EXPECT_GE(calls.load(), 1);
        // Later work and evaluation are unaffected.
        std::atomic<int> again{0};
        decoder.parallel_for_each(9, [&](std::size_t, int) { again.fetch_add(1); });
        EXPECT_EQ(again.load(), 9);
        Session a(model(), {.max_tokens = 0, .n_threads = 1});
        a.eval(random_ids(3, 1));
        Session ref = a.fork();
        const std::int32_t id = 5;
        std::array<Session*, 1> in{&a};
        EXPECT_EQ(copy(decoder.eval(in, {&id, 1})), copy(ref.eval({&id, 1})));
    }
}

}  // namespace
