// `gpt2 tokenize` / `gpt2 detokenize`, run as the built binary.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>

#include "gpt2/tokenizer.hpp"
#include "support/test_env.hpp"

namespace {

struct Result {
    int exit_code;
    std::string out;  // stdout and stderr together
};

// Runs `gpt2 <args>` through the shell with `input` on stdin.
Result run(const std::string& args, const std::string& input = "") {
    const auto dir = gpt2::test::make_temp_dir("cli-tok");
    const auto in_path = dir / "stdin";
    {
        std::ofstream in(in_path, std::ios::binary);
        in << input;
    }
    std::ostringstream cmd_stream;
    cmd_stream << '\'' << gpt2::test::cli_path().string() << "' " << args << " < '" << in_path.string() << "' 2>&1";
    const std::string cmd = cmd_stream.str();
    Result r{-1, {}};
    FILE* pipe = popen(cmd.c_str(), "r");
    if (pipe == nullptr) return r;
    char buf[4096];
    std::size_t n;
    while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) r.out.append(buf, n);
    const int status = pclose(pipe);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    std::filesystem::remove_all(dir);
    return r;
}

const gpt2::Tokenizer& tok() {
    static const gpt2::Tokenizer t = gpt2::Tokenizer::from_dir(gpt2::test::tokenizer_dir());
    return t;
}

std::string ids_json(const std::vector<std::int32_t>& ids) {
    std::ostringstream s;  // (not string +: g++ 12 -O3 warns falsely with -Wrestrict)
    s << '[';
    for (std::size_t i = 0; i < ids.size(); ++i) s << (i ? "," : "") << ids[i];
    s << ']';
    return s.str();
}

TEST(CliTokenize, TableShowsIdsAndVisiblePieces) {
    const Result r = run("tokenize 'Hello world'");
    ASSERT_EQ(r.exit_code, 0) << r.out;
    EXPECT_NE(r.out.find("15496  Hello"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("995  \u2423world"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("2 tokens, 11 bytes"), std::string::npos) << r.out;
}

TEST(CliTokenize, JsonFromStdinMatchesLibrary) {
    const std::string text = "Grüße, 世界!\n\tIt's 2024 \xff";
    const Result r = run("tokenize --json", text);
    ASSERT_EQ(r.exit_code, 0) << r.out;
    EXPECT_NE(r.out.find("\"ids\":" + ids_json(tok().encode(text))), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("\"n_bytes\":" + std::to_string(text.size())), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("\\\\xFF"), std::string::npos) << r.out;  // the invalid byte, shown escaped in JSON
}

TEST(CliTokenize, FileAndExplicitTokenizerDir) {
    const auto dir = gpt2::test::make_temp_dir("cli-tok-file");
    const std::string text = "from a file\r\n";
    std::ofstream(dir / "in.txt", std::ios::binary) << text;
    const Result r = run("tokenize --json --tokenizer '" + gpt2::test::tokenizer_dir().string() + "' --file '" +
                         (dir / "in.txt").string() + "'");
    ASSERT_EQ(r.exit_code, 0) << r.out;
    EXPECT_NE(r.out.find(ids_json(tok().encode(text))), std::string::npos) << r.out;
    std::filesystem::remove_all(dir);
}

TEST(CliTokenize, JsonlBulkAndSpecialTokens) {
    const Result r = run("tokenize --jsonl", "\"a b\"\n\"caf\\u00e9\"\n\"x<|endoftext|>\"\n");
    ASSERT_EQ(r.exit_code, 0) << r.out;
    const std::string expected = ids_json(tok().encode("a b")) + "\n" + ids_json(tok().encode("caf\u00e9")) + "\n" +
                                 ids_json(tok().encode("x<|endoftext|>")) + "\n";
    EXPECT_EQ(r.out, expected);
    const Result s = run("tokenize --jsonl --allow-special", "\"x<|endoftext|>\"\n");
    ASSERT_EQ(s.exit_code, 0) << s.out;
    EXPECT_EQ(s.out, ids_json({tok().token_id("x"), 50256}) + "\n");
}

TEST(CliTokenize, JsonlRejectsNonStrings) {
    const Result r = run("tokenize --jsonl", "\"ok\"\n42\n");
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.out.find("line 2"), std::string::npos) << r.out;
}

TEST(CliDetokenize, ArgsAndStdinRoundTrip) {
    Result r = run("detokenize 15496 995");
    ASSERT_EQ(r.exit_code, 0) << r.out;
    EXPECT_EQ(r.out, "Hello world");
    const std::string text = "line one\n\u00a0line two \xf0\x9f\x98\x80";
    r = run("detokenize", ids_json(tok().encode(text)));
    ASSERT_EQ(r.exit_code, 0) << r.out;
    EXPECT_EQ(r.out, text);
}

TEST(CliDetokenize, Errors) {
    Result r = run("detokenize 50257");
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.out.find("out of range"), std::string::npos) << r.out;
    r = run("detokenize", "12 abc");
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.out.find("abc"), std::string::npos) << r.out;
    r = run("tokenize --tokenizer /nonexistent/dir x");
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.out.find("/nonexistent/dir"), std::string::npos) << r.out;
    r = run("tokenize --json --jsonl");
    EXPECT_EQ(r.exit_code, 2) << r.out;
}

}  // namespace
