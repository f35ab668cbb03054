// The KV cache and the Session API: every way of splitting, forking or
// rewinding a sequence gives the logits of evaluating it at once, the
// context limit is an error that changes nothing, and the thread count does
// not change a single bit.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "gpt2/convert.hpp"
#include "gpt2/error.hpp"
#include "gpt2/model.hpp"
#include "gpt2/random_model.hpp"
#include "support/small_model.hpp"
#include "gpt2/session.hpp"
#include "support/test_env.hpp"

namespace {

constexpr int kVocab = 1000;
constexpr int kContext = 320;

class KvCache : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        dir_ = new std::filesystem::path(gpt2::test::make_temp_dir("kv-cache"));
        const gpt2::RandomModelSpec spec = gpt2::test::small_model_spec(kContext, kVocab, 77);
        gpt2::write_random_model(*dir_, spec);
        model_ = new gpt2::Model(gpt2::Model::load(*dir_));
    }
    static void TearDownTestSuite() {
        delete model_;
        std::filesystem::remove_all(*dir_);
        delete dir_;
    }

    static std::vector<std::int32_t> random_ids(int n, unsigned seed) {
        std::mt19937 rng(seed);
        std::uniform_int_distribution<std::int32_t> dist(0, kVocab - 1);
        std::vector<std::int32_t> ids(static_cast<std::size_t>(n));
        for (auto& id : ids) id = dist(rng);
        return ids;
    }
    static std::vector<float> copy(std::span<const float> s) { return {s.begin(), s.end()}; }
    static std::vector<float> row(const std::vector<float>& all, int t) {
        return {all.begin() + static_cast<std::ptrdiff_t>(t) * kVocab, all.begin() + static_cast<std::ptrdiff_t>(t + 1) * kVocab};
    }
    static double max_diff(const std::vector<float>& a, const std::vector<float>& b) {
        EXPECT_EQ(a.size(), b.size());
        double m = 0.0;
        for (std::size_t i = 0; i < a.size() && i < b.size(); ++i)
            m = std::max(m, std::fabs(static_cast<double>(a[i]) - b[i]));
        return m;
    }

    static std::filesystem::path* dir_;
    static gpt2::Model* model_;
};

std::filesystem::path* KvCache::dir_ = nullptr;
gpt2::Model* KvCache::model_ = nullptr;

TEST_F(KvCache, IncrementalDecodingEqualsFullRecomputation) {
    // 300 steps: past the Session's 256-position chunk as well.
    const std::vector<std::int32_t> ids = random_ids(300, 1);
    gpt2::Session full(*model_, {.max_tokens = 0, .n_threads = 2});
    const std::vector<float> all = copy(full.eval_all(ids));

    gpt2::Session step(*model_, {.max_tokens = 0, .n_threads = 2});
    double worst = 0.0;
    for (int t = 0; t < static_cast<int>(ids.size()); ++t) {
        const std::vector<float> logits = copy(step.eval({&ids[static_cast<std::size_t>(t)], 1}));
        worst = std::max(worst, max_diff(logits, row(all, t)));
        ASSERT_EQ(step.position(), t + 1);
    }
    EXPECT_LE(worst, 1e-5);
    // The kernels promise more than the bound: the same bits.
    EXPECT_EQ(worst, 0.0);
}

// Decode reads the layers' matrices from their panel copy
// (LoadOptions::decode_panels, kernels/matvec_panels.hpp) and wte and the q8
// matrices from their huge-page copies (LoadOptions::huge_page_copies);
// loaded without them, decode reads the mapped tensors. Both give the same
// bits, in F32, in the 16-bit formats and in q8, and so both equal prefill
// (the test above).
TEST_F(KvCache, DecodeOverDecodeCopiesEqualsDecodeOverTheMappedTensors) {
    const auto dir = gpt2::test::make_temp_dir("kv-cache-copies");
    gpt2::write_random_model(dir / "f32", gpt2::test::small_model_spec(kContext, kVocab, 78));
    for (gpt2::WeightFormat format :
         {gpt2::WeightFormat::kF32, gpt2::WeightFormat::kF16, gpt2::WeightFormat::kBF16, gpt2::WeightFormat::kQ8}) {
        const std::string name = gpt2::weight_format_name(format);
        if (format != gpt2::WeightFormat::kF32) gpt2::convert_model(dir / "f32", dir / name, format);
        const gpt2::Model with = gpt2::Model::load(dir / name);
        const gpt2::Model without =
            gpt2::Model::load(dir / name, {.decode_panels = false, .huge_page_copies = false});
        const bool q8 = format == gpt2::WeightFormat::kQ8;
        const auto mapped_from = [](const gpt2::Model& model, const void* p) {   // points into model's file
            const auto* b = static_cast<const std::byte*>(p);
            for (const gpt2::TensorView& t : model.file().tensors()) {
                const auto* d = static_cast<const std::byte*>(t.data);
                if (b >= d && b < d + t.nbytes) return true;
            }
            return false;
        };
        const auto matrices = [](const gpt2::LayerWeights& l) {
            return std::vector<const gpt2::WeightTensor*>{&l.attn_c_attn_weight, &l.attn_c_proj_weight,
                                                          &l.mlp_c_fc_weight, &l.mlp_c_proj_weight};
        };
        for (std::size_t i = 0; i < with.weights().layers.size(); ++i) {
            const auto copied = matrices(with.weights().layers[i]);
            const auto mapped = matrices(without.weights().layers[i]);
            for (std::size_t m = 0; m < copied.size(); ++m) {
                // Panels for F32 and 16-bit matrices; q8 ones are copied instead.
                ASSERT_EQ(copied[m]->panels != nullptr, !q8) << name;
                ASSERT_EQ(mapped[m]->panels, nullptr) << name;
                ASSERT_EQ(mapped_from(with, copied[m]->data), !q8) << name;
                ASSERT_TRUE(mapped_from(without, mapped[m]->data)) << name;
                if (q8) {
                    ASSERT_FALSE(mapped_from(with, copied[m]->scales)) << name;
                }
            }
        }
        ASSERT_FALSE(mapped_from(with, with.weights().wte.data)) << name;
        ASSERT_TRUE(mapped_from(without, without.weights().wte.data)) << name;
        ASSERT_GT(with.huge_page_copy_bytes(), 0) << name;
        ASSERT_EQ(without.huge_page_copy_bytes(), 0) << name;

        const std::vector<std::int32_t> ids = random_ids(40, 5);
        gpt2::Session a(with, {.max_tokens = 0, .n_threads = 2});
        gpt2::Session b(without, {.max_tokens = 0, .n_threads = 2});
        for (std::int32_t id : ids) {
            const std::vector<float> la = copy(a.eval({&id, 1}));
            const std::vector<float> lb = copy(b.eval({&id, 1}));
            ASSERT_EQ(la, lb) << name << " at position " << a.position();
        }
    }
    std::filesystem::remove_all(dir);
}

TEST_F(KvCache, ChunkedPrefillEqualsPrefillAtOnce) {
    const std::vector<std::int32_t> ids = random_ids(120, 2);
    gpt2::Session once(*model_);
    const std::vector<float> all = copy(once.eval_all(ids));

    gpt2::Session chunked(*model_);
    std::vector<float> pieces;
    std::size_t start = 0;
    for (std::size_t len : {1u, 7u, 50u, 13u, 49u}) {
        const std::span<const float> l = chunked.eval_all({ids.data() + start, len});
        pieces.insert(pieces.end(), l.begin(), l.end());
        start += len;
    }
    ASSERT_EQ(start, ids.size());
    EXPECT_EQ(pieces, all);

    // eval() returns the last row of what eval_all() returns.
    gpt2::Session last(*model_);
    EXPECT_EQ(copy(last.eval(ids)), row(all, 119));
}

TEST_F(KvCache, ForkThenContinueEqualsFreshRun) {
    const std::vector<std::int32_t> prefix = random_ids(40, 3);
    const std::vector<std::int32_t> a = random_ids(25, 4);
    const std::vector<std::int32_t> b = random_ids(25, 5);

    gpt2::Session trunk(*model_);
    trunk.eval(prefix);
    gpt2::Session branch = trunk.fork();
    EXPECT_EQ(branch.position(), 40);
    const std::vector<float> branch_a = copy(branch.eval_all(a));
    const std::vector<float> trunk_b = copy(trunk.eval_all(b));   // the fork did not disturb the trunk

    for (const auto& [cont, got] : {std::pair{&a, &branch_a}, std::pair{&b, &trunk_b}}) {
        std::vector<std::int32_t> whole = prefix;
        whole.insert(whole.end(), cont->begin(), cont->end());
        gpt2::Session fresh(*model_);
        const std::vector<float> all = copy(fresh.eval_all(whole));
        EXPECT_EQ(*got, std::vector<float>(all.begin() + 40 * kVocab, all.end()));
    }
}

TEST_F(KvCache, RewindThenReevaluateEqualsOriginal) {
    const std::vector<std::int32_t> ids = random_ids(60, 6);
    const std::vector<std::int32_t> other = random_ids(20, 7);
    gpt2::Session s(*model_);
    const std::vector<float> original = copy(s.eval_all(ids));

    s.rewind(30);
    EXPECT_EQ(s.position(), 30);
    s.eval(other);   // overwrite positions 30..49 with something else
    s.rewind(30);
    const std::vector<float> again = copy(s.eval_all({ids.data() + 30, 30}));
    EXPECT_EQ(again, std::vector<float>(original.begin() + 30 * kVocab, original.end()));

    s.rewind(0);
    EXPECT_EQ(copy(s.eval_all(ids)), original);

    EXPECT_THROW(s.rewind(61), gpt2::Error);
    EXPECT_THROW(s.rewind(-1), gpt2::Error);
    EXPECT_EQ(s.position(), 60);
}

TEST_F(KvCache, GoingPastTheContextIsAnErrorThatChangesNothing) {
    const std::vector<std::int32_t> ids = random_ids(51, 8);
    gpt2::Session s(*model_, {.max_tokens = 50, .n_threads = 1});
    EXPECT_EQ(s.max_tokens(), 50);
    const std::vector<float> at_49 = copy(s.eval_all({ids.data(), 50}));
    EXPECT_EQ(s.position(), 50);
    try {
        s.eval({ids.data() + 50, 1});
        FAIL() << "eval past max_tokens did not throw";
    } catch (const gpt2::Error& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find("max_tokens 50"), std::string::npos) << msg;
        EXPECT_NE(msg.find("n_ctx 320"), std::string::npos) << msg;
    }
    EXPECT_EQ(s.position(), 50);
    // The session still works: step back and redo the last position.
    s.rewind(49);
    EXPECT_EQ(copy(s.eval({ids.data() + 49, 1})), row(at_49, 49));

    // A prompt longer than the context, in one call.
    gpt2::Session fresh(*model_, {.max_tokens = 50, .n_threads = 1});
    EXPECT_THROW(fresh.eval(ids), gpt2::Error);
    EXPECT_EQ(fresh.position(), 0);

    // The default capacity is n_ctx, and no session may exceed it.
    gpt2::Session full(*model_);
    EXPECT_EQ(full.max_tokens(), kContext);
    const std::vector<std::int32_t> too_long = random_ids(kContext + 1, 9);
    EXPECT_THROW(full.eval(too_long), gpt2::Error);
    EXPECT_THROW(gpt2::Session(*model_, {.max_tokens = kContext + 1, .n_threads = 1}), gpt2::Error);
    EXPECT_THROW(gpt2::Session(*model_, {.max_tokens = -1, .n_threads = 1}), gpt2::Error);
    EXPECT_THROW(gpt2::Session(*model_, {.max_tokens = 0, .n_threads = -1}), gpt2::Error);
}

TEST_F(KvCache, TokenIdsAndEmptyBatchesAreChecked) {
    gpt2::Session s(*model_);
    const std::vector<std::int32_t> bad_high = {1, 2, kVocab};
    const std::vector<std::int32_t> bad_low = {-1};
    EXPECT_THROW(s.eval(bad_high), gpt2::Error);
    EXPECT_THROW(s.eval(bad_low), gpt2::Error);
    EXPECT_THROW(s.eval({}), gpt2::Error);
    EXPECT_EQ(s.position(), 0);
    try {
        s.eval(bad_high);
    } catch (const gpt2::Error& e) {
        EXPECT_NE(std::string(e.what()).find("1000"), std::string::npos) << e.what();
    }
}

// An F16 cache keeps every guarantee of the F32 one (decode equals prefill,
// chunks, forks and thread counts change no bit) and changes the logits only
// by its rounding: close to the F32 cache's, but not the same bits.
TEST_F(KvCache, F16CacheKeepsEveryGuarantee) {
    const gpt2::SessionOptions f16{.max_tokens = 0, .n_threads = 2, .kv_dtype = gpt2::KvDtype::kF16};
    const std::vector<std::int32_t> ids = random_ids(300, 21);
    gpt2::Session full(*model_, f16);
    EXPECT_EQ(full.kv_dtype(), gpt2::KvDtype::kF16);
    const std::vector<float> all = copy(full.eval_all(ids));

    gpt2::Session step(*model_, f16);
    for (int t = 0; t < static_cast<int>(ids.size()); ++t)
        ASSERT_EQ(copy(step.eval({&ids[static_cast<std::size_t>(t)], 1})), row(all, t)) << "position " << t;

    gpt2::Session chunked(*model_, {.max_tokens = 0, .n_threads = 1, .kv_dtype = gpt2::KvDtype::kF16});
    std::vector<float> pieces;
    std::size_t start = 0;
    for (std::size_t len : {17u, 1u, 100u, 182u}) {
        const std::span<const float> l = chunked.eval_all({ids.data() + start, len});
        pieces.insert(pieces.end(), l.begin(), l.end());
        if (start == 17) {   // fork mid-way: the branch continues as the trunk does
            gpt2::Session branch = chunked.fork();
            EXPECT_EQ(branch.kv_dtype(), gpt2::KvDtype::kF16);
            const std::vector<float> b = copy(branch.eval_all({ids.data() + start + len, 20}));
            EXPECT_EQ(b, std::vector<float>(all.begin() + static_cast<std::ptrdiff_t>(start + len) * kVocab,
                                            all.begin() + static_cast<std::ptrdiff_t>(start + len + 20) * kVocab));
        }
        start += len;
    }
    ASSERT_EQ(start, ids.size());
    EXPECT_EQ(pieces, all);

    gpt2::Session f32(*model_, {.max_tokens = 0, .n_threads = 2});
    const std::vector<float> exact = copy(f32.eval_all(ids));
    EXPECT_NE(all, exact) << "the F16 cache rounds the keys and values";
    EXPECT_LE(max_diff(all, exact), 1e-2);
    int same_top = 0;
    for (int t = 0; t < static_cast<int>(ids.size()); ++t) {
        const std::vector<float> a = row(all, t), b = row(exact, t);
        same_top += std::max_element(a.begin(), a.end()) - a.begin() == std::max_element(b.begin(), b.end()) - b.begin();
    }
    EXPECT_GE(same_top, 295);
}

TEST_F(KvCache, KvDtypeOutsideTheEnumIsAnError) {
    EXPECT_THROW(gpt2::Session(*model_, {.max_tokens = 0, .n_threads = 1, .kv_dtype = static_cast<gpt2::KvDtype>(7)}),
                 gpt2::Error);
}

TEST_F(KvCache, LogitsAreBitIdenticalForAnyThreadCount) {
    const std::vector<std::int32_t> prompt = random_ids(70, 10);
    const std::vector<std::int32_t> steps = random_ids(5, 11);
    std::vector<std::vector<float>> results;
    for (int n_threads : {1, 2, 3, -1, -2, -3}) {   // negative: the same counts with an F16 cache
        const gpt2::KvDtype kv = n_threads < 0 ? gpt2::KvDtype::kF16 : gpt2::KvDtype::kF32;
        gpt2::Session s(*model_, {.max_tokens = 0, .n_threads = std::abs(n_threads), .kv_dtype = kv});
        EXPECT_EQ(s.n_threads(), std::abs(n_threads));
        std::vector<float> out = copy(s.eval_all(prompt));
        for (std::int32_t id : steps) {
            const std::span<const float> l = s.eval({&id, 1});
            out.insert(out.end(), l.begin(), l.end());
        }
        results.push_back(std::move(out));
    }
    EXPECT_EQ(results[0], results[1]);
    EXPECT_EQ(results[0], results[2]);
    EXPECT_EQ(results[3], results[4]);
    EXPECT_EQ(results[3], results[5]);
}

TEST_F(KvCache, ObserverSeesEveryNamedActivationInOrder) {
    gpt2::Session s(*model_);
    std::vector<std::string> names;
    s.set_observer([&](const gpt2::Activation& a) {
        names.push_back(std::string(a.name) + "@" + std::to_string(a.layer));
        EXPECT_EQ(a.data.size(), static_cast<std::size_t>(a.T) * a.width);
    });
    const std::vector<std::int32_t> ids = random_ids(3, 12);
    s.eval(ids);
    const std::vector<std::string> block = {"ln_1", "qkv", "attention", "attn_proj", "residual_attn",
                                            "ln_2", "mlp_gelu", "mlp_proj", "block_out"};
    std::vector<std::string> expected = {"embedding@-1"};
    for (int l = 0; l < 2; ++l)
        for (const std::string& n : block) expected.push_back(n + "@" + std::to_string(l));
    expected.push_back("ln_f@2");
    expected.push_back("logits@2");
    EXPECT_EQ(names, expected);
    s.set_observer({});
    names.clear();
    s.eval(ids);
    EXPECT_TRUE(names.empty());
}

}  // namespace
