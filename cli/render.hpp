#pragma once
// All terminal formatting of the gpt2 command: display width, wrapping,
// tables, visible-whitespace pieces, numbers, and the probability heat scale.
// Commands compute; this file decides how it looks. Everything returns
// strings (nothing is printed here) so that tests and JSON paths stay clean.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gpt2::cli {

inline constexpr int kScreenWidth = 100;

// Columns a UTF-8 string takes on a terminal (wide East Asian characters
// count 2, combining marks 0; invalid bytes 1). ANSI escape sequences count 0.
int display_width(std::string_view s);

// Splits text into lines of at most `width` columns, breaking at spaces when
// possible (a word longer than the line is cut). Newlines in the text start a
// new line. Never splits a UTF-8 character.
std::vector<std::string> wrap(std::string_view text, int width);

// A token's bytes for display: whitespace and invisible characters made
// visible ("␣the", "↵"), via gpt2::visible_piece, quoted-free.
std::string piece(std::string_view bytes);
// Running text on one line: newlines shown as "↵", tabs as "⇥", other
// control characters as visible_piece does; spaces kept.
std::string one_line(std::string_view text);

// Pads/cuts to `width` display columns (left or right aligned).
std::string pad_right(std::string_view s, int width);
std::string pad_left(std::string_view s, int width);

// A plain text table: a header row, a rule, rows. Column widths fit the
// widest cell; a column marked wrap takes the space left within
// `max_width` and its cells are wrapped onto several lines.
class Table {
public:
    enum class Align { kLeft, kRight };
    struct Column {
        std::string title;
        Align align = Align::kLeft;
        bool wrap = false;
    };
    explicit Table(std::vector<Column> columns) : columns_(std::move(columns)) {}
    void add_row(std::vector<std::string> cells);
    // A full-width line between rows (e.g. "── top_k cut ──").
    void add_rule(std::string label = {});
    std::string render(int max_width = kScreenWidth) const;

private:
    struct Row {
        std::vector<std::string> cells;
        bool rule = false;
        std::string label;
    };
    std::vector<Column> columns_;
    std::vector<Row> rows_;
};

// Colour: on only when asked for, stdout is a terminal and NO_COLOR is unset
// or empty (https://no-color.org).
bool color_enabled(bool requested);

// The heat scale: five probability bands, each with an ANSI 256-colour
// foreground. heat() wraps text in its band's colour (or returns it as is
// when `on` is false); heat_legend() explains the bands.
int heat_band(double p);   // 0 (p >= 0.9) .. 4 (p < 0.05)
std::string heat(std::string_view text, double p, bool on);
std::string heat_legend(bool on);

// Numbers: "0.231", "1.2e-05"; percentages "23.1%"; "1,234.5 tok/s".
std::string fmt_prob(double p);
std::string fmt_num(double v, int decimals = 2);

}  // namespace gpt2::cli
