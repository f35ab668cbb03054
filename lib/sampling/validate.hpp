#pragma once
// Parameter validation shared by the stage constructors: one message format,
// "<stage>: <param> must be in <range>, got <value>", never a clamp.
#include <cmath>
#include <limits>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "gpt2/error.hpp"

namespace gpt2::sampling::detail {

// Bounds are inclusive unless the *_open flag is set; ±inf bounds are always open.
inline void check_range(std::string_view param, double value, double lo, bool lo_open, double hi,
                        bool hi_open) {
    const bool ok = !std::isnan(value) && (lo_open ? value > lo : value >= lo) &&
                    (hi_open ? value < hi : value <= hi);
    if (ok) return;
    auto bound = [](double v) {
        if (std::isinf(v)) return std::string(v > 0 ? "inf" : "-inf");
        return fmt::format("{}", v);
    };
    throw Error(fmt::format("{} must be in {}{}, {}{}, got {}", param, lo_open ? "(" : "[", bound(lo),
                            bound(hi), hi_open ? ")" : "]", value));
}

inline constexpr double kInf = std::numeric_limits<double>::infinity();

// Short float formatting for params() strings ("0.8", "40").
inline std::string show(double v) { return fmt::format("{:g}", v); }

}  // namespace gpt2::sampling::detail
