// Logits through wte's distinct rows (lib/distinct_rows.hpp,
// kernels::tied_logits): the grouping against a naive one, and the logits of
// a checkpoint whose wte repeats rows against the same checkpoint loaded
// without the distinct rows, to the bit: prefill (last row and every row),
// decode and batched decode, F32 / F16 / BF16, one and two threads.
#include <gtest/gtest.h>

#include <bit>
#include <cstring>
#include <fstream>
#include <random>
#include <vector>

#include "distinct_rows.hpp"
#include "gpt2/batch.hpp"
#include "gpt2/model.hpp"
#include "gpt2/random_model.hpp"
#include "gpt2/safetensors.hpp"
#include "gpt2/session.hpp"
#include "support/small_model.hpp"
#include "support/test_env.hpp"

namespace {

namespace fs = std::filesystem;

TEST(DistinctRows, GroupsEqualRowsLikeANaiveSearch) {
    // 600 rows of 40 floats (160 bytes, past the 64-byte prefix the search
    // hashes): repeats of a few rows, and rows that share a repeated row's
    // first 64 bytes but differ further on.
    constexpr int kRows = 600, kCols = 40;
    std::mt19937 gen(5);
    std::normal_distribution<float> normal;
    std::vector<float> m(static_cast<std::size_t>(kRows) * kCols);
    for (float& v : m) v = normal(gen);
    const auto row = [&](int r) { return m.data() + static_cast<std::ptrdiff_t>(r) * kCols; };
    for (int r = 0; r < kRows; ++r) {
        const int kind = static_cast<int>(gen() % 6);
        const int src = static_cast<int>(gen() % 8);
        if (r <= src) continue;
        if (kind < 3) std::memcpy(row(r), row(src), kCols * sizeof(float));   // a repeat
        if (kind == 3) {                                                      // same prefix, other tail
            std::memcpy(row(r), row(src), kCols * sizeof(float));
            row(r)[kCols - 1 - static_cast<int>(gen() % 20)] += 1.0f;
        }
    }
    const gpt2::DistinctRows d = gpt2::find_distinct_rows(m.data(), kRows, kCols * sizeof(float));
    ASSERT_EQ(d.of.size(), static_cast<std::size_t>(kRows));
    std::vector<std::int64_t> first;   // naive: the first earlier row with the same bytes
    for (int r = 0; r < kRows; ++r) {
        int same = -1;
        for (std::size_t k = 0; k < first.size() && same < 0; ++k)
            if (std::memcmp(row(r), row(static_cast<int>(first[k])), kCols * sizeof(float)) == 0) same = static_cast<int>(k);
        if (same < 0) {
            same = static_cast<int>(first.size());
            first.push_back(r);
        }
        EXPECT_EQ(d.of[static_cast<std::size_t>(r)], same) << "row " << r;
    }
    EXPECT_EQ(d.first, first);
    EXPECT_LT(first.size(), static_cast<std::size_t>(kRows) * 3 / 4);   // the planted repeats are there
    EXPECT_TRUE(gpt2::find_distinct_rows(m.data(), 0, kCols * sizeof(float)).first.empty());
}

std::uint32_t bits(float x) { return std::bit_cast<std::uint32_t>(x); }

void expect_same_bits(std::span<const float> a, std::span<const float> b, const std::string& what) {
    ASSERT_EQ(a.size(), b.size()) << what;
    std::size_t differ = 0;
    for (std::size_t i = 0; i < a.size(); ++i) differ += bits(a[i]) != bits(b[i]) ? 1 : 0;
    EXPECT_EQ(differ, 0u) << what << ": " << differ << " of " << a.size() << " logits differ";
}

constexpr int kVocab = 400;
constexpr int kShared = 300;   // tokens 50 .. 349 take token 3's row
constexpr int kContext = 64;

// A small checkpoint whose wte repeats token 3's row for kShared tokens, and
// gives token 360 token 7's row with its last value changed (the same
// 64-byte prefix, another row).
fs::path write_repeating_model(const fs::path& dir, gpt2::DType dtype) {
    gpt2::RandomModelSpec spec = gpt2::test::small_model_spec(kContext, kVocab, 77);
    spec.dtype = dtype;
    gpt2::write_random_model(dir, spec);
    std::size_t offset = 0, row_bytes = 0;
    {
        const gpt2::SafetensorsFile file = gpt2::SafetensorsFile::open(dir / "model.safetensors");
        for (const gpt2::TensorView& t : file.tensors()) {
            if (t.name != "wte.weight") continue;
            offset = t.file_offset;
            row_bytes = t.nbytes / static_cast<std::size_t>(t.shape[0]);
        }
    }
    std::fstream f(dir / "model.safetensors", std::ios::in | std::ios::out | std::ios::binary);
    std::vector<char> wte(static_cast<std::size_t>(kVocab) * row_bytes);
    f.seekg(static_cast<std::streamoff>(offset));
    f.read(wte.data(), static_cast<std::streamsize>(wte.size()));
    for (int v = 50; v < 50 + kShared; ++v) std::memcpy(&wte[v * row_bytes], &wte[3 * row_bytes], row_bytes);
    std::memcpy(&wte[360 * row_bytes], &wte[7 * row_bytes], row_bytes);
    wte[361 * row_bytes - 1] ^= 0x01;   // the last byte of row 360
    f.seekp(static_cast<std::streamoff>(offset));
    f.write(wte.data(), static_cast<std::streamsize>(wte.size()));
    return dir;
}

TEST(DistinctRows, LogitsEqualThoseOverWteToTheBit) {
    const fs::path root = gpt2::test::make_temp_dir("distinct_rows");
    std::vector<std::int32_t> prompt;
    for (int i = 0; i < 20; ++i) prompt.push_back((i * 37 + 11) % kVocab);
    for (const gpt2::DType dtype : {gpt2::DType::kF32, gpt2::DType::kF16, gpt2::DType::kBF16}) {
        const std::string name = gpt2::dtype_name(dtype);
        const fs::path dir = write_repeating_model(root / name, dtype);
        const gpt2::Model with = gpt2::Model::load(dir);
        const gpt2::Model without = gpt2::Model::load(dir, {.distinct_logit_rows = false});
        EXPECT_EQ(with.distinct_logit_rows(), kVocab - kShared) << name;   // token 3 and 300 others share a row
        EXPECT_EQ(without.distinct_logit_rows(), 0) << name;
        EXPECT_LT(with.decode_weight_bytes(), without.decode_weight_bytes());
        EXPECT_EQ(with.default_decode_copy_bytes().huge_page_copies, with.huge_page_copy_bytes());
        for (const int threads : {1, 2}) {
            const std::string what = name + ", " + std::to_string(threads) + " thread(s)";
            gpt2::Session a(with, {.max_tokens = kContext, .n_threads = threads});
            gpt2::Session b(without, {.max_tokens = kContext, .n_threads = 1});
            expect_same_bits(a.eval_all(prompt), b.eval_all(prompt), what + ": prefill, every row");
            a.rewind(0);
            b.rewind(0);
            expect_same_bits(a.eval(prompt), b.eval(prompt), what + ": prefill, last row");
            for (const std::int32_t next : {3, 60, 360, 7, 399}) {
                const std::vector<std::int32_t> one{next};
                expect_same_bits(a.eval(one), b.eval(one), what + ": decode " + std::to_string(next));
            }
            // Three continuations of the same context in one batch.
            std::vector<gpt2::Session> fa, fb;
            for (int i = 0; i < 3; ++i) {
                fa.push_back(a.fork());
                fb.push_back(b.fork());
            }
            gpt2::BatchDecoder da(with, threads), db(without, 1);
            std::vector<gpt2::Session*> pa, pb;
            for (int i = 0; i < 3; ++i) {
                pa.push_back(&fa[static_cast<std::size_t>(i)]);
                pb.push_back(&fb[static_cast<std::size_t>(i)]);
            }
            const std::vector<std::int32_t> ids{100, 360, 7};
            expect_same_bits(da.eval(pa, ids), db.eval(pb, ids), what + ": batch of 3");
        }
    }
    fs::remove_all(root);
}

TEST(DistinctRows, ACheckpointWithoutRepeatsKeepsWte) {
    const fs::path dir = gpt2::test::make_temp_dir("distinct_rows_none");
    gpt2::write_random_model(dir, gpt2::test::small_model_spec(kContext, kVocab, 78));
    const gpt2::Model model = gpt2::Model::load(dir);
    EXPECT_EQ(model.distinct_logit_rows(), 0);
    EXPECT_EQ(model.weights().wte_distinct.rows.data, nullptr);
    fs::remove_all(dir);
}

}  // namespace
