#include "render.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>
#include <unistd.h>
#include <utf8proc.h>

#include "gpt2/tokenizer.hpp"

namespace gpt2::cli {

namespace {

// Decodes one code point at s[i] (advancing i); -1 for an invalid byte.
utf8proc_int32_t next_cp(std::string_view s, std::size_t& i) {
    utf8proc_int32_t cp = -1;
    const auto n = utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(s.data() + i),
                                    static_cast<utf8proc_ssize_t>(s.size() - i), &cp);
    i += n > 0 ? static_cast<std::size_t>(n) : 1;
    return n > 0 ? cp : -1;
}

// Length of an ANSI CSI escape ("\x1b[...m") at s[i], else 0.
std::size_t escape_length(std::string_view s, std::size_t i) {
    if (s[i] != '\x1b' || i + 1 >= s.size() || s[i + 1] != '[') return 0;
    std::size_t j = i + 2;
    while (j < s.size() && !(s[j] >= 0x40 && s[j] <= 0x7E)) ++j;
    return j < s.size() ? j - i + 1 : s.size() - i;
}

int cp_width(utf8proc_int32_t cp) {
    if (cp < 0) return 1;
    const int w = utf8proc_charwidth(cp);
    return w < 0 ? 0 : w;
}

// Cuts s into pieces of at most `width` columns at character boundaries.
std::vector<std::string> cut(std::string_view s, int width) {
    std::vector<std::string> out;
    std::string cur;
    int w = 0;
    for (std::size_t i = 0; i < s.size();) {
        const std::size_t start = i;
        const int cw = cp_width(next_cp(s, i));
        if (w + cw > width && !cur.empty()) {
            out.push_back(std::move(cur));
            cur.clear();
            w = 0;
        }
        cur.append(s.substr(start, i - start));
        w += cw;
    }
    if (!cur.empty() || out.empty()) out.push_back(std::move(cur));
    return out;
}

constexpr const char* kHeatColors[] = {"38;5;40", "38;5;148", "38;5;220", "38;5;208", "38;5;196"};
constexpr const char* kHeatLabels[] = {"p >= 0.9", "0.5-0.9", "0.2-0.5", "0.05-0.2", "p < 0.05"};

}  // namespace

int display_width(std::string_view s) {
    int w = 0;
    for (std::size_t i = 0; i < s.size();) {
        if (const std::size_t e = escape_length(s, i); e > 0) {
            i += e;
            continue;
        }
        w += cp_width(next_cp(s, i));
    }
    return w;
}

std::vector<std::string> wrap(std::string_view text, int width) {
    width = std::max(width, 1);
    std::vector<std::string> lines;
    std::size_t para_start = 0;
    while (true) {
        const std::size_t nl = text.find('\n', para_start);
        const std::string_view para = text.substr(para_start, nl == std::string_view::npos ? nl : nl - para_start);
        std::string line;
        int line_w = 0;
        std::size_t i = 0;
        bool any = false;
        while (i <= para.size()) {
            std::size_t sp = para.find(' ', i);
            if (sp == std::string_view::npos) sp = para.size();
            const std::string_view word = para.substr(i, sp - i);
            const int ww = display_width(word);
            if (any && line_w + 1 + ww <= width) {
                line += ' ';
                line += word;
                line_w += 1 + ww;
            } else {
                if (any) lines.push_back(std::move(line));
                line.clear();
                line_w = 0;
                if (ww > width) {
                    auto parts = cut(word, width);
                    for (std::size_t k = 0; k + 1 < parts.size(); ++k) lines.push_back(parts[k]);
                    line = parts.back();
                    line_w = display_width(line);
                } else {
                    line = std::string(word);
                    line_w = ww;
                }
                any = true;
            }
            i = sp + 1;
        }
        lines.push_back(std::move(line));
        if (nl == std::string_view::npos) break;
        para_start = nl + 1;
    }
    return lines;
}

std::string piece(std::string_view bytes) { return visible_piece(bytes); }

std::string one_line(std::string_view text) {
    std::string out;
    std::size_t start = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c < 0x20 || c == 0x7F) {
            out.append(text.substr(start, i - start));
            out += visible_piece(text.substr(i, 1));
            start = i + 1;
        }
    }
    out.append(text.substr(start));
    return out;
}

std::string pad_right(std::string_view s, int width) {
    const int w = display_width(s);
    if (w >= width) return std::string(s);
    return std::string(s) + std::string(static_cast<std::size_t>(width - w), ' ');
}

std::string pad_left(std::string_view s, int width) {
    const int w = display_width(s);
    if (w >= width) return std::string(s);
    return std::string(static_cast<std::size_t>(width - w), ' ') + std::string(s);
}

void Table::add_row(std::vector<std::string> cells) {
    cells.resize(columns_.size());
    rows_.push_back({std::move(cells), false, {}});
}

void Table::add_rule(std::string label) { rows_.push_back({{}, true, std::move(label)}); }

std::string Table::render(int max_width) const {
    const std::size_t n = columns_.size();
    constexpr int kGap = 2;
    std::vector<int> widths(n, 0);
    for (std::size_t c = 0; c < n; ++c) {
        widths[c] = display_width(columns_[c].title);
        for (const Row& r : rows_) {
            if (r.rule) continue;
            for (const std::string& line : wrap(r.cells[c], 1 << 20)) widths[c] = std::max(widths[c], display_width(line));
        }
    }
    int total = kGap * static_cast<int>(n - 1);
    for (int w : widths) total += w;
    for (std::size_t c = 0; c < n; ++c) {
        if (columns_[c].wrap && total > max_width) {
            const int others = total - widths[c];
            widths[c] = std::max(16, max_width - others);
            total = others + widths[c];
        }
    }

    std::string out;
    auto emit_line = [&](const std::vector<std::string>& cells) {
        std::string line;
        for (std::size_t c = 0; c < n; ++c) {
            const bool last = c + 1 == n;
            const std::string cell = columns_[c].align == Align::kRight ? pad_left(cells[c], widths[c])
                                     : last                             ? cells[c]
                                                                        : pad_right(cells[c], widths[c]);
            line += cell;
            if (!last) line += std::string(kGap, ' ');
        }
        while (!line.empty() && line.back() == ' ') line.pop_back();
        out += line + "\n";
    };
    std::vector<std::string> header;
    for (const Column& col : columns_) header.push_back(col.title);
    emit_line(header);
    std::string rule;
    for (int i = 0; i < total; ++i) rule += "\u2500";
    out += rule + "\n";
    for (const Row& r : rows_) {
        if (r.rule) {
            std::string line = r.label.empty() ? std::string() : "\u2500\u2500 " + r.label + " ";
            for (int i = display_width(line); i < total; ++i) line += "\u2500";
            out += line + "\n";
            continue;
        }
        std::vector<std::vector<std::string>> lines(n);
        std::size_t height = 1;
        for (std::size_t c = 0; c < n; ++c) {
            lines[c] = columns_[c].wrap ? wrap(r.cells[c], widths[c]) : wrap(r.cells[c], 1 << 20);
            height = std::max(height, lines[c].size());
        }
        for (std::size_t k = 0; k < height; ++k) {
            std::vector<std::string> cells(n);
            for (std::size_t c = 0; c < n; ++c) cells[c] = k < lines[c].size() ? lines[c][k] : "";
            emit_line(cells);
        }
    }
    return out;
}

bool color_enabled(bool requested) {
    if (!requested) return false;
    const char* no_color = std::getenv("NO_COLOR");
    if (no_color != nullptr && *no_color != '\0') return false;
    return ::isatty(STDOUT_FILENO) != 0;
}

int heat_band(double p) {
    if (p >= 0.9) return 0;
    if (p >= 0.5) return 1;
    if (p >= 0.2) return 2;
    if (p >= 0.05) return 3;
    return 4;
}

std::string heat(std::string_view text, double p, bool on) {
    if (!on || text.empty()) return std::string(text);
    return fmt::format("\x1b[{}m{}\x1b[0m", kHeatColors[heat_band(p)], text);
}

std::string heat_legend(bool on) {
    std::string out = "token probability (before sampling):";
    for (int b = 0; b < 5; ++b) {
        out += "  ";
        out += on ? fmt::format("\x1b[{}m\u2588\u2588 {}\x1b[0m", kHeatColors[b], kHeatLabels[b])
                  : std::string(kHeatLabels[b]);
    }
    return out;
}

std::string fmt_prob(double p) {
    if (p == 0.0) return "0";
    if (p >= 0.001) return fmt::format("{:.3f}", p);
    return fmt::format("{:.1e}", p);
}

std::string fmt_num(double v, int decimals) { return fmt::format("{:.{}f}", v, decimals); }

}  // namespace gpt2::cli
